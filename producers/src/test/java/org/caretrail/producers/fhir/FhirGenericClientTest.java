package org.caretrail.producers.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.caretrail.producers.fhir.FhirResources.NHS;
import static org.caretrail.producers.fhir.FhirResources.T0;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.api.MethodOutcome;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.MethodNotAllowedException;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.caretrail.events.model.Admission;
import org.caretrail.producers.support.MockPublisher;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway on a real JDK HttpServer with HAPI FHIR's generic REST client as the peer (the
 * client a Java EPR integration would use), over a MockProducer-backed publisher. The client
 * checks the server's CapabilityStatement before its first request, as it does by default.
 */
class FhirGenericClientTest {

    /** The peer's own context, separate from the gateway's cached one. */
    private static final FhirContext PEER = FhirContext.forR4();

    private HttpServer server;
    private ExecutorService executor;
    private MockPublisher mock;
    private IGenericClient client;

    private IGenericClient start(MockPublisher publisher) throws Exception {
        mock = publisher;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/fhir/r4", new FhirGateway(mock.publisher,
                FhirSettings.defaults().withPublishTimeout(Duration.ofSeconds(5))));
        executor = Executors.newFixedThreadPool(2);
        server.setExecutor(executor);
        server.start();
        client = PEER.newRestfulGenericClient("http://127.0.0.1:" + server.getAddress().getPort() + "/fhir/r4");
        return client;
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
            executor.shutdownNow();
        }
    }

    @Test
    void capabilities_reads_the_capability_statement_from_metadata() throws Exception {
        CapabilityStatement cs = start(new MockPublisher()).capabilities().ofType(CapabilityStatement.class).execute();
        assertThat(cs.getFhirVersion().toCode()).isEqualTo("4.0.1");
        assertThat(cs.getFormat()).extracting(f -> f.getValue())
                .contains("application/fhir+json", "application/fhir+xml");
        CapabilityStatement.CapabilityStatementRestComponent rest = cs.getRestFirstRep();
        assertThat(rest.getResource()).extracting(r -> r.getType())
                .contains("Encounter", "ServiceRequest", "MedicationRequest", "Appointment");
        assertThat(rest.getInteraction()).extracting(i -> i.getCode())
                .contains(CapabilityStatement.SystemRestfulInteraction.TRANSACTION);
    }

    @Test
    void create_of_an_admission_encounter_is_201_with_the_published_outcome() throws Exception {
        MethodOutcome outcome = start(new MockPublisher()).create().resource(FhirResources.inpatient("GC100", T0))
                .execute();
        assertThat(outcome.getCreated()).isTrue();
        assertThat(outcome.getResponseStatusCode()).isEqualTo(201);
        OperationOutcome oo = (OperationOutcome) outcome.getOperationOutcome();
        assertThat(oo).as("the gateway's OperationOutcome, parsed by the client").isNotNull();
        assertThat(oo.getIssueFirstRep().getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.INFORMATION);
        assertThat(oo.getIssueFirstRep().getDiagnostics())
                .contains("published admission NEW subjectId=GC100").contains("to care.admissions-");

        assertThat(mock.events()).hasSize(1);
        Admission admission = (Admission) mock.events().get(0);
        assertThat(admission.getHeader().getPatient().getNhsNumber()).isEqualTo(NHS);
        assertThat(oo.getIssueFirstRep().getDiagnostics()).contains("eventId=" + admission.getHeader().getEventId());
    }

    @Test
    void create_in_xml_is_answered_in_xml_and_parsed_by_the_client() throws Exception {
        IGenericClient xmlClient = start(new MockPublisher());
        xmlClient.setEncoding(EncodingEnum.XML);
        MethodOutcome outcome = xmlClient.create().resource(FhirResources.appointment("GC-APPT", T0.plusSeconds(7200)))
                .execute();
        assertThat(outcome.getCreated()).isTrue();
        assertThat(((OperationOutcome) outcome.getOperationOutcome()).getIssueFirstRep().getDiagnostics())
                .contains("published appointment NEW subjectId=GC-APPT");
        assertThat(outcome.getResponseHeaders()).hasEntrySatisfying("content-type",
                values -> assertThat(values).anySatisfy(ct -> assertThat(ct).startsWith("application/fhir+xml")));
        assertThat(mock.events()).hasSize(1);
    }

    @Test
    void an_invalid_nhs_number_is_an_unprocessable_entity_exception_naming_the_element() throws Exception {
        IGenericClient c = start(new MockPublisher());
        Encounter bad = FhirResources.inpatient("GC101", T0).setSubject(FhirResources.nhsPatient("9990000019"));

        UnprocessableEntityException e = catchThrowableOfType(UnprocessableEntityException.class,
                () -> c.create().resource(bad).execute());

        assertThat(e).as("the client must throw UnprocessableEntityException").isNotNull();
        assertThat(e.getStatusCode()).isEqualTo(422);
        assertThat(e.getMessage()).contains("Modulus 11");
        OperationOutcome oo = (OperationOutcome) e.getOperationOutcome();
        assertThat(oo).as("the OperationOutcome carried by the exception").isNotNull();
        OperationOutcome.OperationOutcomeIssueComponent issue = oo.getIssueFirstRep();
        assertThat(issue.getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
        assertThat(issue.getExpression()).extracting(x -> x.getValue())
                .containsExactly("Encounter.subject.identifier.value");
        assertThat(issue.getDiagnostics()).contains("9990000019").contains("fails the Modulus 11 check");
        assertThat(mock.events()).as("nothing published").isEmpty();
        assertThat(mock.deadLetters()).as("the refusal is recorded with its reason").singleElement()
                .satisfies(r -> assertThat(MockPublisher.reason(r)).startsWith("422: ")
                        .contains("Encounter.subject.identifier.value").contains("Modulus 11"));
    }

    @Test
    void a_body_with_an_unknown_element_is_an_invalid_request_exception_naming_it() throws Exception {
        IGenericClient c = start(new MockPublisher());
        String sloppy = "{\"resourceType\":\"Encounter\",\"status\":\"in-progress\",\"subjekt\":{\"display\":\"x\"}}";

        InvalidRequestException e = catchThrowableOfType(InvalidRequestException.class,
                () -> c.create().resource(sloppy).execute());

        assertThat(e).as("the client must throw InvalidRequestException").isNotNull();
        assertThat(e.getStatusCode()).isEqualTo(400);
        OperationOutcome oo = (OperationOutcome) e.getOperationOutcome();
        assertThat(oo.getIssueFirstRep().getCode()).isEqualTo(OperationOutcome.IssueType.STRUCTURE);
        assertThat(oo.getIssueFirstRep().getDiagnostics()).contains("not a valid FHIR R4 resource").contains("subjekt");
        assertThat(mock.events()).isEmpty();
        assertThat(mock.deadLetters()).singleElement().satisfies(r -> assertThat(new String(r.value(),
                java.nio.charset.StandardCharsets.UTF_8)).as("the original bytes").isEqualTo(sloppy));
    }

    @Test
    void a_transaction_bundle_is_answered_with_a_transaction_response() throws Exception {
        IGenericClient c = start(new MockPublisher());
        Bundle bundle = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        bundle.addEntry().setFullUrl("urn:uuid:5b0f6c1e-8d4e-4c1a-9d4b-2b0e6f7a9c10")
                .setResource(FhirResources.patient(NHS, "40800001"))
                .getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Patient");
        bundle.addEntry().setResource(FhirResources.inpatient("GC300", T0)
                        .setSubject(new Reference("urn:uuid:5b0f6c1e-8d4e-4c1a-9d4b-2b0e6f7a9c10")))
                .getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Encounter");
        bundle.addEntry().setResource(FhirResources.referral("GC-REF"))
                .getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("ServiceRequest");

        Bundle reply = c.transaction().withBundle(bundle).execute();

        assertThat(reply.getType()).isEqualTo(Bundle.BundleType.TRANSACTIONRESPONSE);
        assertThat(reply.getEntry()).extracting(e -> e.getResponse().getStatus()).containsOnly("201 Created")
                .hasSize(3);
        assertThat(reply.getEntry()).as("an OperationOutcome only for an entry that failed")
                .allSatisfy(e -> assertThat(e.getResponse().hasOutcome()).isFalse());
        assertThat(mock.events()).extracting(e -> e.getSchema().getName())
                .containsExactly("PatientIdentity", "Admission", "Referral");
        Admission admission = (Admission) mock.events().get(1);
        assertThat(reply.getEntry().get(1).getResponse().getLocation()).as("where the entry's event is")
                .isEqualTo("urn:uuid:" + admission.getHeader().getEventId());
        assertThat(admission.getHeader().getPatient().getLocalId().getValue()).isEqualTo("40800001");
    }

    @Test
    void a_transaction_with_one_bad_entry_is_refused_whole_naming_the_entry() throws Exception {
        IGenericClient c = start(new MockPublisher());
        Bundle bundle = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        bundle.addEntry().setResource(FhirResources.prescription("GC-RX"))
                .getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("MedicationRequest");
        bundle.addEntry().setResource(FhirResources.emergency("GC-AE", T0).setSubject(FhirResources.nhsPatient("123")))
                .getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Encounter");

        UnprocessableEntityException e = catchThrowableOfType(UnprocessableEntityException.class,
                () -> c.transaction().withBundle(bundle).execute());

        assertThat(e).isNotNull();
        OperationOutcome.OperationOutcomeIssueComponent issue = ((OperationOutcome) e.getOperationOutcome())
                .getIssueFirstRep();
        assertThat(issue.getExpression()).extracting(x -> x.getValue())
                .containsExactly("Bundle.entry[1].resource.subject.identifier.value");
        assertThat(mock.events()).as("all or nothing: the valid prescription is not published").isEmpty();
        assertThat(mock.deadLetters()).as("the refused transaction, once, with every reason").hasSize(1);
    }

    @Test
    void a_bundle_that_is_neither_transaction_nor_batch_is_an_invalid_request() throws Exception {
        IGenericClient c = start(new MockPublisher());
        Bundle collection = new Bundle().setType(Bundle.BundleType.COLLECTION);
        collection.addEntry().setResource(FhirResources.referral("GC-REF2"));

        InvalidRequestException e = catchThrowableOfType(InvalidRequestException.class,
                () -> c.transaction().withBundle(collection).execute());

        assertThat(e).isNotNull();
        OperationOutcome.OperationOutcomeIssueComponent issue = ((OperationOutcome) e.getOperationOutcome())
                .getIssueFirstRep();
        assertThat(issue.getExpression()).extracting(x -> x.getValue()).containsExactly("Bundle.type");
        assertThat(issue.getDiagnostics()).contains("must be transaction or batch, not collection");
        assertThat(mock.events()).isEmpty();
    }

    @Test
    void a_read_is_method_not_allowed_because_the_gateway_only_creates() throws Exception {
        IGenericClient c = start(new MockPublisher());
        MethodNotAllowedException e = catchThrowableOfType(MethodNotAllowedException.class,
                () -> c.read().resource(Encounter.class).withId("GC100").execute());
        assertThat(e).isNotNull();
        assertThat(e.getStatusCode()).isEqualTo(405);
        assertThat(((OperationOutcome) e.getOperationOutcome()).getIssueFirstRep().getDiagnostics())
                .contains("use POST");
    }

    @Test
    void with_kafka_away_the_client_gets_503_with_an_operation_outcome_within_its_own_default_timeout()
            throws Exception {
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (org.caretrail.producers.publisher.CarePublisher away = org.caretrail.producers.publisher.CarePublisher
                .connect("127.0.0.1:" + closedPort, new org.caretrail.events.topic.Topics(
                        new org.caretrail.events.serde.InMemorySchemaRegistry()), "generic-client-test")) {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            FhirGateway gateway = new FhirGateway(away); // the defaults: an 8 s publish timeout
            gateway.ready().get(60, java.util.concurrent.TimeUnit.SECONDS);
            server.createContext("/fhir/r4", gateway);
            executor = Executors.newFixedThreadPool(2);
            server.setExecutor(executor);
            server.start();
            IGenericClient c = PEER.newRestfulGenericClient("http://127.0.0.1:" + server.getAddress().getPort()
                    + "/fhir/r4");
            assertThat(PEER.getRestfulClientFactory().getSocketTimeout()).as("HAPI's default").isEqualTo(10_000);

            ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException e = catchThrowableOfType(
                    ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException.class,
                    () -> c.create().resource(FhirResources.inpatient("GC-AWAY", T0)).execute());

            assertThat(e).as("an HTTP answer, not a client timeout").isNotNull();
            assertThat(e.getStatusCode()).isEqualTo(503);
            OperationOutcome.OperationOutcomeIssueComponent issue = ((OperationOutcome) e.getOperationOutcome())
                    .getIssueFirstRep();
            assertThat(issue.getCode()).isEqualTo(OperationOutcome.IssueType.TRANSIENT);
            assertThat(issue.getDiagnostics()).contains("not known to be stored").contains("retry");
        }
    }

    @Test
    void a_bundle_over_the_entry_limit_is_a_payload_too_large_exception_naming_the_limit() throws Exception {
        mock = new MockPublisher();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/fhir/r4", new FhirGateway(mock.publisher,
                FhirSettings.defaults().withRequestLimits(1 << 20, 2)));
        executor = Executors.newFixedThreadPool(2);
        server.setExecutor(executor);
        server.start();
        IGenericClient c = PEER.newRestfulGenericClient("http://127.0.0.1:" + server.getAddress().getPort() + "/fhir/r4");
        Bundle bundle = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        for (int i = 0; i < 3; i++) {
            bundle.addEntry().setResource(FhirResources.referral("GC-MANY-" + i))
                    .getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("ServiceRequest");
        }

        ca.uhn.fhir.rest.server.exceptions.PayloadTooLargeException e = catchThrowableOfType(
                ca.uhn.fhir.rest.server.exceptions.PayloadTooLargeException.class,
                () -> c.transaction().withBundle(bundle).execute());

        assertThat(e).isNotNull();
        assertThat(e.getStatusCode()).isEqualTo(413);
        assertThat(((OperationOutcome) e.getOperationOutcome()).getIssueFirstRep().getDiagnostics())
                .contains("has 3 entries; the limit is 2");
        assertThat(mock.producer.history()).isEmpty();
    }
}
