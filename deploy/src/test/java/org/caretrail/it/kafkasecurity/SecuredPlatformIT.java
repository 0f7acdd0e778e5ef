package org.caretrail.it.kafkasecurity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.caretrail.deploy.Platform;
import org.caretrail.deploy.PlatformSettings;
import org.caretrail.deploy.http.ApiAccess;
import org.caretrail.deploy.infra.Ports;
import org.caretrail.events.CareEventType;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.events.json.ExampleEvents;
import org.caretrail.events.kafka.KafkaClientSettings;
import org.caretrail.events.model.Admission;
import org.caretrail.events.topic.CarePrincipal;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.it.RealInfrastructure;
import org.caretrail.producers.publisher.CarePublisher;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The whole platform on a secured embedded broker, as {@code caretrail up} runs by default: every part connects
 * as its own principal (a part without its ACLs would fail to start or to write), an event published through
 * the publisher library reaches the timeline API, the stream processor runs exactly_once_v2 under the timeline
 * principal, the access audit is written, and the operator reads it with the command line.
 */
@Tag("integration")
class SecuredPlatformIT {

    private static final String TOKEN = "it-token-" + UUID.randomUUID();

    @Test
    void anEventPublishedOnTheSecuredBrokerReachesTheTimelineApiThroughEveryPrincipal() throws Exception {
        Path data = Files.createTempDirectory(Files.createDirectories(Path.of("target/it-data")), "secured-up-");
        int httpPort = Ports.free();
        PlatformSettings settings = new PlatformSettings(data.toAbsolutePath(), null, RealInfrastructure.registryUrl(),
                Ports.free(), Ports.free(), "127.0.0.1", httpPort, Ports.free(), null,
                System.getProperty("java.class.path"), 0, 0, 1, ApiAccess.bearer(TOKEN), null)
                .withKafkaSecurity(data.toAbsolutePath().resolve("kafka-security"));
        List<String> steps = new ArrayList<>();
        try (Platform platform = new Platform(settings).start(steps::add)) {
            assertThat(steps).anyMatch(s -> s.startsWith("securing Kafka")).anyMatch(s -> s.contains("principals and ACLs"));
            assertThat(platform.addresses().get("Kafka")).contains("TLS, SASL/SCRAM, ACLs");

            // a provider system publishes with the adapters' principal, over TLS
            KafkaClientSettings adapters = platform.kafka(CarePrincipal.ADAPTERS);
            assertThat(adapters.securityProtocol()).isEqualTo("SASL_SSL");
            String nhs = NhsNumber.withCheckDigit("999000001").orElseThrow().value();
            Admission admission = (Admission) ExampleEvents.parsed(CareEventType.ADMISSION).event();
            admission.getHeader().setEventId(UUID.randomUUID().toString());
            admission.getHeader().getPatient().setNhsNumber(nhs);
            try (CarePublisher publisher = CarePublisher.connect(adapters, platform.registryUrl())) {
                publisher.publish(admission).get(30, TimeUnit.SECONDS);
            }

            HttpClient http = HttpClient.newHttpClient();
            URI timeline = URI.create("http://127.0.0.1:" + httpPort + "/api/v1/patients/" + nhs + "/timeline");
            JsonNode[] body = new JsonNode[1];
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(timeline)
                        .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    return false;
                }
                body[0] = CareEventJson.mapper().readTree(r.body());
                return body[0].path("entries").size() > 0;
            });
            assertThat(body[0].path("entries").get(0).path("eventId").asText())
                    .isEqualTo(admission.getHeader().getEventId());

            // the stream processor wrote under exactly_once_v2: its transactional ids are its application id's
            try (Admin admin = Admin.create(platform.kafka(CarePrincipal.ADMIN).config())) {
                List<String> transactional = admin.listTransactions().all().get(30, TimeUnit.SECONDS).stream()
                        .map(TransactionListing::transactionalId).toList();
                assertThat(transactional).isNotEmpty().allMatch(id -> id.startsWith(org.caretrail.timeline.TimelineSettings.DEFAULT_APPLICATION_ID));
                assertThat(admin.listConsumerGroups().all().get(30, TimeUnit.SECONDS))
                        .anyMatch(g -> g.groupId().equals(org.caretrail.timeline.TimelineSettings.DEFAULT_APPLICATION_ID));
            }

            // the read was audited by the audit's principal; the operator reads it, an analyst may not
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(audit(platform.kafka(CarePrincipal.ADMIN), nhs)).anyMatch(a -> a.path("status").asInt() == 200));
            java.io.StringWriter printed = new java.io.StringWriter();
            picocli.CommandLine cli = org.caretrail.deploy.cli.CareTrail.commandLine();
            cli.setOut(new java.io.PrintWriter(printed));
            assertThat(cli.execute("audit", nhs, "--bootstrap-servers", platform.bootstrapServers(),
                    "--kafka-security-dir", data.resolve("kafka-security").toString())).isZero();
            assertThat(printed.toString()).containsPattern(" 200 GET +127\\.0\\.0\\.1 ");
            assertThat(cli.execute("audit", nhs, "--bootstrap-servers", platform.bootstrapServers(),
                    "--kafka-config", data.resolve("kafka-security/clients/caretrail-analyst.properties").toString()))
                    .isNotZero();

            HttpResponse<String> health = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + httpPort + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.body()).contains("\"timeline\":\"UP\"").contains("\"broker\":\"UP\"");
        }

        // every security file is the owner's only; the client files are there for Kafka's own tools
        Path security = data.resolve("kafka-security");
        assertThat(security.resolve("clients/caretrail-analyst.properties")).exists();
        try (Stream<Path> files = Files.walk(security)) {
            for (Path f : files.toList()) {
                Set<java.nio.file.attribute.PosixFilePermission> mode = Files.getPosixFilePermissions(f);
                assertThat(PosixFilePermissions.toString(mode)).as(f.toString())
                        .isEqualTo(Files.isDirectory(f) ? "rwx------" : "rw-------");
            }
        }
        assertThat(Files.readString(data.resolve("server.properties")))
                .contains("allow.everyone.if.no.acl.found=false")
                .contains("StandardAuthorizer")
                .contains("CLIENT\\://localhost");
    }

    private static List<JsonNode> audit(KafkaClientSettings kafka, String nhs) throws Exception {
        List<JsonNode> found = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(kafka.config(Map.of(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")), new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(CareTopics.ACCESS_AUDIT).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < deadline && partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    if (nhs.equals(record.key())) {
                        found.add(CareEventJson.mapper().readTree(record.value()));
                    }
                }
            }
        }
        return found;
    }
}
