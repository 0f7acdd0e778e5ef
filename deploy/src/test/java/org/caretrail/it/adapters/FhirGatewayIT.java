package org.caretrail.it.adapters;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Referral;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.it.RealInfrastructure;
import org.caretrail.producers.fhir.FhirGateway;
import org.caretrail.producers.fhir.FhirMapper;
import org.caretrail.producers.publisher.CarePublisher;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The FHIR gateway on a JDK HttpServer, publishing to the real broker and registry. The peer is an
 * HTTP client sending FHIR JSON written by HAPI FHIR's own R4 model and parser (HAPI's generic
 * REST client, hapi-fhir-client, is not obtainable from the package registry here).
 */
@Tag("integration")
class FhirGatewayIT {

    static final String NHS = NhsNumber.withCheckDigit("999000021").orElseThrow().value();
    static final Instant T0 = Instant.now().minus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
    static final FhirContext FHIR = FhirContext.forR4Cached();

    static EmbeddedKafkaBroker broker;
    static CarePublisher publisher;
    static HttpServer server;
    static ExecutorService executor;
    static Topics topics;
    static String base;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        broker = RealInfrastructure.newBroker();
        topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        publisher = CarePublisher.connect(broker.bootstrapServers(), topics, "fhir-it");
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/fhir/r4", new FhirGateway(publisher));
        executor = Executors.newFixedThreadPool(4);
        server.setExecutor(executor);
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort() + "/fhir/r4";
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop(0);
            executor.shutdownNow();
        }
        if (publisher != null) {
            publisher.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    static HttpResponse<String> post(String path, Resource resource) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path))
                        .header("Content-Type", "application/fhir+json")
                        .POST(HttpRequest.BodyPublishers.ofString(FHIR.newJsonParser().encodeResourceToString(resource)))
                        .build(), HttpResponse.BodyHandlers.ofString());
    }

    static Reference ods(String code) {
        return new Reference().setIdentifier(new Identifier().setSystem(FhirMapper.ODS_SYSTEM).setValue(code));
    }

    static Encounter admission(String spell, String nhs) {
        Encounter e = new Encounter();
        e.addIdentifier().setSystem("https://rj1.example/spell").setValue(spell);
        e.setStatus(Encounter.EncounterStatus.INPROGRESS);
        e.setClass_(new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "IMP", "inpatient"));
        e.setSubject(new Reference().setIdentifier(new Identifier().setSystem(FhirMapper.NHS_NUMBER_SYSTEM)
                .setValue(nhs)));
        e.setServiceProvider(ods("RJ1"));
        e.getPeriod().setStart(Date.from(T0));
        e.addLocation().setLocation(new Reference().setDisplay("WARD 3"));
        return e;
    }

    @Test
    void metadata_encounter_201_and_invalid_nhs_number_422() throws Exception {
        HttpResponse<String> metadata = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/metadata")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metadata.statusCode()).isEqualTo(200);
        assertThat(FHIR.newJsonParser().parseResource(CapabilityStatement.class, metadata.body()).getFhirVersion()
                .toCode()).isEqualTo("4.0.1");

        HttpResponse<String> created = post("/Encounter", admission("F100", NHS));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(FHIR.newJsonParser().parseResource(OperationOutcome.class, created.body()).getIssueFirstRep()
                .getDiagnostics()).contains("care.admissions");

        HttpResponse<String> refused = post("/Encounter", admission("F101", "9990000210"));
        assertThat(refused.statusCode()).isEqualTo(422);
        OperationOutcome outcome = FHIR.newJsonParser().parseResource(OperationOutcome.class, refused.body());
        assertThat(outcome.getIssueFirstRep().getExpression().get(0).getValue())
                .isEqualTo("Encounter.subject.identifier.value");
        assertThat(outcome.getIssueFirstRep().getDiagnostics()).contains("Modulus 11");

        HttpResponse<String> garbage = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/Encounter"))
                .header("Content-Type", "application/fhir+json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"resourceType\":\"Encounter\",\"statuz\":1}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(garbage.statusCode()).isEqualTo(400);

        List<SpecificRecord> admissions = TopicReader.events(broker.bootstrapServers(), topics,
                CareEventType.ADMISSION, 1);
        assertThat(admissions).extracting(e -> CareEvents.header(e).getSubjectId()).contains("F100")
                .doesNotContain("F101");
        Admission a = (Admission) admissions.stream()
                .filter(e -> CareEvents.header(e).getSubjectId().equals("F100")).findFirst().orElseThrow();
        assertThat(a.getHeader().getPatient().getNhsNumber()).isEqualTo(NHS);
        assertThat(a.getWard()).isEqualTo("WARD 3");
    }

    @Test
    void a_transaction_bundle_with_a_patient_reference_publishes_each_entry() throws Exception {
        Bundle bundle = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        Patient patient = new Patient();
        patient.addIdentifier().setSystem(FhirMapper.NHS_NUMBER_SYSTEM).setValue(NHS);
        patient.addIdentifier().setSystem("https://a81001.example/patient").setValue("P-77");
        patient.setManagingOrganization(ods("A81001"));
        bundle.addEntry().setFullUrl("urn:uuid:0c6a3d48-1a3a-4bc4-a7f5-5d3a4ab0b8a1").setResource(patient)
                .getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Patient");
        ServiceRequest referral = new ServiceRequest();
        referral.addIdentifier().setSystem("https://a81001.example/referral").setValue("REF-F1");
        referral.setStatus(ServiceRequest.ServiceRequestStatus.ACTIVE);
        referral.setIntent(ServiceRequest.ServiceRequestIntent.ORDER);
        referral.setPriority(ServiceRequest.ServiceRequestPriority.ROUTINE);
        referral.getCode().setText("Dermatology");
        referral.setSubject(new Reference("urn:uuid:0c6a3d48-1a3a-4bc4-a7f5-5d3a4ab0b8a1"));
        referral.setRequester(ods("A81001"));
        referral.addPerformer(ods("RJ1"));
        referral.setAuthoredOn(Date.from(T0));
        bundle.addEntry().setResource(referral).getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("ServiceRequest");

        HttpResponse<String> response = post("", bundle);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        Bundle reply = FHIR.newJsonParser().parseResource(Bundle.class, response.body());
        assertThat(reply.getEntry()).extracting(e -> e.getResponse().getStatus()).containsExactly("201 Created",
                "201 Created");

        Referral published = TopicReader.events(broker.bootstrapServers(), topics, CareEventType.REFERRAL, 1).stream()
                .map(Referral.class::cast).filter(r -> r.getHeader().getSubjectId().equals("REF-F1"))
                .findFirst().orElseThrow();
        assertThat(published.getHeader().getPatient().getNhsNumber()).isEqualTo(NHS);
        assertThat(published.getHeader().getPatient().getLocalId().getValue()).isEqualTo("P-77");
        assertThat(published.getToOdsCode()).isEqualTo("RJ1");
        assertThat(TopicReader.events(broker.bootstrapServers(), topics, CareEventType.PATIENT_IDENTITY, 1))
                .isNotEmpty();
    }
}
