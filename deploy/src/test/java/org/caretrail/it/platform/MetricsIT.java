package org.caretrail.it.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.client.interceptor.BearerTokenAuthInterceptor;
import ca.uhn.hl7v2.DefaultHapiContext;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.app.Connection;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.util.Terser;
import ca.uhn.hl7v2.validation.impl.ValidationContextFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.caretrail.deploy.MonitoringFiles;
import org.caretrail.deploy.Platform;
import org.caretrail.deploy.PlatformSettings;
import org.caretrail.deploy.http.ApiAccess;
import org.caretrail.deploy.http.HttpLimits;
import org.caretrail.deploy.infra.Ports;
import org.caretrail.events.NhsNumber;
import org.caretrail.producers.hl7.AdtMessageBuilder;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What an operator sees on {@code /metrics} of the real platform (secured Kafka, registry, stream processor,
 * adapters, subscriptions; no simulator, so every count is ours): one HL7 admission and one invalid HL7
 * message over MLLP with HAPI's MLLP client, FHIR reads with HAPI FHIR's generic client, then a scrape
 * with the operator's token. The counters move with the labels the HL7 and HTTP specifications give each
 * outcome, no NHS number appears anywhere in the scrape, and every metric the Grafana dashboard and the
 * alert rules query is in it.
 */
@Tag("integration")
class MetricsIT {

    private static final String TOKEN = "it-token-" + java.util.UUID.randomUUID();
    private static final Instant T0 = Instant.parse("2026-11-20T09:00:00Z");

    @Test
    void theCountersMoveWithTheRightLabelsAndNoPatientIsInTheScrape() throws Exception {
        Path data = Files.createTempDirectory(Files.createDirectories(Path.of("target/it-data")), "metrics-");
        int httpPort = Ports.free();
        int healthPort = Ports.free();
        PlatformSettings settings = new PlatformSettings(data.toAbsolutePath(), null, null, Ports.free(),
                Ports.free(), "127.0.0.1", httpPort, Ports.free(), Path.of(System.getProperty("caretrail.registry.home")),
                System.getProperty("java.class.path"), 0, 0, 11, ApiAccess.bearer(TOKEN), null, 1, healthPort,
                HttpLimits.defaults(), false, 0, null).withKafkaSecurity(data.toAbsolutePath().resolve("kafka-security"));
        String nhs = NhsNumber.withCheckDigit("999000123").orElseThrow().value();
        String badNhs = nhs.substring(0, 9) + ((nhs.charAt(9) - '0' + 1) % 10); // the check digit off by one
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + httpPort;
        try (Platform platform = new Platform(settings).start(step -> { })) {
            int mllpPort = Integer.parseInt(platform.addresses().get("HL7v2 MLLP").replaceAll(".*:", ""));
            String baseline = scrape(http, base);
            assertThat(count(baseline, "caretrail_mllp_messages_total", Map.of())).isZero();

            // HL7v2 over MLLP, as a PAS sends it: an admission (AA) and a discharge with a bad NHS number (AE)
            try (HapiContext hapi = new DefaultHapiContext()) {
                hapi.setValidationContext(ValidationContextFactory.noValidation());
                Connection mllp = hapi.newClient("127.0.0.1", mllpPort, false);
                mllp.getInitiator().setTimeout(30, TimeUnit.SECONDS);
                Message aa = mllp.getInitiator().sendAndReceive(hapi.getPipeParser().parse(
                        AdtMessageBuilder.adt("A01", "MET1", T0).nhsNumber(nhs).localId("40800123", "MRENTR")
                                .visitNumber("V1").location("WARD 7", "ST THOMAS").build()));
                assertThat(new Terser(aa).get("/MSA-1")).isEqualTo("AA");
                Message ae = mllp.getInitiator().sendAndReceive(hapi.getPipeParser().parse(
                        AdtMessageBuilder.adt("A03", "MET2", T0).nhsNumber(badNhs).localId("40800124", "MRENTR")
                                .visitNumber("V2").location("WARD 7", "ST THOMAS").build()));
                assertThat(new Terser(ae).get("/MSA-1")).isEqualTo("AE");
                mllp.close();
            }

            // FHIR R4 with HAPI FHIR's generic client: read the admitted patient once the timeline has them
            IGenericClient fhir = FhirContext.forR4().newRestfulGenericClient(base + "/fhir/r4");
            fhir.registerInterceptor(new BearerTokenAuthInterceptor(TOKEN));
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                    .until(() -> fhir.read().resource(Patient.class).withId(nhs).execute() != null);
            // and a caller without a token: 401, counted too
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/fhir/r4/metadata")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(401);

            // the dead letter is counted when the meter has read it back from care.dead-letter; freshness
            // when the stream processor's progress has been sampled after the admission's change
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                String s = scrape(http, base);
                assertThat(count(s, "caretrail_dead_letters_total", Map.of("reason", "invalid-event", "origin", "mllp")))
                        .isEqualTo(1.0);
                assertThat(count(s, "caretrail_timeline_freshness_seconds", Map.of())).isBetween(0.0, 600.0);
            });
            String scrape = scrape(http, base);
            System.out.printf("scrape: %,d lines, %,d bytes; CareTrail's own samples that are not 0:%n",
                    scrape.split("\n").length, scrape.length());
            scrape.lines().filter(l -> l.startsWith("caretrail_") && !l.endsWith(" 0.0"))
                    .forEach(l -> System.out.println("  " + l));

            assertThat(count(scrape, "caretrail_mllp_messages_total", Map.of("trigger", "ADT_A01", "ack", "AA")))
                    .isEqualTo(1.0);
            assertThat(count(scrape, "caretrail_mllp_messages_total", Map.of("trigger", "ADT_A03", "ack", "AE")))
                    .isEqualTo(1.0);
            assertThat(count(scrape, "caretrail_mllp_messages_total", Map.of())).isEqualTo(2.0);
            assertThat(count(scrape, "caretrail_events_published_total", Map.of("type", "admission"))).isEqualTo(1.0);
            assertThat(count(scrape, "caretrail_fhir_requests_total",
                    Map.of("resource", "Patient", "method", "GET", "status", "2xx"))).isGreaterThanOrEqualTo(1.0);
            assertThat(count(scrape, "caretrail_fhir_requests_total",
                    Map.of("resource", "metadata", "method", "GET", "status", "4xx"))).isEqualTo(1.0);
            assertThat(count(scrape, "caretrail_timeline_lag_records", Map.of())).isGreaterThanOrEqualTo(0.0);
            assertThat(count(scrape, "caretrail_timeline_running", Map.of())).isEqualTo(1.0);
            for (String part : new String[] {"broker", "registry", "timeline", "mllp", "delivery"}) {
                assertThat(count(scrape, "caretrail_health_up", Map.of("part", part))).as(part).isEqualTo(1.0);
            }
            assertThat(count(scrape, "caretrail_delivery_parked", Map.of())).isZero();

            // no patient anywhere: neither NHS number, nor the local identifiers, in any label or value
            assertThat(scrape).doesNotContain(nhs).doesNotContain(badNhs).doesNotContain("40800123")
                    .doesNotContain("40800124");

            // every metric the dashboard and the alert rules query is one this platform exposes
            Set<String> missing = new TreeSet<>(MonitoringFiles.allMetricNames());
            missing.removeAll(MonitoringFiles.scrapedNames(scrape));
            missing.removeAll(MonitoringFiles.PROMETHEUS_OWN);
            assertThat(missing).as("queried by deploy/monitoring but not on /metrics").isEmpty();

            // the API port's /metrics is an operator's; the health port's serves the local scraper
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(401);
            assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + healthPort + "/metrics"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body()).contains("caretrail_mllp_messages_total");

            // /health names the delivery part (no subscription: nothing parked, UP)
            String health = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(health).contains("\"delivery\":\"UP\"").contains("0 subscription(s) delivering");
        }
    }

    private static String scrape(HttpClient http, String base) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    /** The sum of the samples of {@code name} whose labels include {@code labels}; 0 when there is none. */
    static double count(String scrape, String name, Map<String, String> labels) {
        Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(\\{([^}]*)})? (\\S+)$", Pattern.MULTILINE);
        Matcher m = line.matcher(scrape);
        double sum = 0;
        while (m.find()) {
            String found = m.group(2) == null ? "" : m.group(2);
            if (labels.entrySet().stream().allMatch(e -> found.contains(e.getKey() + "=\"" + e.getValue() + "\""))) {
                sum += Double.parseDouble(m.group(3));
            }
        }
        return sum;
    }
}
