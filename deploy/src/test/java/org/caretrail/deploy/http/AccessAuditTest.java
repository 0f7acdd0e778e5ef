package org.caretrail.deploy.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.caretrail.timeline.query.TimelineApi;
import org.junit.jupiter.api.Test;

class AccessAuditTest {

    private static final String TOKEN = "audit-test-token-0123456789-abcdefghij";
    private static final String NHS = "9912003888";
    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PATIENT_DATA = "{\"nhsNumber\":\"9912003888\",\"entries\":[\"secret\"]}";

    private final HttpClient client = HttpClient.newHttpClient();
    private final List<Map.Entry<String, JsonNode>> recorded = new CopyOnWriteArrayList<>();
    private final AtomicBoolean kafkaDown = new AtomicBoolean();

    private AccessAudit audit() {
        return new AccessAudit((key, json) -> {
            if (kafkaDown.get()) {
                return CompletableFuture.failedFuture(new org.apache.kafka.common.errors.TimeoutException("down"));
            }
            try {
                recorded.add(Map.entry(key, JSON.readTree(json)));
            } catch (Exception e) {
                return CompletableFuture.failedFuture(e);
            }
            return CompletableFuture.completedFuture(null);
        }, Clock.fixed(NOW, ZoneOffset.UTC));
    }

    private PlatformHttpServer server(AccessAudit audit) throws Exception {
        PlatformHttpServer server = new PlatformHttpServer("127.0.0.1", 0, () -> "");
        server.protectWith(ApiAccess.bearer(TOKEN)).auditWith(audit)
                .mount(TimelineApi.PATH_PREFIX, exchange -> {
                    byte[] body = PATIENT_DATA.getBytes();
                    exchange.sendResponseHeaders(200, body.length);
                    exchange.getResponseBody().write(body);
                    exchange.close();
                })
                .mount("/api/v1/subscriptions", exchange -> {
                    exchange.sendResponseHeaders(204, -1);
                    exchange.close();
                })
                .mountPublic("/web", exchange -> {
                    exchange.sendResponseHeaders(204, -1);
                    exchange.close();
                })
                .start();
        return server;
    }

    @Test
    void everyCallIsRecordedWithTheVerifiedCallerBeforeItIsAnsweredRefusedOnesToo() throws Exception {
        try (PlatformHttpServer server = server(audit())) {
            String base = "http://127.0.0.1:" + server.port();
            String timeline = base + "/api/v1/patients/" + NHS + "/timeline?asOf=2026-11-01";

            send(HttpRequest.newBuilder(URI.create(timeline)).header("Authorization", "Bearer " + TOKEN)
                    .header(AccessAudit.USER_HEADER, "dr.someone.else@example.nhs.uk").build());
            // written before the answer: no waiting needed
            assertThat(recorded).hasSize(1);
            send(HttpRequest.newBuilder(URI.create(timeline)).build());
            // claiming to be a forwarding peer is no longer a way around the audit
            send(HttpRequest.newBuilder(URI.create(timeline)).header("Authorization", "Bearer " + TOKEN)
                    .header(TimelineApi.FORWARDED_HEADER, "1").build());
            send(HttpRequest.newBuilder(URI.create(base + "/web")).build());
        }
        assertThat(recorded).extracting(Map.Entry::getKey).containsExactly(NHS, NHS, NHS);
        JsonNode allowed = recorded.get(0).getValue();
        assertThat(allowed.get("at").asText()).isEqualTo(NOW.toString());
        assertThat(allowed.get("method").asText()).isEqualTo("GET");
        assertThat(allowed.get("query").asText()).isEqualTo("asOf=2026-11-01");
        assertThat(allowed.get("nhsNumber").asText()).isEqualTo(NHS);
        assertThat(allowed.get("status").asInt()).isEqualTo(200);
        assertThat(allowed.get("authenticated").asBoolean()).isTrue();
        assertThat(allowed.get("user").asText()).as("the verified subject, not the header").isEqualTo("static-token");
        assertThat(allowed.get("verifiedBy").asText()).isEqualTo("STATIC_TOKEN");
        assertThat(allowed.get("roles").toString()).contains("CLINICIAN");
        assertThat(allowed.get("claimedUser").asText()).isEqualTo("dr.someone.else@example.nhs.uk");
        assertThat(allowed.get("remoteAddress").asText()).isEqualTo("127.0.0.1");
        JsonNode refused = recorded.get(1).getValue();
        assertThat(refused.get("status").asInt()).isEqualTo(401);
        assertThat(refused.get("authenticated").asBoolean()).isFalse();
        assertThat(refused.get("user").isNull()).isTrue();
        assertThat(refused.get("refusal").asText()).contains("token");
        JsonNode forged = recorded.get(2).getValue();
        assertThat(forged.get("status").asInt()).isEqualTo(401);
        assertThat(forged.get("refusal").asText()).contains("peer credential");
    }

    @Test
    void everySpellingOfOneNhsNumberIsOneKeyAndAnInvalidOneIsItsOwn() {
        assertThat(AccessAudit.subject("/api/v1/patients/991%20200%203888/timeline")).isEqualTo(NHS);
        assertThat(AccessAudit.subject("/api/v1/patients/991-200-3888/timeline")).isEqualTo(NHS);
        assertThat(AccessAudit.subject("/api/v1/patients/991+200+3888/timeline")).isEqualTo(NHS);
        assertThat(AccessAudit.subject("/api/v1/patients/%099912003888/timeline")).isEqualTo(NHS);
        assertThat(AccessAudit.subject("/api/v1/patients/9409401122/timeline")).isEqualTo(AccessAudit.INVALID_PATIENT);
        assertThat(AccessAudit.subject("/api/v1/patients/%ZZ/timeline")).isEqualTo(AccessAudit.INVALID_PATIENT);
        assertThat(AccessAudit.subject("/api/v1/subscriptions/abc/redeliver")).isEqualTo("/api/v1/subscriptions");
        assertThat(AccessAudit.subject("/fhir/r4/Encounter")).isEqualTo("/fhir/r4/Encounter");
        // the FHIR read API: every form that names a patient is recorded under the canonical NHS number
        assertThat(AccessAudit.subject("/fhir/r4/Patient/9912003888")).isEqualTo(NHS);
        assertThat(AccessAudit.subject("/fhir/r4/Patient/9912003888/$everything")).isEqualTo(NHS);
        assertThat(AccessAudit.subject("/fhir/r4/Encounter/9912003888-0123456789abcdef0123456789abcdef"))
                .isEqualTo(NHS);
        assertThat(AccessAudit.subject("/fhir/r4/Encounter?patient=Patient%2F991-200-3888&_count=5")).isEqualTo(NHS);
        assertThat(AccessAudit.subject("/fhir/r4/MedicationRequest?subject=9912003888")).isEqualTo(NHS);
        assertThat(AccessAudit.subject("/fhir/r4/Patient?identifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number%7C"
                + "9912003888")).isEqualTo(NHS);
        assertThat(AccessAudit.subject("/fhir/r4/Encounter?patient=9409401122")).isEqualTo(AccessAudit.INVALID_PATIENT);
        assertThat(AccessAudit.subject("/fhir/r4/Subscription/abc/$events")).isEqualTo("/fhir/r4/Subscription");
        assertThat(AccessAudit.subject("/fhir/r4")).isEqualTo("/fhir/r4");
    }

    @Test
    void aPatientReadThatCannotBeAuditedIsRefusedWith503AndNoData() throws Exception {
        kafkaDown.set(true);
        try (PlatformHttpServer server = server(audit())) {
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> read = client.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/patients/" + NHS
                    + "/timeline")).header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(read.statusCode()).isEqualTo(503);
            assertThat(read.body()).doesNotContain("secret").contains("access audit").contains("correlationId");
            assertThat(read.headers().firstValue("Retry-After")).isPresent();
            // not about a patient: answered, and the lost record is logged
            HttpResponse<String> other = client.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/subscriptions"))
                    .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(other.statusCode()).isEqualTo(204);
            kafkaDown.set(false);
            HttpResponse<String> again = client.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/patients/" + NHS
                    + "/timeline")).header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(again.statusCode()).isEqualTo(200);
            assertThat(again.body()).isEqualTo(PATIENT_DATA);
        }
    }

    private void send(HttpRequest request) throws Exception {
        client.send(request, HttpResponse.BodyHandlers.discarding());
    }
}
