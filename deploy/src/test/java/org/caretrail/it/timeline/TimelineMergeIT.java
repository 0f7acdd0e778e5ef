package org.caretrail.it.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.ChangeKind;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.topic.Topics;
import org.caretrail.it.RealInfrastructure;
import org.caretrail.timeline.TimelineApplication;
import org.caretrail.timeline.TimelineSettings;
import org.caretrail.timeline.query.TimelineQuery;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Merges of NHS numbers on the real broker (3 partitions per topic) and the real registry: the
 * superseded patient and the survivor live in different partitions; an HL7 A40 merge moves the
 * superseded patient's entries into the survivor's timeline, and a later event for the old number
 * follows it. Exercises the merge repartitions ({@code merges-by-superseded-patient},
 * {@code merged-entries-by-survivor}) as the broker creates them.
 */
@Tag("integration")
class TimelineMergeIT {

    private static EmbeddedKafkaBroker broker;
    private static Topics topics;
    private static KafkaProducer<String, byte[]> producer;

    @BeforeAll
    static void start() {
        broker = RealInfrastructure.newBroker();
        topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        producer = new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers(), "acks", "all"),
                new StringSerializer(), new ByteArraySerializer());
    }

    @AfterAll
    static void stop() {
        if (producer != null) {
            producer.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void aMergeMovesTheSupersededTimelineAcrossPartitionsAndLaterEventsFollow() throws Exception {
        String old = patientInPartition(0, 700_000);
        String survivor = patientInPartition(1, 800_000);
        Instant t0 = Instant.now().minus(Duration.ofDays(5)).truncatedTo(ChronoUnit.SECONDS);
        Attendance oldFirst = attendance(old, t0);
        Attendance survivorSecond = attendance(survivor, t0.plus(Duration.ofHours(1)));
        Attendance oldThird = attendance(old, t0.plus(Duration.ofHours(2)));
        Attendance late = attendance(old, t0.plus(Duration.ofHours(4)));
        send(oldFirst, survivorSecond, oldThird);

        Path state = Files.createTempDirectory(Path.of("target"), "timeline-state-");
        TimelineSettings settings = TimelineSettings.defaults()
                .with(TimelineSettings.APPLICATION_ID, "it-merge-" + UUID.randomUUID())
                .with(TimelineSettings.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .with(TimelineSettings.STATE_DIR, state)
                .with(TimelineSettings.TIMELINE_EMIT_INTERVAL, Duration.ofMillis(200));
        try (TimelineApplication app = new TimelineApplication(settings, topics)) {
            app.start();
            assertThat(app.awaitRunning(Duration.ofSeconds(90))).as("RUNNING within 90 s").isTrue();
            await().atMost(Duration.ofSeconds(60)).until(() -> entries(app, old).size() == 2
                    && entries(app, survivor).size() == 1);

            send(merge(old, survivor, t0.plus(Duration.ofHours(3))));
            await().atMost(Duration.ofSeconds(60)).until(() -> entries(app, survivor).size() == 3);
            assertThat(entries(app, survivor)).containsExactly(eventId(oldFirst), eventId(survivorSecond),
                    eventId(oldThird));
            await().atMost(Duration.ofSeconds(30)).until(() -> entries(app, old).isEmpty());
            assertThat(app.queries().page(TimelineQuery.firstPage(old))).isEmpty();
            assertThat(app.queries().mergedInto(old)).contains(survivor);

            send(late);
            await().atMost(Duration.ofSeconds(60)).until(() -> entries(app, survivor).size() == 4);
            assertThat(entries(app, survivor)).endsWith(eventId(late));
            assertThat(entries(app, old)).isEmpty();
        }

        List<TimelineChange> changes = changes(old, survivor, 8);
        assertThat(changes).filteredOn(c -> c.getNhsNumber().equals(old) && c.getKind() == ChangeKind.WITHDRAWN)
                .extracting(c -> c.getEntry().getEventId())
                .containsExactlyInAnyOrder(eventId(oldFirst), eventId(oldThird));
        assertThat(changes).filteredOn(c -> c.getNhsNumber().equals(survivor) && c.getKind() == ChangeKind.ADDED)
                .extracting(c -> c.getEntry().getEventId())
                .containsExactlyInAnyOrder(eventId(survivorSecond), eventId(oldFirst), eventId(oldThird),
                        eventId(late));
        assertThat(changes).extracting(TimelineChange::getChangeId).doesNotHaveDuplicates();
    }

    /** A → B → C → D across the partitions: an event for A, sent after all three merges, ends on D. */
    @Test
    void aChainOfMergesIsFollowedToTheLastSurvivorAcrossPartitions() throws Exception {
        String a = patientInPartition(0, 100_000);
        String b = patientInPartition(1, 200_000);
        String c = patientInPartition(2, 300_000);
        String d = patientInPartition(0, 400_000);
        Instant t0 = Instant.now().minus(Duration.ofDays(3)).truncatedTo(ChronoUnit.SECONDS);
        Attendance onA = attendance(a, t0);
        Attendance onC = attendance(c, t0.plus(Duration.ofHours(1)));
        send(merge(a, b, t0.minus(Duration.ofHours(3))), merge(b, c, t0.minus(Duration.ofHours(2))),
                merge(c, d, t0.minus(Duration.ofHours(1))));
        send(onA, onC);

        TimelineSettings settings = TimelineSettings.defaults()
                .with(TimelineSettings.APPLICATION_ID, "it-merge-chain-" + UUID.randomUUID())
                .with(TimelineSettings.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .with(TimelineSettings.STATE_DIR, Files.createTempDirectory(Path.of("target"), "timeline-state-"))
                .with(TimelineSettings.TIMELINE_EMIT_INTERVAL, Duration.ofMillis(200));
        try (TimelineApplication app = new TimelineApplication(settings, topics)) {
            app.start();
            assertThat(app.awaitRunning(Duration.ofSeconds(90))).as("RUNNING within 90 s").isTrue();
            await().atMost(Duration.ofSeconds(60)).until(() -> entries(app, d).size() == 2);
            assertThat(entries(app, d)).containsExactly(eventId(onA), eventId(onC));
            for (String mergedAway : List.of(a, b, c)) {
                assertThat(entries(app, mergedAway)).as(mergedAway).isEmpty();
            }
            assertThat(app.queries().mergedInto(a)).contains(b);
        }
    }

    private static List<String> entries(TimelineApplication app, String nhs) {
        try {
            return app.queries().page(new TimelineQuery(nhs, null, null, null, 0, 1000, false))
                    .map(p -> p.entries().stream().map(e -> e.getEventId()).toList()).orElse(List.of());
        } catch (org.apache.kafka.streams.errors.InvalidStateStoreException e) {
            return List.of("not queryable yet");
        }
    }

    /** A valid synthetic NHS number whose key lands in {@code partition} of 3 (default partitioner). */
    private static String patientInPartition(int partition, int from) {
        for (int s = from + (int) (Math.random() * 50_000); ; s++) {
            var n = NhsNumber.withCheckDigit(String.format("999%06d", s));
            if (n.isPresent() && Utils.toPositive(Utils.murmur2(n.get().value().getBytes(StandardCharsets.UTF_8)))
                    % CareTopics.PARTITIONS == partition) {
                return n.get().value();
            }
        }
    }

    private static List<TimelineChange> changes(String old, String survivor, int atLeast) {
        var deserializer = topics.timelineChanges().valueSerde().deserializer();
        List<TimelineChange> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(CareTopics.TIMELINE_CHANGES).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.currentTimeMillis() + 30_000;
            int emptyPolls = 0;
            while (System.currentTimeMillis() < deadline && (out.size() < atLeast || emptyPolls < 3)) {
                var records = consumer.poll(Duration.ofMillis(500));
                if (records.isEmpty()) {
                    emptyPolls++;
                }
                records.forEach(r -> {
                    if (old.equals(r.key()) || survivor.equals(r.key())) {
                        out.add(deserializer.deserialize(r.topic(), r.value()));
                    }
                });
            }
        }
        return out;
    }

    private static void send(SpecificRecord... events) throws Exception {
        for (SpecificRecord e : events) {
            var topic = topics.events(CareEventType.of(e));
            producer.send(new ProducerRecord<>(topic.name(), CareEvents.patientKey(e),
                    topic.valueSerde().serializer().serialize(topic.name(), e))).get();
        }
    }

    private static String eventId(SpecificRecord e) {
        return CareEvents.header(e).getEventId();
    }

    private static EventHeader header(String nhs, Instant at) {
        return EventHeader.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setAction(Action.NEW)
                .setSubjectId("item-" + UUID.randomUUID())
                .setVersion(1)
                .setOccurredAt(at)
                .setRecordedAt(at.plusSeconds(30))
                .setSource(new Source("RJ1", null, ProviderKind.ACUTE, "it"))
                .setPatient(PatientRef.newBuilder().setNhsNumber(nhs).build())
                .setSensitivity(Sensitivity.NORMAL)
                .build();
    }

    private static Attendance attendance(String nhs, Instant at) {
        return Attendance.newBuilder().setHeader(header(nhs, at)).setDepartment("ED").build();
    }

    private static PatientIdentity merge(String old, String survivor, Instant at) {
        return PatientIdentity.newBuilder().setHeader(header(survivor, at)).setKind(IdentityKind.MERGE)
                .setNhsNumber(survivor).setSupersededNhsNumber(old).build();
    }
}
