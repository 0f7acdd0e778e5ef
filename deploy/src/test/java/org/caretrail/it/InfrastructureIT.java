package org.caretrail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.config.ConfigResource;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.deploy.infra.TopicsApplier;
import org.caretrail.events.model.Admission;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.serde.SchemaRegistry;
import org.caretrail.events.serde.SchemaRegistryException;
import org.caretrail.events.topic.CareTopics;
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
