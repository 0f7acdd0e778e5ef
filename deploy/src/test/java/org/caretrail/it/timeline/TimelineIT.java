package org.caretrail.it.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
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
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.SocialCareEvent;
import org.caretrail.events.model.Source;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.topic.Topics;
import org.caretrail.it.RealInfrastructure;
import org.caretrail.timeline.TimelineApplication;
import org.caretrail.timeline.TimelineSettings;
import org.caretrail.timeline.query.TimelineApi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The timeline stream processor on the real broker and the real (Apicurio) registry: events in,
 * dead letters out, one ordered timeline through the HTTP API, and a restart that loses and
 * duplicates nothing (exactly_once_v2).
 */
@Tag("integration")
class TimelineIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger SEED = new AtomicInteger(500);
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
    void eventsFromFourProviderKindsBecomeOneOrderedTimelineAndBadInputIsDeadLettered() throws Exception {
        String patient = newPatient();
        Instant t0 = Instant.now().minus(Duration.ofDays(10)).truncatedTo(ChronoUnit.SECONDS);
        SpecificRecord gp = appointment(patient, "A81001", ProviderKind.GP, t0);
        SpecificRecord ae = attendance(patient, t0.plus(Duration.ofDays(1)));
        SpecificRecord admit = admission(patient, t0.plus(Duration.ofDays(2)));
        SpecificRecord pharmacy = prescription(patient, t0.plus(Duration.ofDays(3)));
        SpecificRecord social = socialCare(patient, t0.plus(Duration.ofDays(4)));
        String badNhs = patient.substring(0, 9) + ((patient.charAt(9) - '0' + 1) % 10);
        SpecificRecord invalid = admission(badNhs, t0);
        // newest first, the admission twice
        send(social, pharmacy, admit, admit, ae, gp, invalid);
        producer.send(new ProducerRecord<>("care.referrals", patient,
                "garbage".getBytes(StandardCharsets.UTF_8))).get();

        Path state = Files.createTempDirectory(Path.of("target"), "timeline-state-");
        TimelineSettings settings = settings("it-e2e-" + UUID.randomUUID(), state);
        try (TimelineApplication app = new TimelineApplication(settings, topics)) {
            app.start();
            assertThat(app.awaitRunning(Duration.ofSeconds(90))).as("RUNNING within 90 s").isTrue();
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext(TimelineApi.PATH_PREFIX, app.api());
            server.start();
            try {
                String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/api/v1/patients/" + patient
                        + "/timeline";
                JsonNode page = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                        .until(() -> getJson(url), p -> p != null && p.get("entries").size() == 5);
                List<String> ids = new ArrayList<>();
                List<String> kinds = new ArrayList<>();
                page.get("entries").forEach(e -> {
                    ids.add(e.get("eventId").asText());
                    kinds.add(e.get("source").get("kind").asText());
                });
                assertThat(ids).containsExactly(eventId(gp), eventId(ae), eventId(admit), eventId(pharmacy),
                        eventId(social));
                assertThat(kinds).containsExactly("GP", "ACUTE", "ACUTE", "PHARMACY", "SOCIAL_CARE");
                assertThat(page.get("summary").get("spells").get(0).get("dischargedAt").isNull()).isTrue();
                assertThat(get(url.replace(patient, badNhs)).statusCode()).isEqualTo(400);
            } finally {
                server.stop(0);
            }
        }

        List<ConsumerRecord<byte[], byte[]>> dead = readAll(CareTopics.DEAD_LETTER, 2, r -> true);
        Map<String, String> reasons = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : dead) {
            reasons.put(header(r, CareTopics.HEADER_SOURCE_TOPIC) + "@" + header(r, CareTopics.HEADER_SOURCE_OFFSET),
                    header(r, CareTopics.HEADER_REASON));
        }
        assertThat(reasons.values()).anySatisfy(reason -> assertThat(reason).contains("Modulus 11"));
        assertThat(reasons.values()).anySatisfy(reason -> assertThat(reason).contains("not a Confluent-framed"));
        assertThat(dead).anySatisfy(r -> assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo("garbage"));

        List<ConsumerRecord<byte[], byte[]>> changes = readAll(CareTopics.TIMELINE_CHANGES, 5,
                r -> patient.equals(new String(r.key(), StandardCharsets.UTF_8)));
        assertThat(changes).hasSize(5);
    }

    @Test
    void aRestartLosesAndDuplicatesNothing() throws Exception {
        String patient = newPatient();
        Instant t0 = Instant.now().minus(Duration.ofDays(30)).truncatedTo(ChronoUnit.SECONDS);
        List<SpecificRecord> first = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            first.add(attendance(patient, t0.plus(Duration.ofHours(i))));
        }
        send(first.toArray(SpecificRecord[]::new));
        Path state = Files.createTempDirectory(Path.of("target"), "timeline-state-");
        TimelineSettings settings = settings("it-restart-" + UUID.randomUUID(), state);
        try (TimelineApplication app = new TimelineApplication(settings, topics)) {
            app.start();
            assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
            await().atMost(Duration.ofSeconds(60)).until(() -> currentEntries(app, patient) == 20);
        }
        // while it is down: 20 more, and all of the first 20 again (a publisher retrying)
        List<SpecificRecord> second = new ArrayList<>();
        for (int i = 20; i < 40; i++) {
            second.add(attendance(patient, t0.plus(Duration.ofHours(i))));
        }
        send(second.toArray(SpecificRecord[]::new));
        send(first.toArray(SpecificRecord[]::new));
        try (TimelineApplication app = new TimelineApplication(settings, topics)) {
            app.start();
            assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
            await().atMost(Duration.ofSeconds(60)).until(() -> currentEntries(app, patient) == 40);
            Thread.sleep(2000); // give any wrong extra processing the chance to show
            assertThat(currentEntries(app, patient)).isEqualTo(40);
        }
        List<ConsumerRecord<byte[], byte[]>> changes = readAll(CareTopics.TIMELINE_CHANGES, 40,
                r -> patient.equals(new String(r.key(), StandardCharsets.UTF_8)));
        List<String> changeIds = new ArrayList<>();
        var deserializer = topics.timelineChanges().valueSerde().deserializer();
        for (ConsumerRecord<byte[], byte[]> r : changes) {
            TimelineChange c = deserializer.deserialize(r.topic(), r.value());
            changeIds.add(c.getChangeId());
        }
        assertThat(changeIds).hasSize(40).doesNotHaveDuplicates();
    }

    @Test
    void eventsKnownOnlyByAHospitalNumberArePlacedWhenTheLinkArrives() throws Exception {
        String patient = newPatient();
        Instant t0 = Instant.now().minus(Duration.ofDays(5)).truncatedTo(ChronoUnit.SECONDS);
        SpecificRecord known = attendance(patient, t0.plus(Duration.ofHours(2)));
        Admission early = admission(patient, t0);
        early.getHeader().setPatient(PatientRef.newBuilder()
                .setLocalId(new org.caretrail.events.model.LocalIdentifier("RJ1-MRN", "M" + patient)).build());
        send(known, early);
        Path state = Files.createTempDirectory(Path.of("target"), "timeline-state-");
        try (TimelineApplication app = new TimelineApplication(settings("it-identity-" + UUID.randomUUID(), state),
                topics)) {
            app.start();
            assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
            await().atMost(Duration.ofSeconds(60)).until(() -> currentEntries(app, patient) == 1);
            org.caretrail.events.model.PatientIdentity link = org.caretrail.events.model.PatientIdentity.newBuilder()
                    .setHeader(header(patient, "RJ1", ProviderKind.ACUTE, t0.plus(Duration.ofHours(3))))
                    .setKind(org.caretrail.events.model.IdentityKind.LINK).setNhsNumber(patient)
                    .setLocalId(new org.caretrail.events.model.LocalIdentifier("RJ1-MRN", "M" + patient)).build();
            send(link);
            await().atMost(Duration.ofSeconds(60)).until(() -> currentEntries(app, patient) == 2);
            var page = app.queries().page(org.caretrail.timeline.query.TimelineQuery.firstPage(patient)).orElseThrow();
            assertThat(page.entries()).extracting(e -> e.getEventId())
                    .containsExactly(eventId(early), eventId(known));
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    private static TimelineSettings settings(String appId, Path state) {
        return TimelineSettings.defaults()
                .with(TimelineSettings.APPLICATION_ID, appId)
                .with(TimelineSettings.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .with(TimelineSettings.STATE_DIR, state)
                .with(TimelineSettings.TIMELINE_EMIT_INTERVAL, Duration.ofMillis(200));
    }

    private static int currentEntries(TimelineApplication app, String patient) {
        try {
            return app.queries().page(new org.caretrail.timeline.query.TimelineQuery(patient, null, null, null, 0,
                    1000, false)).map(p -> p.entries().size()).orElse(0);
        } catch (org.apache.kafka.streams.errors.InvalidStateStoreException e) {
            return -1;
        }
    }

    private static String newPatient() {
        while (true) {
            var n = NhsNumber.withCheckDigit(String.format("999%06d", SEED.getAndIncrement() + (int) (Math.random()
                    * 400_000)));
            if (n.isPresent()) {
                return n.get().value();
            }
        }
    }

    private static void send(SpecificRecord... events) throws Exception {
        for (SpecificRecord e : events) {
            var topic = topics.events(CareEventType.of(e));
            producer.send(new ProducerRecord<>(topic.name(), CareEvents.patientKey(e),
                    topic.valueSerde().serializer().serialize(topic.name(), e))).get();
        }
    }

    private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int atLeast,
            java.util.function.Predicate<ConsumerRecord<byte[], byte[]>> filter) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
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
                    if (filter.test(r)) {
                        out.add(r);
                    }
                });
            }
        }
        return out;
    }

    private static String header(ConsumerRecord<?, ?> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode getJson(String url) throws Exception {
        HttpResponse<String> r = get(url);
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    }

    private static String eventId(SpecificRecord e) {
        return CareEvents.header(e).getEventId();
    }

    private static EventHeader header(String nhs, String ods, ProviderKind kind, Instant at) {
        return EventHeader.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setAction(Action.NEW)
                .setSubjectId("item-" + UUID.randomUUID())
                .setVersion(1)
                .setOccurredAt(at)
                .setRecordedAt(at.plusSeconds(30))
                .setSource(new Source(ods, null, kind, "it"))
                .setPatient(PatientRef.newBuilder().setNhsNumber(nhs).build())
                .setSensitivity(Sensitivity.NORMAL)
                .build();
    }

    private static Appointment appointment(String nhs, String ods, ProviderKind kind, Instant at) {
        return Appointment.newBuilder().setHeader(header(nhs, ods, kind, at)).setStartsAt(at).setService("Asthma review")
                .build();
    }

    private static Attendance attendance(String nhs, Instant at) {
        return Attendance.newBuilder().setHeader(header(nhs, "RJ1", ProviderKind.ACUTE, at)).setDepartment("ED").build();
    }

    private static Admission admission(String nhs, Instant at) {
        return Admission.newBuilder().setHeader(header(nhs, "RJ1", ProviderKind.ACUTE, at)).setWard("AMU").build();
    }

    private static Prescription prescription(String nhs, Instant at) {
        return Prescription.newBuilder().setHeader(header(nhs, "FA123", ProviderKind.PHARMACY, at))
                .setMedication("Salbutamol inhaler").setRepeat(true).build();
    }

    private static SocialCareEvent socialCare(String nhs, Instant at) {
        return SocialCareEvent.newBuilder().setHeader(header(nhs, "E09000001", ProviderKind.SOCIAL_CARE, at))
                .setKind("assessment").build();
    }
}
