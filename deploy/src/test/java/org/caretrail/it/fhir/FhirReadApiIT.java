package org.caretrail.it.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.client.interceptor.BearerTokenAuthInterceptor;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.caretrail.deploy.Platform;
import org.caretrail.deploy.PlatformSettings;
import org.caretrail.deploy.http.ApiAccess;
import org.caretrail.deploy.infra.Ports;
import org.caretrail.deploy.security.StaticToken;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.caretrail.events.fhir.FhirSystems;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Referral;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.access.Role;
import org.caretrail.producers.publisher.CarePublisher;
import org.caretrail.producers.simulator.PopulationSimulator;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The FHIR read API on the whole platform ({@code caretrail up}: real broker and registry, stream
 * processor, adapters, simulator), read with HAPI FHIR's generic client as a GP system or shared care
 * record would, with OpenID Connect tokens verified by the platform's own verifier. The oracle is the
 * timeline API (already tested against the rules): the FHIR resources must be exactly the timeline's
 * care items, in FHIR R4 (HAPI FHIR's validator), one clinician seeing what the timeline shows them.
 */
@Tag("integration")
class FhirReadApiIT {

    static final FhirContext FHIR = FhirContext.forR4();
    static final String STATIC = "static-" + UUID.randomUUID();
    static final int PATIENTS = 60;
    static final long SEED = 11;

    static TestIssuer issuer;
    static Platform platform;
    static String base;
    static String nhs;
    static String clinician;
    static String restrictedReader;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        issuer = new TestIssuer();
        Path data = Files.createTempDirectory(Files.createDirectories(Path.of("target/it-data")), "fhir-read-");
        int httpPort = Ports.free();
        ApiAccess access = ApiAccess.with(StaticToken.of(STATIC, EnumSet.of(Role.INTEGRATION_SYSTEM)))
                .withOidc(issuer.verifier());
        PlatformSettings settings = new PlatformSettings(data.toAbsolutePath(), null, null, Ports.free(), Ports.free(),
                "127.0.0.1", httpPort, Ports.free(), Path.of(System.getProperty("caretrail.registry.home")),
                System.getProperty("java.class.path"), PATIENTS, 2000, SEED, access, null);
        platform = new Platform(settings).start(step -> { });
        base = "http://127.0.0.1:" + httpPort + "/fhir/r4";
        nhs = simulatedPatientWithSpellsReferralsAndMedicines();
        clinician = issuer.token("dr-synthetic", Role.CLINICIAN);
        restrictedReader = issuer.token("dr-sexual-health", Role.CLINICIAN, Role.RESTRICTED_ACCESS);
    }

    @AfterAll
    static void stop() {
        if (platform != null) {
            platform.close();
        }
        if (issuer != null) {
            issuer.close();
        }
    }

    /** A patient of the simulated population (same seed) with an admission or attendance, a referral and a prescription. */
    static String simulatedPatientWithSpellsReferralsAndMedicines() {
        PopulationSimulator population = new PopulationSimulator(SEED, PATIENTS, Clock.systemUTC());
        for (int i = 0; i < PATIENTS; i++) {
            Set<CareEventType> kinds = new HashSet<>();
            for (SpecificRecord event : population.eventsOf(i)) {
                if (CareEvents.header(event).getPatient().getNhsNumber() != null) {
                    kinds.add(CareEventType.of(event));
                }
            }
            if ((kinds.contains(CareEventType.ADMISSION) || kinds.contains(CareEventType.ATTENDANCE))
                    && kinds.contains(CareEventType.REFERRAL) && kinds.contains(CareEventType.PRESCRIPTION)) {
                return population.patient(i).nhsNumber().value();
            }
        }
        throw new IllegalStateException("no simulated patient with spells, referrals and medicines");
    }

    static IGenericClient client(String token) {
        IGenericClient client = FHIR.newRestfulGenericClient(base);
        client.registerInterceptor(new BearerTokenAuthInterceptor(token));
        return client;
    }

    /** The patient's timeline (history) from the timeline API, as the same caller. */
    static JsonNode timeline(String token) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base.replace("/fhir/r4", "")
                        + "/api/v1/patients/" + nhs + "/timeline?history=true&size=1000"))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return CareEventJson.mapper().readTree(r.body());
    }

    /** The care items of the timeline's entries of these types: spells count once. */
    static Set<String> items(JsonNode timeline, Set<String> types) {
        Set<String> items = new HashSet<>();
        for (JsonNode e : timeline.path("entries")) {
            String type = e.path("type").asText();
            if (!types.contains(type)) {
                continue;
            }
            String ods = e.path("source").path("odsCode").asText();
            items.add(switch (type) {
                case "ADMISSION" -> "spell|" + ods + "|" + e.path("subjectId").asText();
                case "TRANSFER", "DISCHARGE" -> "spell|" + ods + "|" + e.path("details").path("spellId").asText();
                default -> e.path("entryId").asText();
            });
        }
        return items;
    }

    static <T extends Resource> List<T> all(IGenericClient client, Class<T> type, Bundle first) {
        List<T> found = new ArrayList<>();
        Bundle page = first;
        while (true) {
            page.getEntry().stream().map(Bundle.BundleEntryComponent::getResource).filter(type::isInstance)
                    .map(type::cast).forEach(found::add);
            if (page.getLink(Bundle.LINK_NEXT) == null) {
                return found;
            }
            page = client.loadPage().next(page).execute();
        }
    }

    @Test
    void a_clinician_reads_the_simulated_patients_encounters_referrals_and_medicines_page_by_page() throws Exception {
        IGenericClient client = client(clinician);
        // the simulator is still publishing: wait until the timeline has what the population says
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).until(() -> {
            JsonNode t = timeline(clinician);
            return !items(t, Set.of("REFERRAL")).isEmpty() && !items(t, Set.of("PRESCRIPTION")).isEmpty()
                    && !items(t, Set.of("ADMISSION", "TRANSFER", "DISCHARGE", "ATTENDANCE")).isEmpty();
        });
        Thread.sleep(5_000); // let the rest of this patient's story settle; both reads below are compared at once
        JsonNode timeline = timeline(clinician);

        Bundle firstPage = client.search().forResource(Encounter.class).where(Encounter.PATIENT.hasId("Patient/" + nhs))
                .count(2).returnBundle(Bundle.class).execute();
        List<Encounter> encounters = all(client, Encounter.class, firstPage);
        Set<String> expectedEncounters = items(timeline, Set.of("ADMISSION", "TRANSFER", "DISCHARGE", "ATTENDANCE",
                "AMBULANCE_CONVEYANCE"));
        assertThat(firstPage.getTotal()).isEqualTo(expectedEncounters.size());
        assertThat(encounters).hasSize(expectedEncounters.size());
        assertThat(encounters.stream().map(e -> e.getIdPart()).distinct()).hasSize(encounters.size());
        if (expectedEncounters.size() > 2) {
            assertThat(firstPage.getLink(Bundle.LINK_NEXT)).isNotNull();
        }

        List<ServiceRequest> referrals = all(client, ServiceRequest.class, client.search()
                .forResource(ServiceRequest.class).where(ServiceRequest.PATIENT.hasId(nhs)).returnBundle(Bundle.class)
                .execute());
        assertThat(referrals).hasSize(items(timeline, Set.of("REFERRAL")).size());
        List<MedicationRequest> medicines = all(client, MedicationRequest.class, client.search()
                .forResource(MedicationRequest.class).where(MedicationRequest.PATIENT.hasId(nhs))
                .returnBundle(Bundle.class).execute());
        assertThat(medicines).hasSize(items(timeline, Set.of("PRESCRIPTION")).size());

        List<Resource> served = new ArrayList<>();
        served.addAll(encounters);
        served.addAll(referrals);
        served.addAll(medicines);
        for (Resource r : served) {
            assertThat(FhirR4Validation.errors(r)).as(r.fhirType() + "/" + r.getIdPart()).isEmpty();
        }
        for (Encounter e : encounters) {
            assertThat(e.getSubject().getIdentifier().getSystem()).isEqualTo(FhirSystems.NHS_NUMBER);
            assertThat(e.getSubject().getIdentifier().getValue()).isEqualTo(nhs);
            assertThat(e.getServiceProvider().getIdentifier().getSystem()).isEqualTo(FhirSystems.ODS_ORGANIZATION);
        }
        // a read by id is the same resource
        Encounter one = client.read().resource(Encounter.class).withId(encounters.get(0).getIdPart()).execute();
        assertThat(one.getStatus()).isEqualTo(encounters.get(0).getStatus());

        // _format=xml: the same search, in XML
        Bundle xml = client.search().forResource(MedicationRequest.class).where(MedicationRequest.PATIENT.hasId(nhs))
                .encodedXml().returnBundle(Bundle.class).execute();
        assertThat(xml.getTotal()).isEqualTo(medicines.size());
        HttpResponse<String> raw = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/MedicationRequest?patient="
                + nhs + "&_format=xml")).header("Authorization", "Bearer " + clinician).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(raw.headers().firstValue("Content-Type").orElse("")).startsWith("application/fhir+xml");
        assertThat(raw.body()).startsWith("<Bundle xmlns=\"http://hl7.org/fhir\">");

        // every read is audited under the patient's NHS number, with the verified caller
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(accessAudit(nhs))
                .anySatisfy(a -> {
                    assertThat(a.path("path").asText()).isEqualTo("/fhir/r4/Encounter");
                    assertThat(a.path("user").asText()).isEqualTo("dr-synthetic");
                    assertThat(a.path("status").asInt()).isEqualTo(200);
                }));
    }

    @Test
    void a_restricted_referral_reaches_only_a_clinician_with_restricted_access() throws Exception {
        String subject = "REF-RESTRICTED-" + UUID.randomUUID();
        Instant at = Instant.now().minus(2, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);
        Referral referral = Referral.newBuilder().setHeader(EventHeader.newBuilder()
                        .setEventId(UUID.randomUUID().toString()).setAction(Action.NEW).setSubjectId(subject).setVersion(1)
                        .setOccurredAt(at).setRecordedAt(at)
                        .setSource(Source.newBuilder().setOdsCode("A81001").setName("The Synthetic Street Surgery")
                                .setKind(ProviderKind.GP).setSystem("EPR").build())
                        .setPatient(PatientRef.newBuilder().setNhsNumber(nhs).build())
                        .setSensitivity(Sensitivity.RESTRICTED).build())
                .setToOdsCode("RX1").setSpecialty("Sexual health").setPriority("ROUTINE").setStatus("OPEN").build();
        try (CarePublisher publisher = CarePublisher.connect(platform.bootstrapServers(), platform.topics(), "fhir-it")) {
            publisher.publish(referral).get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
        IGenericClient allowed = client(restrictedReader);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(all(allowed, ServiceRequest.class,
                allowed.search().forResource(ServiceRequest.class).where(ServiceRequest.PATIENT.hasId(nhs))
                        .returnBundle(Bundle.class).execute()))
                .anyMatch(r -> r.getIdentifier().stream().anyMatch(i -> i.getValue().endsWith("|" + subject))));
        ServiceRequest hidden = all(allowed, ServiceRequest.class, allowed.search().forResource(ServiceRequest.class)
                .where(ServiceRequest.PATIENT.hasId(nhs)).returnBundle(Bundle.class).execute()).stream()
                .filter(r -> r.getIdentifier().stream().anyMatch(i -> i.getValue().endsWith("|" + subject)))
                .findFirst().orElseThrow();
        assertThat(hidden.getMeta().getSecurity()).anyMatch(c -> c.getCode().equals("R"));
        assertThat(FhirR4Validation.errors(hidden)).isEmpty();

        IGenericClient plain = client(clinician);
        List<ServiceRequest> seen = all(plain, ServiceRequest.class, plain.search().forResource(ServiceRequest.class)
                .where(ServiceRequest.PATIENT.hasId(nhs)).returnBundle(Bundle.class).execute());
        assertThat(seen).noneMatch(r -> r.getIdPart().equals(hidden.getIdPart()));
        assertThat(catchThrowable(() -> plain.read().resource(ServiceRequest.class).withId(hidden.getIdPart())
                .execute())).isInstanceOf(ResourceNotFoundException.class);
        Bundle everything = plain.operation().onInstance("Patient/" + nhs).named("$everything").withNoParameters(
                org.hl7.fhir.r4.model.Parameters.class).useHttpGet().returnResourceType(Bundle.class).execute();
        assertThat(everything.getEntry()).noneMatch(e -> e.getResource().getIdPart().equals(hidden.getIdPart()));
    }

    @Test
    void an_analyst_and_a_subscriber_admin_are_refused_and_the_capability_statement_lists_the_reads() throws Exception {
        for (Role role : List.of(Role.ANALYST, Role.SUBSCRIBER_ADMIN, Role.INTEGRATION_SYSTEM)) {
            IGenericClient client = client(issuer.token("someone-" + role, role));
            assertThat(catchThrowable(() -> client.search().forResource(Encounter.class)
                    .where(Encounter.PATIENT.hasId(nhs)).returnBundle(Bundle.class).execute())).as(role.name())
                    .isInstanceOf(ForbiddenOperationException.class);
        }
        CapabilityStatement cs = client(clinician).capabilities().ofType(CapabilityStatement.class).execute();
        CapabilityStatement.CapabilityStatementRestResourceComponent encounter = cs.getRestFirstRep().getResource()
                .stream().filter(r -> r.getType().equals("Encounter")).findFirst().orElseThrow();
        assertThat(encounter.getInteraction()).extracting(i -> i.getCode().toCode())
                .contains("create", "read", "search-type");
        assertThat(encounter.getSearchParam()).extracting(p -> p.getName()).contains("patient", "date", "_lastUpdated");
        assertThat(cs.getRestFirstRep().getResource()).extracting(r -> r.getType())
                .contains("Patient", "EpisodeOfCare", "ServiceRequest", "MedicationRequest", "Appointment");
    }

    /** The records of care.access-audit keyed by {@code key}, read from the beginning. */
    static List<JsonNode> accessAudit(String key) throws Exception {
        List<JsonNode> found = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers",
                platform.bootstrapServers()), new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(CareTopics.ACCESS_AUDIT).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < deadline && partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    if (key.equals(record.key())) {
                        found.add(CareEventJson.mapper().readTree(record.value()));
                    }
                }
            }
        }
        return found;
    }
}
