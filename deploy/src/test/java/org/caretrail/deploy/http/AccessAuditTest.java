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
import java.util.concurrent.CopyOnWriteArrayList;
import org.caretrail.timeline.query.TimelineApi;
import org.junit.jupiter.api.Test;

class AccessAuditTest {

    private static final String TOKEN = "audit-test-token-0123456789";
    private static final String NHS = "9912003888";
    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient client = HttpClient.newHttpClient();

    @Test
    void everyCallIsRecordedUnderThePatientItIsAboutRefusedOnesToo() throws Exception {
        List<Map.Entry<String, JsonNode>> recorded = new CopyOnWriteArrayList<>();
        AccessAudit audit = new AccessAudit((key, json) -> {
            try {
                recorded.add(Map.entry(key, JSON.readTree(json)));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, Clock.fixed(NOW, ZoneOffset.UTC));
        try (PlatformHttpServer server = new PlatformHttpServer("127.0.0.1", 0, () -> "")) {
            server.protectWith(ApiAccess.bearer(TOKEN)).auditWith(audit)
                    .mount(TimelineApi.PATH_PREFIX, exchange -> {
                        exchange.sendResponseHeaders(200, -1);
                        exchange.close();
                    })
                    .mountPublic("/web", exchange -> {
                        exchange.sendResponseHeaders(204, -1);
                        exchange.close();
                    })
                    .start();
            String base = "http://127.0.0.1:" + server.port();
            String timeline = base + "/api/v1/patients/" + NHS + "/timeline?asOf=2026-11-01";

            send(HttpRequest.newBuilder(URI.create(timeline)).header("Authorization", "Bearer " + TOKEN)
                    .header(AccessAudit.USER_HEADER, "dr.synthetic@example.nhs.uk").build());
            send(HttpRequest.newBuilder(URI.create(timeline)).build());
            // a query another instance forwarded was recorded there
            send(HttpRequest.newBuilder(URI.create(timeline)).header("Authorization", "Bearer " + TOKEN)
                    .header(TimelineApi.FORWARDED_HEADER, "1").build());
            // the web view's own files carry no patient data
            send(HttpRequest.newBuilder(URI.create(base + "/web")).build());
        }

        // recorded once each answer has gone, so possibly just after the client has it
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> recorded.size() >= 2);
        Thread.sleep(200); // nothing more is coming: the forwarded call and the web view's file are not recorded
        assertThat(recorded).extracting(Map.Entry::getKey).containsExactly(NHS, NHS);
        JsonNode allowed = recorded.stream().map(Map.Entry::getValue).filter(r -> r.get("status").asInt() == 200)
                .findFirst().orElseThrow();
        assertThat(allowed.get("at").asText()).isEqualTo(NOW.toString());
        assertThat(allowed.get("method").asText()).isEqualTo("GET");
        assertThat(allowed.get("query").asText()).isEqualTo("asOf=2026-11-01");
        assertThat(allowed.get("nhsNumber").asText()).isEqualTo(NHS);
        assertThat(allowed.get("status").asInt()).isEqualTo(200);
        assertThat(allowed.get("authenticated").asBoolean()).isTrue();
        assertThat(allowed.get("user").asText()).isEqualTo("dr.synthetic@example.nhs.uk");
        assertThat(allowed.get("remoteAddress").asText()).isEqualTo("127.0.0.1");
        JsonNode refused = recorded.stream().map(Map.Entry::getValue).filter(r -> r.get("status").asInt() == 401)
                .findFirst().orElseThrow();
        assertThat(refused.get("status").asInt()).isEqualTo(401);
        assertThat(refused.get("authenticated").asBoolean()).isFalse();
        assertThat(refused.get("user").isNull()).isTrue();
    }

    @Test
    void callsNotAboutOnePatientAreKeyedByTheirApi() {
        assertThat(AccessAudit.subject("/api/v1/patients/991%20200%203888/timeline")).isEqualTo(NHS);
        assertThat(AccessAudit.subject("/api/v1/patients/9409401122/timeline")).isEqualTo("invalid-patient");
        assertThat(AccessAudit.subject("/api/v1/subscriptions/abc/redeliver")).isEqualTo("/api/v1/subscriptions");
        assertThat(AccessAudit.subject("/fhir/r4/Encounter")).isEqualTo("/fhir/r4/Encounter");
        assertThat(AccessAudit.subject("/fhir/r4")).isEqualTo("/fhir/r4");
    }

    private void send(HttpRequest request) throws Exception {
        client.send(request, HttpResponse.BodyHandlers.discarding());
    }
}
