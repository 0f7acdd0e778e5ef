package org.caretrail.it.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.caretrail.deploy.Platform;
import org.caretrail.deploy.PlatformSettings;
import org.caretrail.deploy.http.ApiAccess;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.deploy.infra.Ports;
import org.caretrail.deploy.security.OidcTokens;
import org.caretrail.deploy.security.RoleMapping;
import org.caretrail.deploy.security.StaticToken;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;
import org.caretrail.it.RealInfrastructure;
import org.caretrail.producers.fhir.FhirMapper;
import org.caretrail.producers.publisher.CarePublisher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Identities from a REAL OpenID Connect provider: Keycloak, with the realm in
 * {@code src/test/resources/keycloak} (a user per role, a client-credentials client for an integration
 * system, a client whose tokens expire in 10 s, one for another audience, and a second realm: another
 * issuer). The platform trusts the {@code caretrail} realm for the audience {@code caretrail-api},
 * roles from {@code realm_access.roles}. Keycloak is started once for the class (it is slow: the
 * time to ready is printed).
 */
@Tag("integration")
class KeycloakIdentityIT {

    private static final String REALM = "caretrail";
    private static final String AUDIENCE = "caretrail-api";
    private static final String TEST_CLIENT = "caretrail-test";
    private static final String TEST_SECRET = "caretrail-test-secret-synthetic-0001";
    private static final String NHS = NhsNumber.withCheckDigit("999000453").orElseThrow().value();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    static KeycloakServer keycloak;
    static EmbeddedKafkaBroker broker;
    static Platform platform;
    static String base;
    static String shortLived;
    static Instant shortLivedExpires;

    @BeforeAll
    static void start() throws Exception {
        keycloak = KeycloakServer.start("caretrail", "elsewhere");
        broker = RealInfrastructure.newBroker();
        String registry = RealInfrastructure.registryUrl();
        double ready = keycloak.awaitReady(REALM, Duration.ofSeconds(300));
        keycloak.awaitReady("elsewhere", Duration.ofSeconds(30));
        System.out.printf("Keycloak ready %.1f s after its start (started beside the broker and registry)%n", ready);
        shortLived = keycloak.userToken(REALM, "short-lived", "short-lived-secret-synthetic-0001", "clinician",
                "clinician-pw-synthetic");
        shortLivedExpires = Instant.ofEpochSecond(claims(shortLived).get("exp").asLong());

        ApiAccess access = ApiAccess.with(StaticToken.of("keycloak-it-" + UUID.randomUUID(), StaticToken.DEFAULT_ROLES))
                .withOidc(OidcTokens.of(keycloak.issuer(REALM), AUDIENCE, null, RoleMapping.byName("realm_access.roles")));
        Path data = Files.createTempDirectory(Files.createDirectories(Path.of("target/it-data")), "keycloak-it-");
        int httpPort = Ports.free();
        platform = new Platform(new PlatformSettings(data.toAbsolutePath(), broker.bootstrapServers(), registry,
                Ports.free(), Ports.free(), "127.0.0.1", httpPort, Ports.free(), null,
                System.getProperty("java.class.path"), 0, 0, 1, access, null)).start(step -> { });
        base = "http://127.0.0.1:" + httpPort;
    }

    @AfterAll
    static void stop() throws Exception {
        if (platform != null) {
            platform.close();
        }
        if (broker != null) {
            broker.close();
        }
        if (keycloak != null) {
            keycloak.close();
        }
    }

    private static String user(String name, String password) throws Exception {
        return keycloak.userToken(REALM, TEST_CLIENT, TEST_SECRET, name, password);
    }

    private static HttpResponse<String> timeline(String token) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/patients/" + NHS + "/timeline"))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode claims(String jwt) throws Exception {
        return JSON.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]));
    }

    private static String encounter(String nhs, String spell) {
        return "{\"resourceType\":\"Encounter\",\"identifier\":[{\"system\":\"https://rj1.example/spell\",\"value\":\""
                + spell + "\"}],\"status\":\"in-progress\",\"class\":{\"system\":"
                + "\"http://terminology.hl7.org/CodeSystem/v3-ActCode\",\"code\":\"IMP\"},\"subject\":{\"identifier\":"
                + "{\"system\":\"" + FhirMapper.NHS_NUMBER_SYSTEM + "\",\"value\":\"" + nhs + "\"}},"
                + "\"serviceProvider\":{\"identifier\":{\"system\":\"" + FhirMapper.ODS_SYSTEM + "\",\"value\":\"RJ1\"}},"
                + "\"period\":{\"start\":\"" + Instant.now().minus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS)
                + "\"},\"location\":[{\"location\":{\"display\":\"WARD 3\"}}]}";
    }

    @Test
    void anIntegrationSystemPublishesThroughFhirAClinicianReadsAndNoOtherRoleDoes() throws Exception {
        String system = keycloak.clientToken(REALM, "integration-system", "integration-system-secret-synthetic-0001");
        HttpResponse<String> posted = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/fhir/r4/Encounter"))
                .header("Authorization", "Bearer " + system).header("Content-Type", "application/fhir+json")
                .POST(HttpRequest.BodyPublishers.ofString(encounter(NHS, "KC-1"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(posted.statusCode()).as(posted.body()).isEqualTo(201);

        String clinician = user("clinician", "clinician-pw-synthetic");
        HttpResponse<String> read = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                .until(() -> timeline(clinician), r -> r.statusCode() == 200);
        JsonNode page = JSON.readTree(read.body());
        assertThat(page.get("nhsNumber").asText()).isEqualTo(NHS);
        assertThat(page.get("entries").toString()).contains("ADMISSION");

        assertThat(timeline(system).statusCode()).as("an integration system cannot read").isEqualTo(403);
        assertThat(timeline(user("analyst", "analyst-pw-synthetic")).statusCode()).as("analyst").isEqualTo(403);
        String admin = user("subscriber-admin", "subscriber-admin-pw-synthetic");
        assertThat(timeline(admin).statusCode()).as("subscriber admin").isEqualTo(403);
        assertThat(timeline(user("operator", "operator-pw-synthetic")).statusCode()).as("operator").isEqualTo(403);
        assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/subscriptions"))
                .header("Authorization", "Bearer " + admin).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .as("the subscriber admin manages subscriptions").isEqualTo(200);
        assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/fhir/r4/Encounter"))
                .header("Authorization", "Bearer " + clinician).header("Content-Type", "application/fhir+json")
                .POST(HttpRequest.BodyPublishers.ofString(encounter(NHS, "KC-2"))).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).as("a clinician does not publish").isEqualTo(403);

        // the audit names the verified identity Keycloak vouched for
        String subject = claims(clinician).get("sub").asText();
        List<Map.Entry<String, JsonNode>> audit = AuditRecords.read(broker.bootstrapServers(), Set.of(NHS));
        assertThat(audit).anySatisfy(e -> {
            assertThat(e.getValue().get("status").asInt()).isEqualTo(200);
            assertThat(e.getValue().get("user").asText()).isEqualTo(subject);
            assertThat(e.getValue().get("client").asText()).isEqualTo(TEST_CLIENT);
            assertThat(e.getValue().get("verifiedBy").asText()).isEqualTo("OIDC_TOKEN");
            assertThat(e.getValue().get("roles").toString()).contains("CLINICIAN");
        });
        assertThat(audit).anySatisfy(e -> {
            assertThat(e.getValue().get("status").asInt()).isEqualTo(403);
            assertThat(e.getValue().get("client").asText()).isEqualTo("integration-system");
        });
    }

    @Test
    void restrictedEntriesOnlyForTheRoleGrantedThem() throws Exception {
        String nhs = NhsNumber.withCheckDigit("999000452").orElseThrow().value();
        try (CarePublisher publisher = CarePublisher.connect(broker.bootstrapServers(), platform.topics(), "kc-it")) {
            publisher.publish(attendance(nhs, "ED-NORMAL", Sensitivity.NORMAL)).join();
            publisher.publish(attendance(nhs, "ED-RESTRICTED", Sensitivity.RESTRICTED)).join();
        }
        String restricted = user("clinician-restricted", "restricted-pw-synthetic");
        String clinician = user("clinician", "clinician-pw-synthetic");
        URI uri = URI.create(base + "/api/v1/patients/" + nhs + "/timeline");
        HttpResponse<String> all = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> HTTP.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + restricted).build(),
                        HttpResponse.BodyHandlers.ofString()),
                        r -> r.statusCode() == 200 && entries(r.body()) == 2);
        assertThat(all.body()).contains("ED-RESTRICTED");
        HttpResponse<String> some = HTTP.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + clinician)
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(some.statusCode()).isEqualTo(200);
        JsonNode page = JSON.readTree(some.body());
        assertThat(page.get("entries")).hasSize(1);
        assertThat(some.body()).doesNotContain("ED-RESTRICTED");
        assertThat(page.get("summary").get("attendances").asInt()).isEqualTo(1);
    }

    @Test
    void expiredOtherIssuerOtherAudienceAndTamperedTokensAre401() throws Exception {
        String otherIssuer = keycloak.userToken("elsewhere", TEST_CLIENT, TEST_SECRET, "clinician",
                "clinician-pw-synthetic");
        assertThat(timeline(otherIssuer).statusCode()).as("another issuer").isEqualTo(401);
        String otherAudience = keycloak.userToken(REALM, "other-service", "other-service-secret-synthetic-0001",
                "clinician", "clinician-pw-synthetic");
        assertThat(claims(otherAudience).get("aud").toString()).doesNotContain(AUDIENCE);
        assertThat(timeline(otherAudience).statusCode()).as("another audience").isEqualTo(401);

        String good = user("clinician", "clinician-pw-synthetic");
        String[] parts = good.split("\\.");
        String promoted = claims(good).toString().replace("\"roles\":[\"clinician\"]",
                "\"roles\":[\"clinician\",\"restricted_access\"]");
        assertThat(promoted).contains("restricted_access");
        String tampered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(promoted.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
        HttpResponse<String> refused = timeline(tampered);
        assertThat(refused.statusCode()).as("tampered").isEqualTo(401);
        assertThat(refused.body()).contains("correlationId").doesNotContain("Exception");

        // Keycloak issued it for 10 s; past that and the tolerated clock skew, it is refused
        Duration wait = Duration.between(Instant.now(), shortLivedExpires.plusSeconds(OidcTokens.CLOCK_SKEW_SECONDS + 2));
        if (!wait.isNegative()) {
            Thread.sleep(wait.toMillis());
        }
        assertThat(timeline(shortLived).statusCode()).as("expired").isEqualTo(401);
        assertThat(timeline(good).statusCode()).as("the untampered token").isIn(200, 404);
    }

    private static int entries(String body) {
        try {
            return JSON.readTree(body).get("entries").size();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Attendance attendance(String nhs, String department, Sensitivity sensitivity) {
        Instant at = Instant.now().minus(2, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);
        EventHeader header = EventHeader.newBuilder()
                .setEventId(UUID.randomUUID().toString()).setAction(Action.NEW)
                .setSubjectId("ae-" + UUID.randomUUID()).setVersion(1)
                .setOccurredAt(at).setRecordedAt(at.plusSeconds(5))
                .setSource(new Source("RJ1", null, ProviderKind.ACUTE, "it"))
                .setPatient(PatientRef.newBuilder().setNhsNumber(nhs).build())
                .setSensitivity(sensitivity).build();
        return Attendance.newBuilder().setHeader(header).setDepartment(department).build();
    }
}
