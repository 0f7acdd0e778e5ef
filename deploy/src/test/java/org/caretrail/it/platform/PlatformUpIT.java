package org.caretrail.it.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.caretrail.deploy.Platform;
import org.caretrail.deploy.PlatformSettings;
import org.caretrail.deploy.http.ApiAccess;
import org.caretrail.deploy.infra.Ports;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.events.topic.CareTopics;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What {@code caretrail up} runs, as one piece: embedded broker and registry, stream processor,
 * adapters, HTTP and the simulator. A simulated patient's timeline must be readable through the
 * API within 60 s of starting, and stopping leaves no server process behind.
 */
@Tag("integration")
class PlatformUpIT {

    private static final String TOKEN = "it-token-" + java.util.UUID.randomUUID();

    @Test
    void aSimulatedPatientsTimelineIsOnTheApiSoonAfterStarting() throws Exception {
        Path data = Files.createTempDirectory(Files.createDirectories(Path.of("target/it-data")), "up-");
        int httpPort = Ports.free();
        PlatformSettings settings = new PlatformSettings(data.toAbsolutePath(), null, null, Ports.free(), Ports.free(),
                "127.0.0.1", httpPort, Ports.free(), Path.of(System.getProperty("caretrail.registry.home")),
                System.getProperty("java.class.path"), 500, 100, 11, ApiAccess.bearer(TOKEN), null);
        long started = System.nanoTime();
        List<String> steps = new ArrayList<>();
        HttpClient http = HttpClient.newHttpClient();
        List<ProcessHandle> children;
        try (Platform platform = new Platform(settings).start(steps::add)) {
            assertThat(steps).anyMatch(s -> s.contains("Kafka broker")).anyMatch(s -> s.contains("schema registry"))
                    .anyMatch(s -> s.contains("simulator"));
            String command = platform.addresses().get("A simulated patient");
            assertThat(command).startsWith("./caretrail timeline ");
            String nhs = command.substring(command.lastIndexOf(' ') + 1);
            URI timeline = URI.create("http://127.0.0.1:" + httpPort + "/api/v1/patients/" + nhs + "/timeline");

            AtomicReference<JsonNode> body = new AtomicReference<>();
            // how long it took is printed (a measurement), not asserted: a loaded machine is slower
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(timeline)
                                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() != 200) {
                            return false;
                        }
                        body.set(CareEventJson.mapper().readTree(r.body()));
                        return true;
                    });
            System.out.printf("simulated patient's timeline on the API %.1f s after starting%n",
                    (System.nanoTime() - started) / 1e9);
            assertThat(body.get().path("nhsNumber").asText()).isEqualTo(nhs);
            assertThat(body.get().path("entries").size()).isPositive();

            // the APIs need the token; the web view's files and health do not
            HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(timeline).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"caretrail\"");
            HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(timeline)
                    .header("Authorization", "Bearer " + TOKEN + "x").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(wrong.statusCode()).isEqualTo(401);
            HttpResponse<String> fhir = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + httpPort + "/fhir/r4/metadata")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(fhir.statusCode()).isEqualTo(401);
            assertThat(fhir.body()).contains("OperationOutcome");
            assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            // the simulator's share of traffic through the FHIR gateway presents the token too: nothing fails
            await().atMost(Duration.ofSeconds(30)).until(() -> platform.simulatorProgress()
                    .map(p -> p.acknowledged() >= 500).orElse(false));
            assertThat(platform.simulatorProgress().orElseThrow().failed()).isZero();

            // every call about the patient is on care.access-audit under its NHS number, the refused ones too
            List<JsonNode> audited = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                audited.clear();
                audited.addAll(accessAudit(platform.bootstrapServers(), nhs));
                assertThat(audited).extracting(a -> a.get("status").asInt()).contains(200, 401);
            });
            assertThat(audited).filteredOn(a -> a.get("status").asInt() == 200)
                    .allSatisfy(a -> assertThat(a.get("authenticated").asBoolean()).isTrue());
            assertThat(audited).filteredOn(a -> a.get("status").asInt() == 401)
                    .allSatisfy(a -> assertThat(a.get("authenticated").asBoolean()).isFalse());
            // and `caretrail audit` shows them
            java.io.StringWriter printed = new java.io.StringWriter();
            picocli.CommandLine cli = org.caretrail.deploy.cli.CareTrail.commandLine();
            cli.setOut(new java.io.PrintWriter(printed));
            assertThat(cli.execute("audit", nhs, "--bootstrap-servers", platform.bootstrapServers())).isZero();
            assertThat(printed.toString()).startsWith("Calls about NHS number ")
                    .containsPattern(" 200 GET +127\\.0\\.0\\.1 .*/api/v1/patients/" + nhs + "/timeline")
                    .containsPattern(" 401 GET +127\\.0\\.0\\.1 ");

            HttpResponse<String> health = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + httpPort + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).contains("\"timeline\":\"UP\"");
            children = ProcessHandle.current().children().toList();
            assertThat(children).hasSizeGreaterThanOrEqualTo(2); // the broker and the registry
        }
        for (ProcessHandle child : children) {
            assertThat(child.isAlive()).as("child process " + child.pid() + " stopped").isFalse();
        }
    }

    /** The records of care.access-audit keyed by {@code nhs}, read from the beginning. */
    private static List<JsonNode> accessAudit(String bootstrap, String nhs) throws Exception {
        List<JsonNode> found = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringDeserializer(), new StringDeserializer())) {
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
