package org.caretrail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringSerializer;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.deploy.infra.TopicsApplier;
import org.caretrail.events.model.Admission;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.serde.SchemaRegistry;
import org.caretrail.events.serde.SchemaRegistryException;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.topic.TopicSpec;
import org.caretrail.events.topic.Topics;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The embedded broker, the real registry and topics as code. */
@Tag("integration")
class InfrastructureIT {

    @Test
    void topicsAreDeclaredOnceAndApplyingTwiceChangesNothing() throws Exception {
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker();
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            Set<String> names = admin.listTopics().names().get(10, TimeUnit.SECONDS);
            assertThat(names).containsAll(CareTopics.all().stream().map(t -> t.name()).toList());

            ConfigResource timelines = new ConfigResource(ConfigResource.Type.TOPIC, CareTopics.TIMELINES);
            assertThat(admin.describeConfigs(List.of(timelines)).all().get().get(timelines)
                    .get("cleanup.policy").value()).isEqualTo("compact");

            List<TopicsApplier.Outcome> again = new TopicsApplier(broker.bootstrapServers()).apply();
            assertThat(again).extracting(TopicsApplier.Outcome::action).containsOnly("unchanged");
        }
    }

    /**
     * Once apply returns, every partition of a topic it has just created takes writes: a producer
     * that does not retry gets no "not leader" error. (A partition its leader does not serve yet
     * would make an idempotent producer retry its first batch until it expires: KAFKA-14359.)
     */
    @Test
    void applyReturnsOnlyWhenEveryNewPartitionTakesWrites() throws Exception {
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker()) {
            List<TopicSpec> fresh = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                fresh.add(new TopicSpec("it.fresh-" + i, 6, TopicSpec.Cleanup.DELETE, -1, "test"));
            }
            List<TopicsApplier.Outcome> created = new TopicsApplier(broker.bootstrapServers()).apply(fresh);
            assertThat(created).extracting(TopicsApplier.Outcome::action).containsOnly("created");
            Map<String, Object> config = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false, ProducerConfig.RETRIES_CONFIG, 0,
                    ProducerConfig.ACKS_CONFIG, "all");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(),
                    new StringSerializer())) {
                List<Future<RecordMetadata>> sent = new ArrayList<>();
                for (TopicSpec spec : fresh) {
                    for (int p = 0; p < spec.partitions(); p++) {
                        sent.add(producer.send(new ProducerRecord<>(spec.name(), p, "k", "v")));
                    }
                }
                for (Future<RecordMetadata> future : sent) {
                    assertThat(future.get(30, TimeUnit.SECONDS).offset()).isZero();
                }
            }
        }
    }

    @Test
    void theRealRegistryGivesStableIdsAndRefusesIncompatibleSchemas() {
        SchemaRegistry registry = new RestSchemaRegistry(RealInfrastructure.registryUrl());
        new Topics(registry).registerSchemas();
        String subject = "care.admissions-value";
        int id = registry.register(subject, Admission.getClassSchema());
        assertThat(new RestSchemaRegistry(RealInfrastructure.registryUrl()).register(subject, Admission.getClassSchema()))
                .isEqualTo(id);
        assertThat(new RestSchemaRegistry(RealInfrastructure.registryUrl()).schemaById(id))
                .isEqualTo(Admission.getClassSchema());

        Schema incompatible = SchemaBuilder.record("Admission").namespace("org.caretrail.events.model").fields()
                .requiredString("somethingElse").endRecord();
        assertThat(registry.isCompatible(subject, incompatible)).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> registry.register(subject, incompatible))
                .isInstanceOf(SchemaRegistryException.class)
                .satisfies(e -> assertThat(((SchemaRegistryException) e).status()).isEqualTo(409));
    }
}
