package org.caretrail.it.timeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.apache.avro.specific.SpecificRecord;
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
import org.caretrail.events.CareEvents;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Appointment;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.Prescription;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Referral;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.topic.Topics;
import org.caretrail.it.RealInfrastructure;
import org.caretrail.timeline.TimelineApplication;
import org.caretrail.timeline.TimelineSettings;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Events/s through the full timeline topology (decode, validate, repartition, per-patient state,
 * both outputs) with exactly_once_v2 on the real broker and registry, end-to-end latency, and state
 * size on disk. Opt-in:
 * {@code mvn -o -q -pl deploy -am test -Dgroups=integration -Dtest=TimelineThroughputBenchmarkIT
 * -Dcaretrail.bench=true -Dsurefire.failIfNoSpecifiedTests=false} (sizes: -Dcaretrail.bench.events,
 * -Dcaretrail.bench.patients, -Dcaretrail.bench.live).
 */
@Tag("integration")
@EnabledIfSystemProperty(named = "caretrail.bench", matches = "true")
class TimelineThroughputBenchmarkIT {

    private static final int EVENTS = Integer.getInteger("caretrail.bench.events", 50_000);
    private static final int PATIENTS = Integer.getInteger("caretrail.bench.patients", 1_000);
    private static final int LIVE = Integer.getInteger("caretrail.bench.live", 5_000);

    @Test
    void throughputLatencyAndStateSize() throws Exception {
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker()) {
            Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
            List<String> patients = patients(PATIENTS);
            Instant t0 = Instant.now().minus(Duration.ofDays(400)).truncatedTo(ChronoUnit.SECONDS);
            Random random = new Random(3);
            List<SpecificRecord> backlog = new ArrayList<>(EVENTS);
            for (int i = 0; i < EVENTS; i++) {
                backlog.add(event(patients.get(random.nextInt(patients.size())), t0.plusSeconds(i * 60L), i));
            }
            try (KafkaProducer<String, byte[]> producer = producer(broker)) {
                long start = System.nanoTime();
                for (SpecificRecord e : backlog) {
                    send(producer, topics, e);
                }
                producer.flush();
                double s = (System.nanoTime() - start) / 1e9;
                System.out.printf("BENCH publish backlog: %d events in %.1f s = %.0f events/s%n", EVENTS, s, EVENTS / s);
            }

            Path state = Files.createTempDirectory(Path.of("target"), "timeline-bench-");
            TimelineSettings settings = TimelineSettings.defaults()
                    .with(TimelineSettings.APPLICATION_ID, "bench-" + UUID.randomUUID())
                    .with(TimelineSettings.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                    .with(TimelineSettings.STATE_DIR, state);
            try (KafkaConsumer<String, byte[]> changes = changesConsumer(broker);
                 TimelineApplication app = new TimelineApplication(settings, topics)) {
                long start = System.nanoTime();
                app.start();
                assertThat(app.awaitRunning(Duration.ofSeconds(120))).isTrue();
                double toRunning = (System.nanoTime() - start) / 1e9;
                long firstChange = 0;
                int seen = 0;
                long deadline = System.currentTimeMillis() + 600_000;
                while (seen < EVENTS && System.currentTimeMillis() < deadline) {
                    int n = changes.poll(Duration.ofMillis(200)).count();
                    if (n > 0 && firstChange == 0) {
                        firstChange = System.nanoTime();
                    }
                    seen += n;
                }
                long end = System.nanoTime();
                assertThat(seen).as("one ADDED change per backlog event").isEqualTo(EVENTS);
                double total = (end - start) / 1e9;
                double processing = (end - firstChange) / 1e9;
                System.out.printf("BENCH backlog through the timeline topology (exactly_once_v2, 1 thread, %d patients): "
                        + "%d events in %.1f s from start = %.0f events/s; %.1f s from first output = %.0f events/s "
                        + "(start to RUNNING %.1f s)%n", PATIENTS, EVENTS, total, EVENTS / total, processing,
                        EVENTS / processing, toRunning);

                // live: publish while running, latency from send to change visible (read_committed)
                Map<String, Long> sentAt = new ConcurrentHashMap<>();
                long[] latencies = new long[LIVE];
                var deserializer = topics.timelineChanges().valueSerde().deserializer();
                try (KafkaProducer<String, byte[]> producer = producer(broker)) {
                    int got = 0;
                    int next = 0;
                    long liveStart = System.nanoTime();
                    deadline = System.currentTimeMillis() + 300_000;
                    while (got < LIVE && System.currentTimeMillis() < deadline) {
                        for (int k = 0; k < 200 && next < LIVE; k++, next++) {
                            SpecificRecord e = event(patients.get(random.nextInt(patients.size())),
                                    t0.plusSeconds((EVENTS + next) * 60L), EVENTS + next);
                            sentAt.put(CareEvents.header(e).getEventId(), System.nanoTime());
                            send(producer, topics, e);
                        }
                        producer.flush();
                        for (var r : changes.poll(Duration.ofMillis(50))) {
                            TimelineChange c = deserializer.deserialize(r.topic(), r.value());
                            Long sent = sentAt.get(c.getEntry().getEventId());
                            if (sent != null && got < LIVE) {
                                latencies[got++] = System.nanoTime() - sent;
                            }
                        }
                    }
                    double liveSeconds = (System.nanoTime() - liveStart) / 1e9;
                    assertThat(got).isEqualTo(LIVE);
                    Arrays.sort(latencies);
                    System.out.printf("BENCH live: %d events in %.1f s = %.0f events/s; published -> change visible "
                            + "p50 %.0f ms, p99 %.0f ms, max %.0f ms (commit interval %s)%n", LIVE, liveSeconds,
                            LIVE / liveSeconds, latencies[LIVE / 2] / 1e6, latencies[(int) (LIVE * 0.99)] / 1e6,
                            latencies[LIVE - 1] / 1e6, settings.get(TimelineSettings.COMMIT_INTERVAL));
                }
            }
            long bytes;
            try (Stream<Path> files = Files.walk(state)) {
                bytes = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
            }
            int total = EVENTS + LIVE;
            System.out.printf("BENCH state on disk after close: %.1f MB = %.0f bytes/event, %.0f bytes/patient "
                    + "(%d events, %d patients)%n", bytes / 1e6, (double) bytes / total, (double) bytes / PATIENTS,
                    total, PATIENTS);
        }
    }

    private static KafkaProducer<String, byte[]> producer(EmbeddedKafkaBroker broker) {
        return new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                broker.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new StringSerializer(), new ByteArraySerializer());
    }

    private static KafkaConsumer<String, byte[]> changesConsumer(EmbeddedKafkaBroker broker) {
        KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000), new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = c.partitionsFor(CareTopics.TIMELINE_CHANGES).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        c.assign(partitions);
        c.seekToBeginning(partitions);
        return c;
    }

    private static void send(KafkaProducer<String, byte[]> producer, Topics topics, SpecificRecord e) {
        var topic = topics.events(CareEventType.of(e));
        producer.send(new ProducerRecord<>(topic.name(), CareEvents.patientKey(e),
                topic.valueSerde().serializer().serialize(topic.name(), e)));
    }

    private static List<String> patients(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; out.size() < n; i++) {
            NhsNumber.withCheckDigit(String.format("999%06d", 100_000 + i)).ifPresent(x -> out.add(x.value()));
        }
        return out;
    }

    private static final Map<Integer, ProviderKind> KINDS = new HashMap<>(Map.of(0, ProviderKind.GP, 1,
            ProviderKind.ACUTE, 2, ProviderKind.COMMUNITY, 3, ProviderKind.PHARMACY));

    /** A mix of event types, each a new care item (so each gives exactly one ADDED change). */
    private static SpecificRecord event(String nhs, Instant at, int i) {
        EventHeader h = EventHeader.newBuilder()
                .setEventId(UUID.randomUUID().toString()).setAction(Action.NEW).setSubjectId("item-" + i)
                .setVersion(1).setOccurredAt(at).setRecordedAt(at.plusSeconds(10))
                .setSource(new Source(i % 2 == 0 ? "RJ1" : "A81001", null, KINDS.get(i % 4), "bench"))
                .setPatient(PatientRef.newBuilder().setNhsNumber(nhs).build())
                .setSensitivity(Sensitivity.NORMAL).build();
        return switch (i % 5) {
            case 0 -> Admission.newBuilder().setHeader(h).setWard("AMU").setSite("Main").build();
            case 1 -> Attendance.newBuilder().setHeader(h).setDepartment("ED").setChiefComplaint("fall").build();
            case 2 -> Referral.newBuilder().setHeader(h).setSpecialty("Cardiology").setStatus("open").build();
            case 3 -> Prescription.newBuilder().setHeader(h).setMedication("Amoxicillin 500mg").setRepeat(false).build();
            default -> Appointment.newBuilder().setHeader(h).setStartsAt(at).setService("Diabetes clinic").build();
        };
    }
}
