package org.caretrail.it.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
import org.caretrail.deploy.cli.CareTrail;
import org.caretrail.deploy.http.HttpLimits;
import org.caretrail.deploy.infra.Ports;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.events.topic.CareTopics;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What {@code caretrail up} runs, as one piece: embedded broker and registry, stream processor,
 * adapters, HTTP and the simulator. A simulated patient's timeline must be readable through the
 * API within 60 s of starting, and stopping leaves no server process behind.
 *
 * <p>The platform is built as {@code caretrail up --config caretrail.properties --set ...} builds it
 * ({@link CareTrail#up}), so what the settings file and {@code --set} say must reach the running server: the
 * API token and tighter HTTP and FHIR limits than the defaults, observed over real HTTP.
 */
@Tag("integration")
class PlatformUpIT {

    private static final String TOKEN = "it-token-" + java.util.UUID.randomUUID();
    /** The header limit the settings file sets (the default is 16 KiB). */
    private static final int MAX_HEADER_BYTES = 4096;
    /** Header padding over the file's limit and under the default. */
    private static final int LARGE_HEADER = 8 * 1024;

    @Test
    void aSimulatedPatientsTimelineIsOnTheApiSoonAfterStarting() throws Exception {
        Path data = Files.createTempDirectory(Files.createDirectories(Path.of("target/it-data")), "up-");
        int httpPort = Ports.free();
        // an operator's settings file: the API token, and limits tighter than the defaults (16 KiB of headers,
        // 1 MiB FHIR bodies); --set then lowers the FHIR body limit again, and the option must win over the file
        Path config = Files.createTempFile(data.getParent(), "caretrail-", ".properties");
        Files.writeString(config, "access.api-token = " + TOKEN + "\n"
                + "http.max-header-bytes = " + MAX_HEADER_BYTES + "\n"
                + "fhir.max-body-bytes = 65536\n");
        assertThat(HttpLimits.DEFAULT_MAX_HEADER_BYTES).as("the default takes the large header sent below")
                .isGreaterThan(LARGE_HEADER + 200);
        long started = System.nanoTime();
        List<String> steps = new ArrayList<>();
        HttpClient http = HttpClient.newHttpClient();
        List<ProcessHandle> children;
        try (Platform platform = CareTrail.up("--config", config.toString(), "--set", "fhir.max-body-bytes=32768",
                "--data-dir", data.toAbsolutePath().toString(), "--kafka-port", "" + Ports.free(),
                "--registry-port", "" + Ports.free(), "--http-host", "127.0.0.1", "--http-port", "" + httpPort,
                "--mllp-port", "" + Ports.free(), "--health-port=-1", "--patients", "500", "--rate", "100",
                "--seed", "11", "--no-kafka-security").start(steps::add)) {
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

            // http.max-header-bytes from the file: headers the default would take are refused 431, smaller ones not
            assertThat(statusWithHeaderOf(httpPort, LARGE_HEADER)).isEqualTo("HTTP/1.1 431");
            assertThat(statusWithHeaderOf(httpPort, 1024)).isEqualTo("HTTP/1.1 200");

            // fhir.max-body-bytes: 64 KiB in the file, 32 KiB by --set (both above what the simulator posts, which
            // must not fail); the option wins, the gateway says so and keeps to it
            URI fhirBase = URI.create("http://127.0.0.1:" + httpPort + "/fhir/r4/");
            HttpResponse<String> metadata = http.send(HttpRequest.newBuilder(fhirBase.resolve("metadata"))
                    .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(metadata.statusCode()).isEqualTo(200);
            assertThat(metadata.body()).contains("a body of at most 32768 bytes");
            String patient = "{\"resourceType\":\"Patient\",\"id\":\"padding\",\"gender\":\"unknown\"}";
            String oversized = patient.substring(0, patient.length() - 1) + ",\"_gender\":{\"id\":\""
                    + "x".repeat(40_000) + "\"}}"; // about 40 KB: under the file's 64 KiB, over --set's 32 KiB
            HttpResponse<String> tooLarge = http.send(HttpRequest.newBuilder(fhirBase.resolve("Patient"))
                    .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/fhir+json")
                    .POST(HttpRequest.BodyPublishers.ofString(oversized)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(tooLarge.statusCode()).isEqualTo(413);
            assertThat(tooLarge.body()).contains("OperationOutcome").contains("the limit is 32768 bytes");
            children = ProcessHandle.current().children().toList();
            assertThat(children).hasSizeGreaterThanOrEqualTo(2); // the broker and the registry
        }
        for (ProcessHandle child : children) {
            assertThat(child.isAlive()).as("child process " + child.pid() + " stopped").isFalse();
        }
    }

    /**
     * The status line's first 12 bytes ({@code HTTP/1.1 431}) of a GET of /health whose headers carry {@code bytes}
     * bytes of padding, over a raw socket (the server may close before reading all of a refused request, which an
     * HTTP client can report as a reset rather than the answer).
     */
    private static String statusWithHeaderOf(int port, int bytes) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("GET /health HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nX-Padding: "
                    + "a".repeat(bytes) + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
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
