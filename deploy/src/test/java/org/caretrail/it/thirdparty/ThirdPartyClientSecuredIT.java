package org.caretrail.it.thirdparty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.deploy.Platform;
import org.caretrail.deploy.PlatformSettings;
import org.caretrail.deploy.http.ApiAccess;
import org.caretrail.deploy.infra.Ports;
import org.caretrail.events.CareEventType;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.kafka.DurableProducer;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Source;
import org.caretrail.events.topic.CarePrincipal;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.it.RealInfrastructure;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The Node client on the secured broker, as the README's "Third-party clients" tells an operator to admit one:
 * a principal of its own (SCRAM-SHA-512, set by the operator), ACLs to read {@code care.timeline-changes} in its
 * own consumer group and to write {@code care.admissions}, and CareTrail's CA as PEM. It reads an LZ4 timeline
 * change over TLS and its admission reaches the timeline.
 */
@Tag("integration")
class ThirdPartyClientSecuredIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "it-token-" + UUID.randomUUID();
    private static final String PARTNER = "partner-x";
    private static final String GROUP = "partner-x-timeline";

    @Test
    @SuppressWarnings("unchecked")
    void a_node_client_with_its_own_scram_principal_reads_and_writes_over_tls() throws Exception {
        NodeClient client = NodeClient.install();
        Path data = Files.createTempDirectory(Files.createDirectories(Path.of("target/it-data")), "third-party-tls-");
        int httpPort = Ports.free();
        Path security = data.toAbsolutePath().resolve("kafka-security");
        PlatformSettings settings = new PlatformSettings(data.toAbsolutePath(), null, RealInfrastructure.registryUrl(),
                Ports.free(), Ports.free(), "127.0.0.1", httpPort, Ports.free(), null,
                System.getProperty("java.class.path"), 0, 0, 1, ApiAccess.bearer(TOKEN), null)
                .withKafkaSecurity(security);
        try (Platform platform = new Platform(settings).start(step -> { })) {
            String password = UUID.randomUUID().toString();
            try (Admin admin = Admin.create(platform.kafka(CarePrincipal.ADMIN).config())) {
                admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(PARTNER,
                        new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password)))
                        .all().get(30, TimeUnit.SECONDS);
                admin.createAcls(List.of(
                        allow(ResourceType.TOPIC, CareTopics.TIMELINE_CHANGES, AclOperation.READ),
                        allow(ResourceType.GROUP, GROUP, AclOperation.READ),
                        allow(ResourceType.TOPIC, CareEventType.ADMISSION.topic(), AclOperation.WRITE)))
                        .all().get(30, TimeUnit.SECONDS);
            }
            Path pem = data.resolve("caretrail-ca.pem");
            Files.writeString(pem, caPem(security));

            String read = nhs("999000201");
            String readEventId = publishAdmission(platform, read);
            awaitOnTimeline(httpPort, read, readEventId);
            String written = nhs("999000202");
            String writtenEventId = UUID.randomUUID().toString();
            String valid = nhs("999000203");
            String invalid = valid.substring(0, 9) + ((valid.charAt(9) - '0' + 1) % 10);

            List<JsonNode> steps = client.run(Map.ofEntries(
                    Map.entry("CARETRAIL_BROKERS", platform.bootstrapServers()),
                    Map.entry("CARETRAIL_REGISTRY", platform.registryUrl()),
                    Map.entry("CARETRAIL_CA_PEM", pem.toString()),
                    Map.entry("CARETRAIL_USER", PARTNER), Map.entry("CARETRAIL_PASSWORD", password),
                    Map.entry("CARETRAIL_GROUP", GROUP),
                    Map.entry("READ_PATIENT", read), Map.entry("WRITE_PATIENT", written),
                    Map.entry("WRITE_EVENT_ID", writtenEventId), Map.entry("INVALID_PATIENT", invalid),
                    Map.entry("INVALID_EVENT_ID", UUID.randomUUID().toString())));

            assertThat(NodeClient.step(steps, "read").path("eventId").asText()).isEqualTo(readEventId);
            awaitOnTimeline(httpPort, written, writtenEventId);
        }
    }

    private static AclBinding allow(ResourceType type, String name, AclOperation operation) {
        return new AclBinding(new ResourcePattern(type, name, PatternType.LITERAL),
                new AccessControlEntry("User:" + PARTNER, "*", operation, AclPermissionType.ALLOW));
    }

    /** The CA certificate of {@code truststore.p12}, as PEM (what {@code openssl pkcs12 -nokeys} prints). */
    private static String caPem(Path security) throws Exception {
        char[] password = Files.readAllLines(security.resolve("truststore.password")).get(0).strip().toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(security.resolve("truststore.p12"))) {
            store.load(in, password);
        }
        StringBuilder pem = new StringBuilder();
        for (String alias : Collections.list(store.aliases())) {
            Certificate cert = store.getCertificate(alias);
            pem.append("-----BEGIN CERTIFICATE-----\n")
                    .append(Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(cert.getEncoded()))
                    .append("\n-----END CERTIFICATE-----\n");
        }
        assertThat(pem).as("a certificate in the trust store").isNotEmpty();
        return pem.toString();
    }

    private static String nhs(String nine) {
        return NhsNumber.withCheckDigit(nine).orElseThrow().value();
    }

    @SuppressWarnings("unchecked")
    private static String publishAdmission(Platform platform, String patient) throws Exception {
        String eventId = UUID.randomUUID().toString();
        Instant at = Instant.now().minus(Duration.ofHours(2));
        Admission admission = Admission.newBuilder().setHeader(EventHeader.newBuilder()
                        .setEventId(eventId).setAction(Action.NEW)
                        .setSubjectId("spell-" + eventId).setVersion(1).setOccurredAt(at).setRecordedAt(at)
                        .setSource(Source.newBuilder().setOdsCode("RJ1").setKind(ProviderKind.ACUTE).build())
                        .setPatient(PatientRef.newBuilder().setNhsNumber(patient).build()).build())
                .setWard("AMU").build();
        try (KafkaProducer<String, SpecificRecord> producer = DurableProducer.create(
                platform.kafka(CarePrincipal.ADAPTERS).config(), "it-third-party-tls", new StringSerializer(),
                (org.apache.kafka.common.serialization.Serializer<SpecificRecord>) (Object) platform.topics()
                        .events(CareEventType.ADMISSION).valueSerde().serializer())) {
            producer.send(new ProducerRecord<>(CareEventType.ADMISSION.topic(), patient, admission))
                    .get(30, TimeUnit.SECONDS);
        }
        return eventId;
    }

    private static void awaitOnTimeline(int httpPort, String patient, String eventId) {
        HttpClient http = HttpClient.newHttpClient();
        URI url = URI.create("http://127.0.0.1:" + httpPort + "/api/v1/patients/" + patient + "/timeline");
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(url).header("Authorization", "Bearer " + TOKEN)
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return false;
            }
            for (JsonNode entry : JSON.readTree(r.body()).path("entries")) {
                if (entry.path("eventId").asText().equals(eventId)) {
                    return true;
                }
            }
            return false;
        });
    }
}
