package org.caretrail.it.timeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.events.CareEventType;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;
import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.topic.Topics;
import org.caretrail.it.RealInfrastructure;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of the stream processor under load, then a restart: every published event sits in exactly
 * one timeline entry and one ADDED change (exactly_once_v2; output read with read_committed).
 */
@Tag("integration")
class TimelineCrashIT {

    private static final int PATIENTS = 100;
    private static final int EVENTS = 6_000;

    @Test
    void killMinus9UnderLoadLosesAndDuplicatesNothing() throws Exception {
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker()) {
            String registryUrl = RealInfrastructure.registryUrl();
            Topics topics = new Topics(new RestSchemaRegistry(registryUrl));
            String appId = "it-crash-" + UUID.randomUUID();
            Path state = Files.createTempDirectory(Path.of("target"), "timeline-crash-").toAbsolutePath();
            List<String> patients = new ArrayList<>();
            for (int i = 0; patients.size() < PATIENTS; i++) {
                NhsNumber.withCheckDigit(String.format("999%06d", 800_000 + i)).ifPresent(n -> patients.add(n.value()));
            }
            Map<String, Integer> perPatient = new HashMap<>();
            Set<String> eventIds = new HashSet<>();

            Process first = startProcessor(broker, registryUrl, appId, state, "first");
            KafkaConsumer<String, byte[]> changes = consumer(broker, CareTopics.TIMELINE_CHANGES);
            Set<String> changeIds = new HashSet<>();
            List<String> duplicates = new ArrayList<>();
            var changeReader = topics.timelineChanges().valueSerde().deserializer();
            Instant t0 = Instant.now().minus(Duration.ofDays(200)).truncatedTo(ChronoUnit.SECONDS);
            Process second = null;
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.<String, Object>of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(), ProducerConfig.ACKS_CONFIG,
                    "all", ProducerConfig.LINGER_MS_CONFIG, 5), new StringSerializer(), new ByteArraySerializer())) {
                var topic = topics.events(CareEventType.ATTENDANCE);
                for (int i = 0; i < EVENTS; i++) {
                    String nhs = patients.get(i % PATIENTS);
                    Attendance a = attendance(nhs, t0.plusSeconds(i * 60L));
                    byte[] bytes = topic.valueSerde().serializer().serialize(topic.name(), a);
                    producer.send(new ProducerRecord<>(topic.name(), nhs, bytes));
                    if (i % 10 == 0) {
                        producer.send(new ProducerRecord<>(topic.name(), nhs, bytes)); // a retried send
                    }
                    perPatient.merge(nhs, 1, Integer::sum);
                    eventIds.add(a.getHeader().getEventId());
                    if (i % 200 == 0) {
                        producer.flush();
                        poll(changes, changeReader, changeIds, duplicates);
                        if (second == null && changeIds.size() > EVENTS / 4) {
                            first.destroyForcibly().waitFor(); // kill -9, mid-stream
                            System.out.println("killed the stream processor after " + changeIds.size()
                                    + " changes seen, " + i + " events published");
                            second = startProcessor(broker, registryUrl, appId, state, "second");
                        }
                    }
                    if (i % 50 == 0) {
                        Thread.sleep(5); // a steady load, not one burst
                    }
                }
                producer.flush();
            }
            if (second == null) {
                // publishing outran the processor (a loaded machine): kill it while it works through the backlog
                long by = System.currentTimeMillis() + 120_000;
                while (changeIds.size() <= EVENTS / 4 && System.currentTimeMillis() < by) {
                    poll(changes, changeReader, changeIds, duplicates);
                }
                if (changeIds.size() > EVENTS / 4 && changeIds.size() < EVENTS) {
                    first.destroyForcibly().waitFor(); // kill -9, mid-backlog
                    System.out.println("killed the stream processor after " + changeIds.size()
                            + " changes seen, every event published");
                    second = startProcessor(broker, registryUrl, appId, state, "second");
                }
            }
            if (first.isAlive()) {
                first.destroyForcibly().waitFor(); // never leave a child behind
            }
            assertThat(second).as("the processor was killed under load").isNotNull();
            long deadline = System.currentTimeMillis() + 180_000;
            while (changeIds.size() < EVENTS && System.currentTimeMillis() < deadline) {
                poll(changes, changeReader, changeIds, duplicates);
            }
            long quiet = System.currentTimeMillis() + 5_000;
            while (System.currentTimeMillis() < quiet) {
                poll(changes, changeReader, changeIds, duplicates);
            }
            changes.close();
            try {
                assertThat(duplicates).as("changes seen twice").isEmpty();
                assertThat(changeIds).hasSize(EVENTS);
                Set<String> changedEvents = new HashSet<>();
                changeIds.forEach(c -> changedEvents.add(c.substring(0, c.indexOf('|'))));
                assertThat(changedEvents).isEqualTo(eventIds);

                // and the last care.timelines record of every patient counts exactly its events
                Map<String, Timeline> timelines = new HashMap<>();
                var timelineReader = topics.timelines().valueSerde().deserializer();
                try (KafkaConsumer<String, byte[]> c = consumer(broker, CareTopics.TIMELINES)) {
                    long end = System.currentTimeMillis() + 15_000;
                    while (System.currentTimeMillis() < end) {
                        c.poll(Duration.ofMillis(500)).forEach(r -> timelines.put(r.key(),
                                timelineReader.deserialize(r.topic(), r.value())));
                    }
                }
                for (String nhs : patients) {
                    assertThat(timelines.get(nhs).getSummary().getCurrentEntries()).as(nhs)
                            .isEqualTo(perPatient.get(nhs));
                }
            } finally {
                second.destroy();
                second.waitFor();
            }
        }
    }

    private static void poll(KafkaConsumer<String, byte[]> changes,
            org.apache.kafka.common.serialization.Deserializer<TimelineChange> reader, Set<String> ids,
            List<String> duplicates) {
        changes.poll(Duration.ofMillis(200)).forEach(r -> {
            String id = reader.deserialize(r.topic(), r.value()).getChangeId();
            if (!ids.add(id)) {
                duplicates.add(id);
            }
        });
    }

    private static Process startProcessor(EmbeddedKafkaBroker broker, String registryUrl, String appId, Path state,
            String name) throws Exception {
        Path log = Path.of("target", "timeline-" + name + "-" + appId + ".log");
        Process p = new ProcessBuilder(System.getProperty("java.home") + File.separator + "bin" + File.separator
                + "java", "-Xmx256m", "-cp", System.getProperty("java.class.path"), TimelineProcessMain.class.getName(),
                broker.bootstrapServers(), registryUrl, appId, state.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < deadline) {
            if (Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains("\nRUNNING")) {
                return p;
            }
            if (!p.isAlive()) {
                throw new IllegalStateException("the stream processor exited; see " + log);
            }
            Thread.sleep(200);
        }
        p.destroyForcibly();
        throw new IllegalStateException("the stream processor did not reach RUNNING; see " + log);
    }

    private static KafkaConsumer<String, byte[]> consumer(EmbeddedKafkaBroker broker, String topic) {
        KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(),
                new ByteArrayDeserializer());
        List<TopicPartition> partitions = c.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        c.assign(partitions);
        c.seekToBeginning(partitions);
        return c;
    }

    private static Attendance attendance(String nhs, Instant at) {
        EventHeader header = EventHeader.newBuilder()
                .setEventId(UUID.randomUUID().toString()).setAction(Action.NEW)
                .setSubjectId("ae-" + UUID.randomUUID()).setVersion(1)
                .setOccurredAt(at).setRecordedAt(at.plusSeconds(5))
                .setSource(new Source("RJ1", null, ProviderKind.ACUTE, "it"))
                .setPatient(PatientRef.newBuilder().setNhsNumber(nhs).build())
                .setSensitivity(Sensitivity.NORMAL).build();
        return Attendance.newBuilder().setHeader(header).setDepartment("ED").build();
    }
}
