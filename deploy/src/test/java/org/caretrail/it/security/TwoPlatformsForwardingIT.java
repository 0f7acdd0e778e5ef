package org.caretrail.it.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.caretrail.deploy.Platform;
import org.caretrail.deploy.PlatformSettings;
import org.caretrail.deploy.http.AccessAudit;
import org.caretrail.deploy.http.ApiAccess;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.deploy.infra.Ports;
import org.caretrail.deploy.security.PeerCredential;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;
import org.caretrail.it.RealInfrastructure;
import org.caretrail.producers.publisher.CarePublisher;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two whole platform instances on one real broker share the patients; a query to either is
 * answered, forwarded to the owner with the PEER credential (never the caller's token: the two
 * instances do not even share a static token), audited by both instances, under the canonical NHS
 * number whatever the spelling. Then the broker stops: a read that cannot be audited is refused.
 */
@Tag("integration")
class TwoPlatformsForwardingIT {

    private static final String TOKEN_A = "instance-a-token-" + UUID.randomUUID();
    private static final String TOKEN_B = "instance-b-token-" + UUID.randomUUID();
    private final HttpClient http = HttpClient.newHttpClient();

    record Instance(Platform platform, int port, String token) {
        URI timeline(String nhsText) {
            return URI.create("http://127.0.0.1:" + port + "/api/v1/patients/" + nhsText + "/timeline");
        }
    }

    @Test
    void forwardedWithThePeerCredentialAuditedTwiceAndRefusedWhenTheAuditIsDown() throws Exception {
        Path data = Files.createTempDirectory(Files.createDirectories(Path.of("target/it-data")), "two-platforms-");
        Path secret = data.resolve("peer-secret");
        PeerCredential.loadOrCreate(secret);
        EmbeddedKafkaBroker broker = RealInfrastructure.newBroker();
        String registry = RealInfrastructure.registryUrl();
        Instance a = null;
        Instance b = null;
        try {
            a = start(broker, registry, data.resolve("a"), TOKEN_A, secret);
            b = start(broker, registry, data.resolve("b"), TOKEN_B, secret);
            List<String> patients = new ArrayList<>();
            try (CarePublisher publisher = CarePublisher.connect(broker.bootstrapServers(), a.platform().topics(),
                    "two-platforms-it")) {
                for (int p = 0; patients.size() < 12; p++) {
                    var nhs = NhsNumber.withCheckDigit(String.format("999%06d", 710_000 + p));
                    if (nhs.isPresent()) {
                        patients.add(nhs.get().value());
                        publisher.publish(attendance(nhs.get().value())).join();
                    }
                }
            }
            Instance asked = a;
            Set<String> forwarded = new HashSet<>();
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                forwarded.clear();
                for (String nhs : patients) {
                    HttpResponse<String> r = get(asked, asked.timeline(nhs), asked.token(), Map.of());
                    if (r.statusCode() != 200) {
                        return false;
                    }
                    r.headers().firstValue("X-CareTrail-Served-By").ifPresent(by -> forwarded.add(nhs));
                }
                return !forwarded.isEmpty() && forwarded.size() < patients.size();
            });

            // the owner was asked with the peer credential and audited it as such, with the original caller
            String viaPeer = forwarded.iterator().next();
            List<Map.Entry<String, JsonNode>> audit = AuditRecords.read(broker.bootstrapServers(), Set.of(viaPeer));
            assertThat(audit).anySatisfy(e -> {
                assertThat(e.getValue().get("status").asInt()).isEqualTo(200);
                assertThat(e.getValue().get("verifiedBy").asText()).isEqualTo("STATIC_TOKEN");
                assertThat(e.getValue().get("forwardedByPeer").asBoolean()).isFalse();
            });
            assertThat(audit).anySatisfy(e -> {
                assertThat(e.getValue().get("status").asInt()).isEqualTo(200);
                assertThat(e.getValue().get("verifiedBy").asText()).isEqualTo("PEER");
                assertThat(e.getValue().get("originallyVerifiedBy").asText()).isEqualTo("STATIC_TOKEN");
                assertThat(e.getValue().get("user").asText()).isEqualTo("static-token");
                assertThat(e.getValue().get("forwardedByPeer").asBoolean()).isTrue();
            });

            // forwarded over TLS to B's peer port (what B advertises in Kafka's metadata), not to its API port
            String servedBy = get(a, a.timeline(viaPeer), TOKEN_A, Map.of()).headers()
                    .firstValue("X-CareTrail-Served-By").orElseThrow();
            int peerPort = Integer.parseInt(servedBy.substring(servedBy.lastIndexOf(':') + 1));
            assertThat(peerPort).isNotEqualTo(b.port());
            assertThat(b.platform().addresses().get("Other instances")).isEqualTo("https://" + servedBy
                    + " (mutual TLS from the peer secret)");
            // a caller without a certificate from the peer secret gets no HTTP at all there, not even with B's token
            HttpClient trustsAnything = HttpClient.newBuilder()
                    .sslContext(org.caretrail.deploy.http.PeerListenerTest.trustingAnythingWithoutACertificate()).build();
            assertThatThrownBy(() -> trustsAnything.send(HttpRequest.newBuilder(URI.create("https://" + servedBy
                    + "/api/v1/patients/" + viaPeer + "/timeline")).header("Authorization", "Bearer " + TOKEN_B)
                    .build(), HttpResponse.BodyHandlers.ofString())).isInstanceOf(java.io.IOException.class);
            assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://"
                    + servedBy + "/api/v1/patients/" + viaPeer + "/timeline")).header("Authorization", "Bearer "
                    + TOKEN_B).build(), HttpResponse.BodyHandlers.ofString())).isInstanceOf(java.io.IOException.class);

            // B does not know A's token: only the peer credential can have got the answer there
            assertThat(get(b, b.timeline(viaPeer), TOKEN_A, Map.of()).statusCode()).isEqualTo(401);
            // nor does claiming to be a forwarding peer get anyone in
            assertThat(get(b, b.timeline(viaPeer), null, Map.of("X-CareTrail-Forwarded", "1")).statusCode())
                    .isEqualTo(401);
            assertThat(get(b, b.timeline(viaPeer), TOKEN_B, Map.of("X-CareTrail-Forwarded", "1")).statusCode())
                    .isEqualTo(401);

            // every spelling serves the same patient and is audited under the same, canonical key
            String local = patients.stream().filter(p -> !forwarded.contains(p)).findFirst().orElseThrow();
            String spaced = NhsNumber.of(local).formatted();
            List<String> spellings = List.of(spaced.replace(' ', '-'), spaced.replace(' ', '+'),
                    spaced.replace(" ", "%20"));
            // an encoded control character (a leading tab) in the path never reaches the API: the front door
            // (Jetty's URI compliance) refuses it as suspicious, so it can neither serve the patient nor hide the
            // read under another key
            HttpResponse<String> tab = get(a, a.timeline("%09" + local), TOKEN_A, Map.of());
            assertThat(tab.statusCode()).isEqualTo(400);
            assertThat(tab.body()).startsWith("HTTP 400 ").doesNotContain(local);
            for (String spelling : spellings) {
                HttpResponse<String> r = get(a, a.timeline(spelling), TOKEN_A, Map.of());
                assertThat(r.statusCode()).as(spelling).isEqualTo(200);
                assertThat(r.body()).contains("\"nhsNumber\":\"" + local + "\"");
            }
            String wrongCheckDigit = local.substring(0, 9) + ((local.charAt(9) - '0' + 1) % 10);
            assertThat(get(a, a.timeline(wrongCheckDigit), TOKEN_A, Map.of()).statusCode()).isEqualTo(400);
            List<Map.Entry<String, JsonNode>> spelt = AuditRecords.read(broker.bootstrapServers(),
                    Set.of(local, AccessAudit.INVALID_PATIENT));
            for (String spelling : spellings) {
                assertThat(spelt).as(spelling).anySatisfy(e -> {
                    assertThat(e.getKey()).isEqualTo(local);
                    assertThat(e.getValue().get("path").asText()).contains(spelling);
                });
            }
            assertThat(spelt).anySatisfy(e -> {
                assertThat(e.getKey()).isEqualTo(AccessAudit.INVALID_PATIENT);
                assertThat(e.getValue().get("status").asInt()).isEqualTo(400);
                assertThat(e.getValue().get("path").asText()).contains(wrongCheckDigit);
            });

            // no audit, no data: with the broker gone, a read of a patient held right here is refused
            broker.close();
            HttpResponse<String> unaudited = get(a, a.timeline(local), TOKEN_A, Map.of());
            assertThat(unaudited.statusCode()).isEqualTo(503);
            assertThat(unaudited.body()).contains("access audit").doesNotContain("entries");
        } finally {
            for (Instance i : new Instance[] {a, b}) {
                if (i != null) {
                    i.platform().close();
                }
            }
            broker.close();
        }
    }

    private static Instance start(EmbeddedKafkaBroker broker, String registry, Path data, String token, Path secret)
            throws Exception {
        int port = Ports.free();
        ApiAccess access = ApiAccess.bearer(token).withPeers(PeerCredential.read(secret));
        Platform platform = new Platform(new PlatformSettings(data.toAbsolutePath(), broker.bootstrapServers(), registry,
                Ports.free(), Ports.free(), "127.0.0.1", port, Ports.free(), null, System.getProperty("java.class.path"),
                0, 0, 1, access, null)).start(step -> { });
        return new Instance(platform, port, token);
    }

    private HttpResponse<String> get(Instance to, URI uri, String token, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        headers.forEach(request::header);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Attendance attendance(String nhs) {
        Instant at = Instant.now().minus(3, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);
        EventHeader header = EventHeader.newBuilder()
                .setEventId(UUID.randomUUID().toString()).setAction(Action.NEW)
                .setSubjectId("ae-" + UUID.randomUUID()).setVersion(1)
                .setOccurredAt(at).setRecordedAt(at.plusSeconds(5))
                .setSource(new Source("RJ1", null, ProviderKind.ACUTE, "it"))
                .setPatient(PatientRef.newBuilder().setNhsNumber(nhs).build())
                .setSensitivity(Sensitivity.NORMAL).build();
        return Attendance.newBuilder().setHeader(header).setDepartment("ED").build();
    }
}
