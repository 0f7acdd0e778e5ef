package org.caretrail.it.thirdparty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.caretrail.deploy.Platform;
import org.caretrail.deploy.PlatformSettings;
import org.caretrail.deploy.http.ApiAccess;
import org.caretrail.deploy.infra.Ports;
import org.caretrail.events.CareEventType;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.kafka.DurableProducer;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Source;
import org.caretrail.events.topic.CareTopics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * CareTrail's topics as a third party sees them, on what {@code caretrail up --no-kafka-security} runs (real
 * broker, real Apicurio registry, the stream processor and the rest): every registry subject CareTrail
 * registers is FULL_TRANSITIVE, the stream processor's internal ones too, and a non-Java client (Node's
 * kafkajs with an LZ4 codec over {@code lz4js} and {@code @kafkajs/confluent-schema-registry}, installed from npm into
 * {@code target/kafkajs}) reads a timeline change CareTrail wrote (LZ4) and writes admissions in the
 * Confluent wire format: the valid one reaches the timeline, the invalid one the dead-letter topic with its
 * reason.
 */
@Tag("integration")
class ThirdPartyClientIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "it-token-" + UUID.randomUUID();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static Platform platform;
    private static int httpPort;
    private static KafkaProducer<String, SpecificRecord> producer;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void start() throws Exception {
        Path data = Files.createTempDirectory(Files.createDirectories(Path.of("target/it-data")), "third-party-");
        httpPort = Ports.free();
        // no simulated patients: the records on the topics are this test's
        PlatformSettings settings = new PlatformSettings(data.toAbsolutePath(), null, null, Ports.free(), Ports.free(),
                "127.0.0.1", httpPort, Ports.free(), Path.of(System.getProperty("caretrail.registry.home")),
                System.getProperty("java.class.path"), 0, 1, 11, ApiAccess.bearer(TOKEN), null);
        platform = new Platform(settings).start(step -> { });
        producer = DurableProducer.create(platform.bootstrapServers(), "it-third-party", new StringSerializer(),
                (org.apache.kafka.common.serialization.Serializer<SpecificRecord>) (Object) platform.topics()
                        .events(CareEventType.ADMISSION).valueSerde().serializer());
    }

    @AfterAll
    static void stop() {
        if (producer != null) {
            producer.close();
        }
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void every_subject_caretrail_registers_is_full_transitive_once_the_platform_has_processed_an_event()
            throws Exception {
        String patient = nhs("999000101");
        String eventId = publishAdmission(patient);
        awaitOnTimeline(patient, eventId);

        List<String> subjects = new ArrayList<>();
        JSON.readTree(get(platform.registryUrl() + "/subjects").body()).forEach(s -> subjects.add(s.asText()));
        System.out.println("registry subjects: " + subjects);
        // the contract's subjects, and the stream processor's own (store format, changelogs, repartitions)
        assertThat(subjects).contains("care.admissions-value", "care.timeline-changes-value", "care.timelines-value",
                "caretrail.timeline-item-value");
        assertThat(subjects).anyMatch(s -> s.endsWith("-changelog-value"));
        for (String subject : subjects) {
            HttpResponse<String> config = get(platform.registryUrl() + "/config/"
                    + URLEncoder.encode(subject, StandardCharsets.UTF_8));
            assertThat(config.statusCode()).as("compatibility of " + subject).isEqualTo(200);
            JsonNode level = JSON.readTree(config.body());
            assertThat(level.has("compatibilityLevel") ? level.get("compatibilityLevel").asText()
                    : level.path("compatibility").asText()).as("compatibility of " + subject).isEqualTo("FULL_TRANSITIVE");
        }

        // a third party re-registering the admission schema without the header (old readers could not read it)
        // is refused, so "latest" stays a schema every reader can read
        Schema current = Admission.getClassSchema();
        Schema withoutHeader = Schema.createRecord(current.getName(), current.getDoc(), current.getNamespace(), false,
                current.getFields().stream().filter(f -> !f.name().equals("header"))
                        .map(f -> new Schema.Field(f, f.schema())).toList());
        HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(URI.create(platform.registryUrl()
                        + "/subjects/care.admissions-value/versions"))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.createObjectNode()
                        .put("schema", withoutHeader.toString()).toString())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(409);
    }

    @Test
    void a_node_kafkajs_client_reads_caretrails_lz4_records_and_writes_admissions_in_the_confluent_wire_format()
            throws Exception {
        NodeClient client = NodeClient.install();
        String read = nhs("999000102");
        String readEventId = publishAdmission(read);
        awaitOnTimeline(read, readEventId);
        String written = nhs("999000103");
        String writtenEventId = UUID.randomUUID().toString();
        String valid = nhs("999000104");
        String invalid = valid.substring(0, 9) + ((valid.charAt(9) - '0' + 1) % 10); // the wrong check digit
        String invalidEventId = UUID.randomUUID().toString();

        List<JsonNode> steps = client.run(Map.of(
                "CARETRAIL_BROKERS", platform.bootstrapServers(), "CARETRAIL_REGISTRY", platform.registryUrl(),
                "READ_PATIENT", read, "WRITE_PATIENT", written, "WRITE_EVENT_ID", writtenEventId,
                "INVALID_PATIENT", invalid, "INVALID_EVENT_ID", invalidEventId));

        // (a) it decompressed (LZ4) and decoded the change CareTrail wrote for the admission published above
        JsonNode change = NodeClient.step(steps, "read");
        assertThat(change.path("nhsNumber").asText()).isEqualTo(read);
        assertThat(change.path("eventId").asText()).isEqualTo(readEventId);
        assertThat(change.path("schemaId").asInt()).isPositive();
        assertThat(NodeClient.step(steps, "written").path("magicByte").asInt()).isZero();
        // (b) what it wrote is on the timeline ...
        awaitOnTimeline(written, writtenEventId);
        // ... and the admission with the wrong check digit is a dead letter with the reason
        ConsumerRecord<byte[], byte[]> dead = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1))
                .until(() -> deadLetterFor(invalid), r -> r != null);
        assertThat(header(dead, CareTopics.HEADER_SOURCE_TOPIC)).isEqualTo("care.admissions");
        assertThat(header(dead, CareTopics.HEADER_REASON)).contains("Modulus 11");
    }

    private static String nhs(String nine) {
        return NhsNumber.withCheckDigit(nine).orElseThrow().value();
    }

    /** An admission published as CareTrail's own ways in publish (durable producer, LZ4); its event id. */
    private static String publishAdmission(String patient) throws Exception {
        String eventId = UUID.randomUUID().toString();
        Instant at = Instant.now().minus(Duration.ofHours(2));
        Admission admission = Admission.newBuilder().setHeader(EventHeader.newBuilder()
                        .setEventId(eventId).setAction(org.caretrail.events.model.Action.NEW)
                        .setSubjectId("spell-" + eventId).setVersion(1).setOccurredAt(at).setRecordedAt(at)
                        .setSource(Source.newBuilder().setOdsCode("RJ1").setKind(ProviderKind.ACUTE).build())
                        .setPatient(PatientRef.newBuilder().setNhsNumber(patient).build()).build())
                .setWard("AMU").build();
        producer.send(new ProducerRecord<>(CareEventType.ADMISSION.topic(), patient, admission)).get(30, TimeUnit.SECONDS);
        return eventId;
    }

    private static void awaitOnTimeline(String patient, String eventId) {
        String url = "http://127.0.0.1:" + httpPort + "/api/v1/patients/" + patient + "/timeline";
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> {
            HttpResponse<String> r = get(url);
            if (r.statusCode() != 200) {
                return false;
            }
            for (JsonNode entry : JSON.readTree(r.body()).path("entries")) {
                if (entry.path("eventId").asText().equals(eventId)) {
                    return true;
                }
            }
            return false;
        });
    }

    private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + TOKEN).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static ConsumerRecord<byte[], byte[]> deadLetterFor(String patient) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, platform.bootstrapServers()),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(CareTopics.DEAD_LETTER).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < deadline && partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() != null && patient.equals(new String(r.key(), StandardCharsets.UTF_8))) {
                        return r;
                    }
                }
            }
        }
        return null;
    }

    private static String header(ConsumerRecord<?, ?> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
