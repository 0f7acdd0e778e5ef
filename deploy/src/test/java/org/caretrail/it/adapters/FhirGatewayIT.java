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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.caretrail.events.model.Death;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Sensitivity;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.DateTimeType;
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

    /** The eventId a published Bundle entry names in its response.location ({@code urn:uuid:<eventId>}). */
    static String eventId(Bundle.BundleEntryComponent entry) {
        String location = entry.getResponse().getLocation();
        assertThat(location).as("a published entry names its event").startsWith("urn:uuid:");
        return location.substring("urn:uuid:".length());
    }

    /** The record of {@code type} whose eventId is {@code eventId}, read back from the broker. */
    static ConsumerRecord<String, byte[]> landed(CareEventType type, String eventId) {
        return TopicReader.readAll(broker.bootstrapServers(), type.topic(), 1, Duration.ofSeconds(20)).stream()
                .filter(r -> CareEvents.header(decode(r)).getEventId().equals(eventId)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + type + " with eventId " + eventId + " on " + type.topic()));
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
        assertThat(reply.getEntry()).as("an OperationOutcome only for an entry that failed")
                .allSatisfy(x -> assertThat(x.getResponse().hasOutcome()).isFalse());
        landed(CareEventType.PATIENT_IDENTITY, eventId(reply.getEntry().get(0)));
        Admission admission = (Admission) decode(landed(CareEventType.ADMISSION, eventId(reply.getEntry().get(1))));
        assertThat(admission.getHeader().getSubjectId()).isEqualTo("HC300");
        assertThat(admission.getHeader().getPatient().getNhsNumber()).isEqualTo(NHS);
        assertThat(admission.getHeader().getPatient().getLocalId().getValue()).isEqualTo("40800088");
        Prescription prescription = (Prescription) decode(landed(CareEventType.PRESCRIPTION,
                eventId(reply.getEntry().get(2))));
        assertThat(prescription.getHeader().getSubjectId()).isEqualTo("RX-HC300");
        assertThat(prescription.getMedication()).isEqualTo("Ramipril 2.5mg capsules");
        assertThat(prescription.getHeader().getEventId()).isEqualTo(eventId(reply.getEntry().get(2)));

        assertThat(TopicReader.events(broker.bootstrapServers(), topics, CareEventType.PRESCRIPTION, 1))
                .as("the refused transaction's valid prescription was not published")
                .extracting(x -> CareEvents.header(x).getSubjectId()).containsExactly("RX-HC300");
    }

    // ------------------------------------------------------------ clinical truth, read back from the topics

    @Test
    void a_hyphenated_nhs_number_is_keyed_and_stored_in_its_one_canonical_form() {
        String spelt = "999-000-1006";
        MethodOutcome outcome = client.create().resource(admission("HC-HYPHEN", spelt)).execute();

        ConsumerRecord<String, byte[]> record = landed(diagnostics(outcome));
        assertThat(record.key()).isEqualTo("9990001006");
        assertThat(((Admission) decode(record)).getHeader().getPatient().getNhsNumber()).isEqualTo("9990001006");
    }

    @Test
    void a_death_recorded_on_patient_lands_on_care_deaths_and_a_later_correction_withdraws_it() {
        Instant died = T0.minus(2, ChronoUnit.HOURS);
        Patient patient = new Patient();
        patient.addIdentifier().setSystem(FhirMapper.NHS_NUMBER_SYSTEM).setValue("999 000 1006");
        patient.setManagingOrganization(ods("A81001"));
        patient.setDeceased(new DateTimeType(Date.from(died)));
        patient.getMeta().setVersionId("1").setLastUpdated(Date.from(T0)).setSource("https://a81001.example/gp-system");

        String recorded = diagnostics(client.create().resource(patient).execute());
        ConsumerRecord<String, byte[]> deathRecord = landed(recorded);
        Death death = (Death) decode(deathRecord);
        assertThat(deathRecord.topic()).isEqualTo(CareEventType.DEATH.topic());
        assertThat(deathRecord.key()).isEqualTo("9990001006");
        assertThat(death.getHeader().getAction()).isEqualTo(Action.NEW);
        assertThat(death.getHeader().getOccurredAt()).isEqualTo(died);
        assertThat(death.getHeader().getSubjectId()).isEqualTo("death/9990001006");
        assertThat(death.getRecordedBy()).isEqualTo("https://a81001.example/gp-system");

        Patient corrected = patient.copy().setDeceased(new BooleanType(false));
        corrected.getMeta().setVersionId("2").setLastUpdated(Date.from(T0.plusSeconds(60)));
        Death withdrawn = (Death) decode(landed(diagnostics(client.create().resource(corrected).execute())));
        assertThat(withdrawn.getHeader().getAction()).isEqualTo(Action.CANCEL);
        assertThat(withdrawn.getHeader().getSubjectId()).isEqualTo(death.getHeader().getSubjectId());
        assertThat(withdrawn.getHeader().getVersion()).isGreaterThan(death.getHeader().getVersion());
    }

    @Test
    void a_resource_labelled_restricted_by_its_source_is_published_restricted() {
        ServiceRequest referral = new ServiceRequest();
        referral.addIdentifier().setSystem("https://a81001.example/referral").setValue("REF-RESTRICTED");
        referral.setStatus(ServiceRequest.ServiceRequestStatus.ACTIVE);
        referral.setIntent(ServiceRequest.ServiceRequestIntent.ORDER);
        referral.getCode().setText("Sexual health");
        referral.setSubject(new Reference().setIdentifier(new Identifier().setSystem(FhirMapper.NHS_NUMBER_SYSTEM)
                .setValue(NHS)));
        referral.setRequester(ods("A81001"));
        referral.setAuthoredOn(Date.from(T0));
        referral.getMeta().addSecurity("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R", "restricted");

        Referral published = (Referral) decode(landed(diagnostics(client.create().resource(referral).execute())));

        assertThat(published.getHeader().getSensitivity()).isEqualTo(Sensitivity.RESTRICTED);
    }

    @Test
    void a_trust_transaction_with_locations_conditions_and_a_dm_d_medicine_lands_coded_and_placed() {
        String pid = "urn:uuid:9a1f0c2e-5b6d-4e7f-8a9b-0c1d2e3f4a5b";
        Bundle bundle = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        Patient patient = new Patient();
        patient.addIdentifier().setSystem(FhirMapper.NHS_NUMBER_SYSTEM).setValue(NHS);
        patient.addIdentifier().setSystem("https://rj1.example/mrn").setValue("40800123");
        patient.setManagingOrganization(ods("RJ1"));
        bundle.addEntry().setFullUrl(pid).setResource(patient).getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Patient");
        bundle.addEntry().setFullUrl("urn:uuid:site").setResource(place("St Example's", "si", null))
                .getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Location");
        bundle.addEntry().setFullUrl("urn:uuid:ward").setResource(place("Ward 7", "wa", "urn:uuid:site"))
                .getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Location");
        bundle.addEntry().setFullUrl("urn:uuid:bay").setResource(place("Bay C", "ro", "urn:uuid:ward"))
                .getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Location");
        bundle.addEntry().setFullUrl("urn:uuid:bed").setResource(place("Bed 12", "bd", "urn:uuid:bay"))
                .getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Location");
        Condition mi = new Condition();
        mi.getCode().addCoding(new Coding("http://snomed.info/sct", "22298006", "Myocardial infarction"));
        mi.setSubject(new Reference(pid));
        bundle.addEntry().setFullUrl("urn:uuid:mi").setResource(mi).getRequest().setMethod(Bundle.HTTPVerb.POST)
                .setUrl("Condition");
        Encounter encounter = admission("HC-CODED", NHS).setSubject(new Reference(pid));
        encounter.getLocation().clear();
        encounter.addLocation().setLocation(new Reference("urn:uuid:bed"))
                .setStatus(Encounter.EncounterLocationStatus.ACTIVE);
        encounter.addDiagnosis().setCondition(new Reference("urn:uuid:mi")).setRank(1);
        encounter.getHospitalization().addExtension(new org.hl7.fhir.r4.model.Extension(
                "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AdmissionMethod",
                new org.hl7.fhir.r4.model.CodeableConcept().addCoding(new Coding(
                        "https://fhir.hl7.org.uk/CodeSystem/UKCore-AdmissionMethodEngland", "21", null))));
        bundle.addEntry().setResource(encounter).getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Encounter");
        MedicationRequest rx = prescription("RX-HC-CODED", new Reference(pid));
        rx.getMedicationCodeableConcept().addCoding(new Coding("https://dmd.nhs.uk", "318135009",
                "Ramipril 2.5mg capsules"));
        bundle.addEntry().setResource(rx).getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("MedicationRequest");

        Bundle reply = client.transaction().withBundle(bundle).execute();

        assertThat(reply.getEntry()).extracting(x -> x.getResponse().getStatus()).containsExactly("201 Created",
                "200 OK", "200 OK", "200 OK", "200 OK", "200 OK", "201 Created", "201 Created");
        Admission admission = (Admission) decode(landed(CareEventType.ADMISSION, eventId(reply.getEntry().get(6))));
        assertThat(admission.getLocation().getPointOfCare()).isEqualTo("Ward 7");
        assertThat(admission.getLocation().getRoom()).isEqualTo("Bay C");
        assertThat(admission.getLocation().getBed()).isEqualTo("Bed 12");
        assertThat(admission.getLocation().getSite()).isEqualTo("St Example's");
        assertThat(admission.getDiagnoses()).extracting(c -> c.getSystem() + "|" + c.getCode())
                .containsExactly("http://snomed.info/sct|22298006");
        assertThat(admission.getAdmissionMethodCode().getCode()).isEqualTo("21");
        assertThat(admission.getAdmissionMethod()).isEqualTo("EMERGENCY");
        Prescription prescription = (Prescription) decode(landed(CareEventType.PRESCRIPTION,
                eventId(reply.getEntry().get(7))));
        assertThat(prescription.getMedicationCode().getSystem()).isEqualTo("https://dmd.nhs.uk");
        assertThat(prescription.getMedicationCode().getCode()).isEqualTo("318135009");
    }

    @Test
    void a_correction_in_the_same_transaction_names_the_event_it_withdraws() {
        Encounter admitted = admission("HC-WRONG-PATIENT", NHS);
        admitted.getMeta().setVersionId("1").setLastUpdated(Date.from(T0));
        Encounter inError = admission("HC-WRONG-PATIENT", NHS).setStatus(Encounter.EncounterStatus.ENTEREDINERROR);
        inError.getMeta().setVersionId("2").setLastUpdated(Date.from(T0.minusSeconds(90))); // a clock behind
        Bundle bundle = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        bundle.addEntry().setResource(admitted).getRequest().setMethod(Bundle.HTTPVerb.PUT).setUrl("Encounter");
        bundle.addEntry().setResource(inError).getRequest().setMethod(Bundle.HTTPVerb.PUT).setUrl("Encounter");

        Bundle reply = client.transaction().withBundle(bundle).execute();

        Admission first = (Admission) decode(landed(CareEventType.ADMISSION, eventId(reply.getEntry().get(0))));
        Admission cancel = (Admission) decode(landed(CareEventType.ADMISSION, eventId(reply.getEntry().get(1))));
        assertThat(cancel.getHeader().getAction()).isEqualTo(Action.CANCEL);
        assertThat(cancel.getHeader().getSupersedes()).isEqualTo(first.getHeader().getEventId());
        assertThat(first.getHeader().getSupersedes()).isNull();
    }

    static org.hl7.fhir.r4.model.Location place(String name, String physicalType, String partOf) {
        org.hl7.fhir.r4.model.Location l = new org.hl7.fhir.r4.model.Location().setName(name);
        l.getPhysicalType().addCoding(new Coding("http://terminology.hl7.org/CodeSystem/location-physical-type",
                physicalType, null));
        if (partOf != null) {
            l.setPartOf(new Reference(partOf));
        }
        return l;
    }

    // ------------------------------------------------------------ bounded: Kafka away, and a flood

    @Test
    void when_the_broker_dies_a_sender_is_answered_503_within_its_own_timeout() {
        EmbeddedKafkaBroker doomed = RealInfrastructure.newBroker();
        HttpServer own = null;
        ExecutorService ownExecutor = Executors.newFixedThreadPool(2);
        try (CarePublisher doomedPublisher = CarePublisher.connect(doomed.bootstrapServers(), topics, "fhir-it-doomed")) {
            own = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            FhirGateway gateway = new FhirGateway(doomedPublisher);
            gateway.ready().get(60, TimeUnit.SECONDS);
            own.createContext("/fhir/r4", gateway);
            own.setExecutor(ownExecutor);
            own.start();
            IGenericClient peer = FhirContext.forR4().newRestfulGenericClient("http://127.0.0.1:"
                    + own.getAddress().getPort() + "/fhir/r4"); // HAPI's defaults: a 10 s socket timeout
            assertThat(peer.create().resource(admission("HC-BEFORE-DEATH", NHS)).execute().getResponseStatusCode())
                    .isEqualTo(201);

            doomed.close(); // the broker is gone; the producer still knows where the partitions were

            long started = System.nanoTime();
            ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException e = catchThrowableOfType(
                    ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException.class,
                    () -> peer.create().resource(admission("HC-AFTER-DEATH", NHS)).execute());
            long millis = Duration.ofNanos(System.nanoTime() - started).toMillis();

            assertThat(e).as("an HTTP answer within HAPI's timeout, not a client timeout").isNotNull();
            assertThat(e.getStatusCode()).isEqualTo(503);
            assertThat(((OperationOutcome) e.getOperationOutcome()).getIssueFirstRep().getDiagnostics())
                    .contains("not known to be stored").contains("retry");
            System.out.printf("broker dead: FHIR create answered 503 in %d ms%n", millis);
        } catch (java.io.IOException | InterruptedException | java.util.concurrent.ExecutionException
                 | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(e);
        } finally {
            if (own != null) {
                own.stop(0);
            }
            ownExecutor.shutdownNow();
            doomed.close();
        }
    }

    @Test
    void sixteen_senders_of_maximal_bundles_cannot_take_down_a_gateway_with_a_256_mb_heap() throws Exception {
        Path gcLog = Files.createTempFile("fhir-flood-gc", ".log");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(javaBin, "-Xmx256m", "-XX:+ExitOnOutOfMemoryError",
                "-Xlog:gc:file=" + gcLog, "-cp", System.getProperty("java.class.path"),
                FhirGatewayProcessMain.class.getName(), broker.bootstrapServers(), RealInfrastructure.registryUrl())
                .redirectErrorStream(true).start();
        StringBuilder output = new StringBuilder();
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    synchronized (output) {
                        output.append(line).append('\n');
                    }
                    if (line.startsWith("PORT ")) {
                        port.complete(Integer.parseInt(line.substring(5).trim()));
                    }
                }
            } catch (java.io.IOException e) {
                port.completeExceptionally(e);
            }
        }, "fhir-child-output");
        reader.setDaemon(true);
        reader.start();
        try {
            String childBase = "http://127.0.0.1:" + port.get(120, TimeUnit.SECONDS);
            String runId = UUID.randomUUID().toString().substring(0, 8);
            int senders = 16;
            int rounds = 3;
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            java.util.concurrent.ConcurrentLinkedQueue<String> answers = new java.util.concurrent.ConcurrentLinkedQueue<>();
            java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.ConcurrentLinkedQueue<String> acknowledged = new java.util.concurrent.ConcurrentLinkedQueue<>();
            java.util.concurrent.ConcurrentLinkedQueue<String> entryStatuses = new java.util.concurrent.ConcurrentLinkedQueue<>();
            java.util.concurrent.atomic.AtomicLong largestResponse = new java.util.concurrent.atomic.AtomicLong();
            java.util.concurrent.atomic.AtomicBoolean flooding = new java.util.concurrent.atomic.AtomicBoolean(true);
            List<Integer> health = java.util.Collections.synchronizedList(new ArrayList<>());
            java.util.concurrent.atomic.AtomicLong slowestHealth = new java.util.concurrent.atomic.AtomicLong();
            Thread poller = new Thread(() -> {
                while (flooding.get()) {
                    long t = System.nanoTime();
                    try {
                        health.add(http.send(HttpRequest.newBuilder(URI.create(childBase + "/health"))
                                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.discarding())
                                .statusCode());
                    } catch (Exception e) {
                        health.add(-1);
                    }
                    slowestHealth.accumulateAndGet(Duration.ofNanos(System.nanoTime() - t).toMillis(), Math::max);
                    try {
                        Thread.sleep(250);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "health-poller");
            poller.start();
            ExecutorService pool = Executors.newFixedThreadPool(senders);
            List<java.util.concurrent.Future<?>> work = new ArrayList<>();
            long started = System.nanoTime();
            for (int s = 0; s < senders; s++) {
                int sender = s;
                work.add(pool.submit(() -> {
                    for (int round = 0; round < rounds; round++) {
                        String prefix = "FLOOD-" + runId + "-" + sender + "-" + round;
                        byte[] body = maximalBundle(prefix);
                        try {
                            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(childBase + "/fhir/r4"))
                                    .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/fhir+json")
                                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            answers.add(r.statusCode() + (r.statusCode() == 503
                                    ? " Retry-After=" + r.headers().firstValue("Retry-After").orElse("none") : ""));
                            largestResponse.accumulateAndGet(r.body().length(), Math::max);
                            if (r.statusCode() == 200) {
                                Bundle reply = FHIR.newJsonParser().parseResource(Bundle.class, r.body());
                                accepted.incrementAndGet();
                                for (int i = 0; i < reply.getEntry().size(); i++) {
                                    String status = reply.getEntry().get(i).getResponse().getStatus();
                                    entryStatuses.add(status);
                                    if (status.equals("201 Created")) {
                                        acknowledged.add(prefix + "-" + i);
                                    }
                                }
                            } else {
                                FHIR.newJsonParser().parseResource(OperationOutcome.class, r.body()); // an OperationOutcome
                            }
                        } catch (Exception e) {
                            answers.add("failed: " + e);
                        }
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : work) {
                f.get(10, TimeUnit.MINUTES);
            }
            long floodMillis = Duration.ofNanos(System.nanoTime() - started).toMillis();
            flooding.set(false);
            poller.join(20_000);
            pool.shutdown();

            Map<String, Long> counts = answers.stream().collect(java.util.stream.Collectors.groupingBy(a -> a,
                    java.util.TreeMap::new, java.util.stream.Collectors.counting()));
            Map<String, Long> entryCounts = entryStatuses.stream().collect(java.util.stream.Collectors.groupingBy(
                    a -> a, java.util.TreeMap::new, java.util.stream.Collectors.counting()));
            System.out.printf("FHIR flood: %d senders x %d bundles of %d bytes (100 entries) in %d ms: bundles %s, "
                            + "entries of accepted bundles %s; largest response %d bytes; /health polled %d times, "
                            + "slowest %d ms; max heap after GC %d MB (-Xmx256m)%n",
                    senders, rounds, maximalBundle("SIZE").length, floodMillis, counts, entryCounts,
                    largestResponse.get(), health.size(), slowestHealth.get(), maxHeapAfterGcMb(gcLog));
            synchronized (output) {
                output.toString().lines().filter(l -> l.contains("ERROR")).limit(5)
                        .forEach(l -> System.out.println("gateway: " + l));
            }
            assertThat(child.isAlive()).as("the gateway is still up: %s", output).isTrue();
            synchronized (output) {
                assertThat(output.toString()).doesNotContain("OutOfMemoryError");
            }
            assertThat(answers).hasSize(senders * rounds)
                    .allSatisfy(a -> assertThat(a).matches("200|503 Retry-After=1"));
            assertThat(accepted.get()).as("some got through").isPositive();
            assertThat(entryStatuses).as("an entry is stored, or the sender is told to retry")
                    .allSatisfy(x -> assertThat(x).isIn("201 Created", "503 Service Unavailable"));
            assertThat(acknowledged).as("most entries of accepted bundles stored").isNotEmpty();
            assertThat(health).as("/health answered throughout").isNotEmpty().containsOnly(200);
            assertThat(largestResponse.get()).as("a response is small").isLessThan(64 * 1024);

            // every entry answered 201 is on the topic, once (a 503 entry may have landed late: retried, it dedups)
            Map<String, Long> onTopic = TopicReader.readAll(broker.bootstrapServers(), CareEventType.REFERRAL.topic(),
                            acknowledged.size(), Duration.ofSeconds(60)).stream()
                    .map(r -> ((Referral) decode(r)).getHeader().getSubjectId())
                    .filter(id -> id.startsWith("FLOOD-" + runId))
                    .collect(java.util.stream.Collectors.groupingBy(id -> id, java.util.stream.Collectors.counting()));
            assertThat(acknowledged).allSatisfy(id -> assertThat(onTopic.get(id)).as(id).isEqualTo(1L));

            HttpResponse<String> after = http.send(HttpRequest.newBuilder(URI.create(childBase + "/fhir/r4/Encounter"))
                    .header("Content-Type", "application/fhir+json").POST(HttpRequest.BodyPublishers.ofString(
                            FHIR.newJsonParser().encodeResourceToString(admission("HC-AFTER-FLOOD", NHS)))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(after.statusCode()).isEqualTo(201);
        } finally {
            child.destroy();
            if (!child.waitFor(20, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
            Files.deleteIfExists(gcLog);
        }
    }

    /** A batch Bundle just under the gateway's 1 MiB limit, of 100 valid referrals padded with codings it ignores. */
    static byte[] maximalBundle(String prefix) {
        Bundle bundle = new Bundle().setType(Bundle.BundleType.BATCH);
        for (int i = 0; i < 100; i++) {
            ServiceRequest referral = new ServiceRequest();
            referral.addIdentifier().setSystem("https://a81001.example/referral").setValue(prefix + "-" + i);
            referral.setStatus(ServiceRequest.ServiceRequestStatus.ACTIVE);
            referral.setIntent(ServiceRequest.ServiceRequestIntent.ORDER);
            referral.getCode().setText("Cardiology");
            referral.setSubject(new Reference().setIdentifier(new Identifier().setSystem(FhirMapper.NHS_NUMBER_SYSTEM)
                    .setValue(NHS)));
            referral.setRequester(ods("A81001"));
            referral.setAuthoredOn(Date.from(T0));
            // many small elements: the most parsing work per byte
            for (int k = 0; k < 118; k++) {
                referral.addCategory().addCoding(new Coding("https://example.org/pad", "c" + k, "p"));
            }
            bundle.addEntry().setResource(referral);
        }
        byte[] body = FHIR.newJsonParser().encodeResourceToString(bundle).getBytes(StandardCharsets.UTF_8);
        assertThat(body.length).as("just under the 1 MiB limit").isBetween(900_000, 1 << 20);
        return body;
    }

    /** The largest heap in use after any garbage collection, from the child's GC log ("...->35M(256M)"). */
    static long maxHeapAfterGcMb(Path gcLog) throws java.io.IOException {
        Matcher m = Pattern.compile("->(\\d+)M\\(").matcher(Files.readString(gcLog));
        long max = 0;
        while (m.find()) {
            max = Math.max(max, Long.parseLong(m.group(1)));
        }
        return max;
    }
}
