package org.caretrail.it.adapters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.MethodOutcome;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Prescription;
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
import org.hl7.fhir.r4.model.MedicationRequest;
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
 * The FHIR gateway on a JDK HttpServer, publishing to the real broker and registry. Peers: HAPI
 * FHIR's generic REST client ({@code FhirContext.forR4().newRestfulGenericClient(base)}, as a Java
 * EPR integration would call us), and a plain HTTP client sending FHIR JSON written by HAPI's R4
 * parser (for bodies the generic client would not send). Each published event is read back from
 * its topic.
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
    /** HAPI FHIR's generic REST client: the peer, with its own FhirContext (not the gateway's cached one). */
    static IGenericClient client;
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
        client = FhirContext.forR4().newRestfulGenericClient(base);
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

    // ------------------------------------------------------------ HAPI FHIR's generic client as the peer

    /** The gateway's outcome line: "published admission NEW subjectId=X eventId=U to care.admissions-0@5". */
    static final Pattern PUBLISHED = Pattern.compile(
            "published (\\S+) (\\S+) subjectId=(\\S+) eventId=(\\S+) to (\\S+)-(\\d+)@(\\d+)");

    static String diagnostics(MethodOutcome outcome) {
        assertThat(outcome.getOperationOutcome()).as("the client parsed the gateway's OperationOutcome").isNotNull();
        return ((OperationOutcome) outcome.getOperationOutcome()).getIssueFirstRep().getDiagnostics();
    }

    static String diagnostics(Bundle.BundleEntryComponent entry) {
        return ((OperationOutcome) entry.getResponse().getOutcome()).getIssueFirstRep().getDiagnostics();
    }

    /** The record the outcome says was written, read back from the broker at that topic, partition and offset. */
    static ConsumerRecord<String, byte[]> landed(String diagnostics) {
        Matcher m = PUBLISHED.matcher(diagnostics);
        assertThat(m.find()).as("an outcome naming where the event was written: %s", diagnostics).isTrue();
        String topic = m.group(5);
        int partition = Integer.parseInt(m.group(6));
        long offset = Long.parseLong(m.group(7));
        return TopicReader.readAll(broker.bootstrapServers(), topic, 1, Duration.ofSeconds(20)).stream()
                .filter(r -> r.partition() == partition && r.offset() == offset).findFirst()
                .orElseThrow(() -> new AssertionError("nothing on " + topic + "-" + partition + "@" + offset
                        + " although the gateway answered: " + diagnostics));
    }

    static String eventId(String diagnostics) {
        Matcher m = PUBLISHED.matcher(diagnostics);
        assertThat(m.find()).as(diagnostics).isTrue();
        return m.group(4);
    }

    static SpecificRecord decode(ConsumerRecord<String, byte[]> record) {
        CareEventType type = CareEventType.byTopic(record.topic()).orElseThrow();
        return topics.events(type).valueSerde().deserializer().deserialize(record.topic(), record.value());
    }

    static MedicationRequest prescription(String id, Reference subject) {
        MedicationRequest m = new MedicationRequest();
        m.addIdentifier().setSystem("https://a81001.example/rx").setValue(id);
        m.setStatus(MedicationRequest.MedicationRequestStatus.ACTIVE);
        m.setIntent(MedicationRequest.MedicationRequestIntent.ORDER);
        m.getMedicationCodeableConcept().setText("Ramipril 2.5mg capsules");
        m.setSubject(subject);
        m.setRequester(ods("A81001"));
        m.setAuthoredOn(Date.from(T0));
        m.addDosageInstruction().setText("one each morning");
        return m;
    }

    @Test
    void generic_client_reads_metadata_and_creates_an_admission_that_lands_on_its_topic() {
        CapabilityStatement cs = client.capabilities().ofType(CapabilityStatement.class).execute();
        assertThat(cs.getFhirVersion().toCode()).isEqualTo("4.0.1");
        assertThat(cs.getRestFirstRep().getResource()).extracting(r -> r.getType())
                .contains("Encounter", "ServiceRequest", "MedicationRequest", "Appointment");

        MethodOutcome outcome = client.create().resource(admission("HC100", NHS)).execute();

        assertThat(outcome.getResponseStatusCode()).isEqualTo(201);
        assertThat(outcome.getCreated()).isTrue();
        String diagnostics = diagnostics(outcome);
        assertThat(diagnostics).startsWith("published admission NEW subjectId=HC100 eventId=")
                .contains(" to care.admissions-");
        ConsumerRecord<String, byte[]> record = landed(diagnostics);
        assertThat(record.key()).as("keyed by NHS number").isEqualTo(NHS);
        Admission admission = (Admission) decode(record);
        assertThat(admission.getHeader().getEventId()).isEqualTo(eventId(diagnostics));
        assertThat(admission.getHeader().getSubjectId()).isEqualTo("HC100");
        assertThat(admission.getHeader().getPatient().getNhsNumber()).isEqualTo(NHS);
        assertThat(admission.getHeader().getSource().getOdsCode()).isEqualTo("RJ1");
        assertThat(admission.getWard()).isEqualTo("WARD 3");
    }

    @Test
    void generic_client_exceptions_carry_the_operation_outcome_and_nothing_refused_is_published() {
        String badNhs = "9990000210";
        UnprocessableEntityException unprocessable = catchThrowableOfType(UnprocessableEntityException.class,
                () -> client.create().resource(admission("HC101", badNhs)).execute());
        assertThat(unprocessable).as("a 422 surfaces as UnprocessableEntityException").isNotNull();
        assertThat(unprocessable.getStatusCode()).isEqualTo(422);
        assertThat(unprocessable.getMessage()).contains("Modulus 11");
        OperationOutcome.OperationOutcomeIssueComponent issue =
                ((OperationOutcome) unprocessable.getOperationOutcome()).getIssueFirstRep();
        assertThat(issue.getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
        assertThat(issue.getExpression()).extracting(x -> x.getValue())
                .containsExactly("Encounter.subject.identifier.value");
        assertThat(issue.getDiagnostics()).contains(badNhs).contains("Modulus 11");

        InvalidRequestException invalid = catchThrowableOfType(InvalidRequestException.class,
                () -> client.create().resource(
                        "{\"resourceType\":\"Encounter\",\"status\":\"in-progress\",\"subjekt\":{\"display\":\"x\"}}")
                        .execute());
        assertThat(invalid).as("a 400 surfaces as InvalidRequestException").isNotNull();
        assertThat(invalid.getStatusCode()).isEqualTo(400);
        assertThat(((OperationOutcome) invalid.getOperationOutcome()).getIssueFirstRep().getDiagnostics())
                .contains("subjekt");

        // same patient, so same partition: once this one is on the topic, a published HC101 would be before it
        String after = diagnostics(client.create().resource(admission("HC102", NHS)).execute());
        landed(after);
        assertThat(TopicReader.events(broker.bootstrapServers(), topics, CareEventType.ADMISSION, 1))
                .extracting(e -> CareEvents.header(e).getSubjectId()).contains("HC102").doesNotContain("HC101");
    }

    @Test
    void generic_client_transaction_is_all_or_nothing_and_each_entry_lands_on_its_topic() {
        String patientUrl = "urn:uuid:7d3c2f4e-9a1b-4c5d-8e6f-0a1b2c3d4e5f";
        Bundle refused = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        refused.addEntry().setResource(prescription("RX-HC-REFUSED", new Reference().setIdentifier(
                        new Identifier().setSystem(FhirMapper.NHS_NUMBER_SYSTEM).setValue(NHS))))
                .getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("MedicationRequest");
        refused.addEntry().setResource(admission("HC-REFUSED", "9990000210"))
                .getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Encounter");
        UnprocessableEntityException e = catchThrowableOfType(UnprocessableEntityException.class,
                () -> client.transaction().withBundle(refused).execute());
        assertThat(e).isNotNull();
        assertThat(((OperationOutcome) e.getOperationOutcome()).getIssueFirstRep().getExpression())
                .extracting(x -> x.getValue()).containsExactly("Bundle.entry[1].resource.subject.identifier.value");

        Bundle bundle = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        Patient patient = new Patient();
        patient.addIdentifier().setSystem(FhirMapper.NHS_NUMBER_SYSTEM).setValue(NHS);
        patient.addIdentifier().setSystem("https://rj1.example/mrn").setValue("40800088");
        patient.setManagingOrganization(ods("RJ1"));
        bundle.addEntry().setFullUrl(patientUrl).setResource(patient)
                .getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Patient");
        Encounter encounter = admission("HC300", NHS);
        encounter.setSubject(new Reference(patientUrl));
        bundle.addEntry().setResource(encounter).getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Encounter");
        bundle.addEntry().setResource(prescription("RX-HC300", new Reference(patientUrl)))
                .getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("MedicationRequest");

        Bundle reply = client.transaction().withBundle(bundle).execute();

        assertThat(reply.getType()).isEqualTo(Bundle.BundleType.TRANSACTIONRESPONSE);
        assertThat(reply.getEntry()).extracting(x -> x.getResponse().getStatus())
                .containsExactly("201 Created", "201 Created", "201 Created");
        assertThat(landed(diagnostics(reply.getEntry().get(0))).topic())
                .isEqualTo(CareEventType.PATIENT_IDENTITY.topic());
        Admission admission = (Admission) decode(landed(diagnostics(reply.getEntry().get(1))));
        assertThat(admission.getHeader().getSubjectId()).isEqualTo("HC300");
        assertThat(admission.getHeader().getPatient().getNhsNumber()).isEqualTo(NHS);
        assertThat(admission.getHeader().getPatient().getLocalId().getValue()).isEqualTo("40800088");
        Prescription prescription = (Prescription) decode(landed(diagnostics(reply.getEntry().get(2))));
        assertThat(prescription.getHeader().getSubjectId()).isEqualTo("RX-HC300");
        assertThat(prescription.getMedication()).isEqualTo("Ramipril 2.5mg capsules");
        assertThat(prescription.getHeader().getEventId()).isEqualTo(eventId(diagnostics(reply.getEntry().get(2))));

        assertThat(TopicReader.events(broker.bootstrapServers(), topics, CareEventType.PRESCRIPTION, 1))
                .as("the refused transaction's valid prescription was not published")
                .extracting(x -> CareEvents.header(x).getSubjectId()).containsExactly("RX-HC300");
    }
}
