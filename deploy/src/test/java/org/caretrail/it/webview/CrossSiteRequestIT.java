package org.caretrail.it.webview;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.caretrail.deploy.Platform;
import org.caretrail.deploy.PlatformSettings;
import org.caretrail.deploy.http.ApiAccess;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.deploy.infra.Ports;
import org.caretrail.events.CareEventType;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.it.RealInfrastructure;
import org.jsoup.nodes.Document;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The attack of issue 10, item 1, in a REAL browser: a page from another origin (a tiny server on
 * another port) that the user happens to open POSTs {@code text/plain} (no CORS preflight) to the
 * subscriptions API, asking for every patient's RESTRICTED entries from the earliest, and a forged
 * FHIR admission; and tries the same with JSON (which needs a preflight). The platform runs with
 * {@code --no-auth}, the worst case: nothing but the cross-site checks stands in the way. Both are
 * refused (the access audit shows the browser's requests arrived and what they got) and nothing is
 * created: no subscription, no admission.
 */
@Tag("integration")
class CrossSiteRequestIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aPageFromAnotherOriginCanNeitherSubscribeNorForgeAnAdmission() throws Exception {
        Optional<Chromium> found = Chromium.find();
        if (System.getenv("CARETRAIL_REQUIRE_BROWSER") == null) {
            Assumptions.assumeTrue(found.isPresent(), "no Chromium here (.ci/run installs Debian's chromium)");
        }
        Chromium browser = found.orElseThrow(() -> new AssertionError(
                "CARETRAIL_REQUIRE_BROWSER is set but no chromium was found"));
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker()) {
            Path data = Files.createTempDirectory(Files.createDirectories(Path.of("target/it-data")), "cross-site-");
            int port = Ports.free();
            String api = "http://127.0.0.1:" + port;
            try (Platform platform = new Platform(new PlatformSettings(data.toAbsolutePath(), broker.bootstrapServers(),
                    RealInfrastructure.registryUrl(), Ports.free(), Ports.free(), "127.0.0.1", port, Ports.free(), null,
                    System.getProperty("java.class.path"), 0, 0, 1, ApiAccess.open(), null)).start(step -> { })) {
                HttpServer attacker = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
                byte[] page = attackPage(api).getBytes(StandardCharsets.UTF_8);
                attacker.createContext("/", exchange -> {
                    exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
                    exchange.sendResponseHeaders(200, page.length);
                    exchange.getResponseBody().write(page);
                    exchange.close();
                });
                attacker.start();
                Document rendered;
                try {
                    rendered = browser.render("http://localhost:" + attacker.getAddress().getPort() + "/");
                } finally {
                    attacker.stop(0);
                }
                assertThat(rendered.body().attr("data-state")).as("the attack page ran").isEqualTo("done");
                JsonNode results = JSON.readTree(rendered.getElementById("out").text());
                // sent without preflight (opaque answers) and the JSON ones blocked at preflight
                assertThat(results.get("subscription").asText()).isEqualTo("sent:opaque");
                assertThat(results.get("fhir").asText()).isEqualTo("sent:opaque");
                assertThat(results.get("subscriptionJson").asText()).startsWith("error:");
                assertThat(results.get("fhirJson").asText()).startsWith("error:");

                // the browser's requests arrived, and were refused
                List<JsonNode> audit = records(broker.bootstrapServers(), CareTopics.ACCESS_AUDIT);
                assertThat(audit).anySatisfy(r -> {
                    assertThat(r.get("path").asText()).isEqualTo("/api/v1/subscriptions");
                    assertThat(r.get("method").asText()).isEqualTo("POST");
                    assertThat(r.get("status").asInt()).isIn(403, 415);
                });
                assertThat(audit).anySatisfy(r -> {
                    assertThat(r.get("path").asText()).isEqualTo("/fhir/r4/Encounter");
                    assertThat(r.get("method").asText()).isEqualTo("POST");
                    assertThat(r.get("status").asInt()).isIn(403, 415);
                });
                assertThat(audit).noneSatisfy(r -> assertThat(r.get("status").asInt()).isBetween(200, 299));

                // and nothing was created
                HttpResponse<String> list = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(api + "/api/v1/subscriptions")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(list.statusCode()).isEqualTo(200);
                assertThat(list.body()).doesNotContain("attacker");
                assertThat(records(broker.bootstrapServers(), CareTopics.SUBSCRIPTIONS)).isEmpty();
                assertThat(records(broker.bootstrapServers(), CareEventType.ADMISSION.topic())).isEmpty();
            }
        }
    }

    /** The hostile page: what any site the user visits could run. */
    private static String attackPage(String api) {
        String subscription = "{\"callbackUrl\":\"http://127.0.0.1:9/attacker\",\"eventTypes\":[],"
                + "\"allowRestricted\":true,\"startFrom\":\"earliest\"}";
        String encounter = "{\"resourceType\":\"Encounter\",\"status\":\"in-progress\",\"class\":{\"code\":\"IMP\"},"
                + "\"subject\":{\"identifier\":{\"system\":\"https://fhir.nhs.uk/Id/nhs-number\",\"value\":\"9912003888\"}}}";
        return """
                <!doctype html><html><body data-state="running"><pre id="out"></pre><script>
                const API = '%s';
                const results = {};
                async function attempt(name, url, body, type, mode) {
                  try {
                    const r = await fetch(url, {method: 'POST', mode, headers: {'Content-Type': type}, body});
                    results[name] = 'sent:' + r.type;
                  } catch (e) { results[name] = 'error:' + e.message; }
                }
                (async () => {
                  await attempt('subscription', API + '/api/v1/subscriptions', JSON.stringify(%s), 'text/plain', 'no-cors');
                  await attempt('fhir', API + '/fhir/r4/Encounter', JSON.stringify(%s), 'text/plain', 'no-cors');
                  await attempt('subscriptionJson', API + '/api/v1/subscriptions', JSON.stringify(%s), 'application/json', 'cors');
                  await attempt('fhirJson', API + '/fhir/r4/Encounter', JSON.stringify(%s), 'application/fhir+json', 'cors');
                  document.getElementById('out').textContent = JSON.stringify(results);
                  document.body.dataset.state = 'done';
                })();
                </script></body></html>
                """.formatted(api, subscription, encounter, subscription, encounter);
    }

    private static List<JsonNode> records(String bootstrapServers, String topic) throws Exception {
        List<JsonNode> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers), new StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.value() != null) {
                        records.add(topic.equals(CareTopics.ACCESS_AUDIT) ? JSON.readTree(r.value())
                                : JSON.createObjectNode().put("bytes", r.value().length));
                    }
                }
            }
        }
        return records;
    }
}
