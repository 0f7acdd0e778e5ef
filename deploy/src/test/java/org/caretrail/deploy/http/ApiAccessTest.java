package org.caretrail.deploy.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.caretrail.deploy.security.PeerCredential;
import org.caretrail.deploy.security.PeerCredentialTest;
import org.caretrail.deploy.security.StaticToken;
import org.caretrail.events.access.Caller;
import org.caretrail.events.access.Role;
import org.junit.jupiter.api.Test;

/** The access layer in front of the APIs, over the real JDK HTTP server, as a client sees it. */
class ApiAccessTest {

    private static final String TOKEN = "api-access-test-token-0123456789abcdef";
    private static final String PATIENT = "/api/v1/patients/9912003888/timeline";

    private final HttpClient client = HttpClient.newHttpClient();
    private final List<Caller> seen = new CopyOnWriteArrayList<>();

    @Test
    void withoutVerificationOnlyLoopbackIsServed() {
        ApiAccess open = ApiAccess.open();
        open.requireFor("127.0.0.1");
        open.requireFor("localhost");
        open.requireFor("::1");
        assertThatThrownBy(() -> open.requireFor("0.0.0.0"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("--no-auth is for loopback only");
        ApiAccess.bearer(TOKEN).requireFor("0.0.0.0");
        assertThatThrownBy(() -> ApiAccess.bearer("sixteen-chars-ok")).hasMessageContaining("at least 32");
    }

    @Test
    void aCallerWithoutTheTokenIs401AndTheTokenMustMatchExactly() throws Exception {
        try (PlatformHttpServer server = server(ApiAccess.bearer(TOKEN))) {
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> none = send(get(base + PATIENT).build());
            assertThat(none.statusCode()).isEqualTo(401);
            assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"caretrail\"");
            assertThat(none.body()).contains("Authorization: Bearer");
            assertThat(send(get(base + PATIENT).header("Authorization", "Bearer " + TOKEN + "0").build()).statusCode())
                    .isEqualTo(401);
            assertThat(send(get(base + PATIENT).header("Authorization", "Bearer " + TOKEN.substring(1)).build())
                    .statusCode()).isEqualTo(401);
            assertThat(send(get(base + PATIENT).header("Authorization", "Basic " + TOKEN).build()).statusCode())
                    .isEqualTo(401);
            assertThat(send(get(base + PATIENT).header("Authorization", "bearer " + TOKEN).build()).statusCode())
                    .isEqualTo(200);
            assertThat(seen).singleElement().satisfies(caller -> {
                assertThat(caller.subject()).isEqualTo(StaticToken.SUBJECT);
                assertThat(caller.verifiedBy()).isEqualTo(Caller.Verification.STATIC_TOKEN);
                assertThat(caller.roles()).isEqualTo(StaticToken.DEFAULT_ROLES);
            });

            HttpResponse<String> fhir = send(get(base + "/fhir/r4/metadata").build());
            assertThat(fhir.statusCode()).isEqualTo(401);
            assertThat(fhir.headers().firstValue("Content-Type")).get().asString().startsWith("application/fhir+json");
            assertThat(fhir.body()).contains("\"resourceType\":\"OperationOutcome\"").contains("\"code\":\"login\"");
            assertThat(send(get(base + "/web").build()).statusCode()).isEqualTo(204);
            assertThat(send(get(base + "/health").build()).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void eachRoleReachesOnlyItsOwnPaths() throws Exception {
        for (Role role : Role.values()) {
            try (PlatformHttpServer server = server(ApiAccess.with(StaticToken.of(TOKEN, Set.of(role))))) {
                String base = "http://127.0.0.1:" + server.port();
                String auth = "Bearer " + TOKEN;
                int timeline = send(get(base + PATIENT).header("Authorization", auth).build()).statusCode();
                int fhirPost = send(json(base + "/fhir/r4/Encounter", "application/fhir+json")
                        .header("Authorization", auth).build()).statusCode();
                int subscriptions = send(json(base + "/api/v1/subscriptions", "application/json")
                        .header("Authorization", auth).build()).statusCode();
                int metadata = send(get(base + "/fhir/r4/metadata").header("Authorization", auth).build()).statusCode();
                int unknown = send(get(base + "/api/v1/things").header("Authorization", auth).build()).statusCode();
                assertThat(timeline).as("%s reads a timeline", role).isEqualTo(role == Role.CLINICIAN ? 200 : 403);
                assertThat(fhirPost).as("%s posts FHIR", role).isEqualTo(role == Role.INTEGRATION_SYSTEM ? 200 : 403);
                assertThat(subscriptions).as("%s manages subscriptions", role)
                        .isEqualTo(role == Role.SUBSCRIBER_ADMIN ? 200 : 403);
                assertThat(metadata).as("any verified caller reads the CapabilityStatement").isEqualTo(200);
                assertThat(unknown).as("a path no rule names is denied to everyone").isEqualTo(403);
            }
        }
    }

    @Test
    void aWebPageCannotPostTextPlainFormsOrFromAnotherOriginNorUseAnotherHostName() throws Exception {
        try (PlatformHttpServer server = server(ApiAccess.bearer(TOKEN))) {
            String base = "http://127.0.0.1:" + server.port();
            String auth = "Bearer " + TOKEN;
            HttpResponse<String> plain = send(json(base + "/api/v1/subscriptions", "text/plain;charset=UTF-8")
                    .header("Authorization", auth).build());
            assertThat(plain.statusCode()).isEqualTo(415);
            assertThat(plain.body()).contains("application/json");
            assertThat(send(json(base + "/api/v1/subscriptions", "application/x-www-form-urlencoded")
                    .header("Authorization", auth).build()).statusCode()).isEqualTo(415);
            assertThat(send(HttpRequest.newBuilder(URI.create(base + "/api/v1/subscriptions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).header("Authorization", auth).build())
                    .statusCode()).as("no Content-Type at all").isEqualTo(415);
            HttpResponse<String> fhirPlain = send(json(base + "/fhir/r4/Encounter", "text/plain")
                    .header("Authorization", auth).build());
            assertThat(fhirPlain.statusCode()).isEqualTo(415);
            assertThat(fhirPlain.body()).contains("OperationOutcome").contains("application/fhir+json");

            HttpResponse<String> crossOrigin = send(json(base + "/api/v1/subscriptions", "application/json")
                    .header("Authorization", auth).header("Origin", "http://evil.example:8000").build());
            assertThat(crossOrigin.statusCode()).isEqualTo(403);
            assertThat(crossOrigin.body()).contains("evil.example");
            assertThat(send(json(base + "/api/v1/subscriptions", "application/json").header("Authorization", auth)
                    .header("Origin", "null").build()).statusCode()).as("a sandboxed page's opaque origin").isEqualTo(403);
            assertThat(send(json(base + "/api/v1/subscriptions", "application/json").header("Authorization", auth)
                    .header("Origin", base).build()).statusCode()).as("the platform's own origin").isEqualTo(200);
            HttpResponse<String> delete = send(HttpRequest.newBuilder(URI.create(base + "/api/v1/subscriptions/x"))
                    .DELETE().header("Authorization", auth).header("Origin", "https://evil.example").build());
            assertThat(delete.statusCode()).isEqualTo(403);
        }
        try (PlatformHttpServer server = server(ApiAccess.bearer(TOKEN).allowingOrigins(List.of("https://ehr.example.nhs.uk")))) {
            String base = "http://127.0.0.1:" + server.port();
            assertThat(send(json(base + "/api/v1/subscriptions", "application/json").header("Authorization", "Bearer " + TOKEN)
                    .header("Origin", "https://ehr.example.nhs.uk").build()).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void dnsRebindingIsRefusedByTheHostHeaderEvenOnReadsAndWithoutAuthentication() throws Exception {
        try (PlatformHttpServer server = server(ApiAccess.open())) {
            int port = server.port();
            // a page on rebind.evil.example whose name now resolves to 127.0.0.1 sends its own name as Host
            assertThat(raw(port, "GET " + PATIENT + " HTTP/1.1\r\nHost: rebind.evil.example:" + port + "\r\n"))
                    .startsWith("HTTP/1.1 403");
            assertThat(raw(port, "GET " + PATIENT + " HTTP/1.1\r\nHost: localhost:" + port + "\r\n"))
                    .startsWith("HTTP/1.1 200");
            assertThat(raw(port, "GET " + PATIENT + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"))
                    .startsWith("HTTP/1.1 200");
            assertThat(seen).allSatisfy(c -> assertThat(c.verifiedBy()).isEqualTo(Caller.Verification.NONE));
        }
    }

    @Test
    void aForwardedMarkerWithoutAValidPeerCredentialIsRefusedNotTrusted() throws Exception {
        PeerCredential peers = PeerCredentialTest.credential("the-peer-secret-shared-by-instances-0001");
        PeerCredential stranger = PeerCredentialTest.credential("somebody-elses-secret-not-ours-00000000");
        try (PlatformHttpServer server = server(ApiAccess.bearer(TOKEN).withPeers(peers))) {
            String base = "http://127.0.0.1:" + server.port();
            assertThat(send(get(base + PATIENT).header("Authorization", "Bearer " + TOKEN)
                    .header("X-CareTrail-Forwarded", "1").build()).statusCode()).isEqualTo(401);
            Caller clinician = new Caller("dr-a", "ehr", Caller.Verification.OIDC_TOKEN,
                    Set.of(Role.CLINICIAN, Role.RESTRICTED_ACCESS));
            HttpRequest.Builder forged = get(base + PATIENT);
            stranger.sign("GET", PATIENT, clinician).forEach(forged::header);
            assertThat(send(forged.build()).statusCode()).as("signed with another secret").isEqualTo(401);

            Map<String, String> signed = peers.sign("GET", PATIENT, clinician);
            HttpRequest.Builder good = get(base + PATIENT);
            signed.forEach(good::header);
            assertThat(send(good.build()).statusCode()).isEqualTo(200);
            assertThat(send(good.build()).statusCode()).as("the same signed request again: a replay").isEqualTo(401);
            assertThat(seen).singleElement().satisfies(c -> {
                assertThat(c.subject()).isEqualTo("dr-a");
                assertThat(c.client()).isEqualTo("ehr");
                assertThat(c.verifiedBy()).isEqualTo(Caller.Verification.PEER);
                assertThat(c.roles()).containsExactlyInAnyOrder(Role.CLINICIAN, Role.RESTRICTED_ACCESS);
            });
            HttpRequest.Builder otherPath = get(base + "/api/v1/patients/9434765919/timeline");
            peers.sign("GET", PATIENT, clinician).forEach(otherPath::header);
            assertThat(send(otherPath.build()).statusCode()).as("a signature for another patient").isEqualTo(401);
        }
    }

    private PlatformHttpServer server(ApiAccess access) throws Exception {
        PlatformHttpServer server = new PlatformHttpServer("127.0.0.1", 0, () -> "metrics");
        com.sun.net.httpserver.HttpHandler ok = exchange -> {
            if (exchange.getAttribute(Caller.ATTRIBUTE) instanceof Caller c) {
                seen.add(c);
            }
            exchange.getRequestBody().readAllBytes(); // as every real handler reads what it was sent
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        };
        server.protectWith(access)
                .mount("/api/v1/patients/", ok)
                .mount("/api/v1/subscriptions", ok)
                .mount("/api/v1/things", ok)
                .mount("/fhir/r4", ok)
                .mountPublic("/web", exchange -> {
                    exchange.sendResponseHeaders(204, -1);
                    exchange.close();
                })
                .start();
        return server;
    }

    private static HttpRequest.Builder get(String url) {
        return HttpRequest.newBuilder(URI.create(url));
    }

    private static HttpRequest.Builder json(String url, String contentType) {
        return HttpRequest.newBuilder(URI.create(url)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString("{\"resourceType\":\"Encounter\"}"));
    }

    private HttpResponse<String> send(HttpRequest request) throws Exception {
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** A request with exactly these headers (the JDK client will not send a Host of our choosing). */
    private static String raw(int port, String head) throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.getOutputStream().write((head + "Connection: close\r\n\r\n").getBytes(
                    java.nio.charset.StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
