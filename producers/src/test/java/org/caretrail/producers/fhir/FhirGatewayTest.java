package org.caretrail.producers.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.producers.fhir.FhirResources.NHS;
import static org.caretrail.producers.fhir.FhirResources.T0;

import ca.uhn.fhir.context.FhirContext;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.Action;
import org.caretrail.producers.support.MockPublisher;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The gateway on a real JDK HttpServer, spoken to over HTTP with FHIR JSON made by HAPI's own parser. */
class FhirGatewayTest {

    private final FhirContext fhir = FhirContext.forR4Cached();
    private final HttpClient http = HttpClient.newHttpClient();
    private HttpServer server;
    private String base;

    private MockPublisher start(MockPublisher mock) throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/fhir/r4", new FhirGateway(mock.publisher,
                FhirSettings.defaults().withPublishTimeout(Duration.ofSeconds(2))));
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort() + "/fhir/r4";
        return mock;
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/fhir+json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, Resource resource) throws Exception {
        return post(path, fhir.newJsonParser().encodeResourceToString(resource));
    }

    private <T extends Resource> T read(HttpResponse<String> response, Class<T> type) {
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                ct -> assertThat(ct).startsWith("application/fhir+json"));
        return fhir.newJsonParser().parseResource(type, response.body());
    }

    @Test
    void metadata_is_a_capability_statement_naming_the_resources_taken() throws Exception {
        start(new MockPublisher());
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/metadata")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        CapabilityStatement cs = read(r, CapabilityStatement.class);
        assertThat(cs.getFhirVersion().toCode()).isEqualTo("4.0.1");
        assertThat(cs.getRestFirstRep().getResource()).extracting(c -> c.getType())
                .contains("Encounter", "ServiceRequest", "MedicationRequest", "Appointment");
    }

    @Test
    void a_valid_encounter_is_created_201_after_kafka_acknowledged() throws Exception {
        MockPublisher mock = start(new MockPublisher(false));
        CompletableFuture<HttpResponse<String>> response = CompletableFuture.supplyAsync(() -> {
            try {
                return post("/Encounter", FhirResources.inpatient("V100", T0));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> mock.producer.history().size() == 1);
        Thread.sleep(200);
        assertThat(response).as("no answer before Kafka acknowledged").isNotDone();
        mock.producer.completeNext();
        HttpResponse<String> r = response.get(10, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(201);
        OperationOutcome outcome = read(r, OperationOutcome.class);
        assertThat(outcome.getIssueFirstRep().getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.INFORMATION);
        assertThat(outcome.getIssueFirstRep().getDiagnostics()).contains("published admission NEW subjectId=V100")
                .contains("care.admissions");
        assertThat(CareEvents.header(mock.events().get(0)).getSubjectId()).isEqualTo("V100");
    }

    @Test
    void xml_is_read_and_answered_when_asked_for() throws Exception {
        MockPublisher mock = start(new MockPublisher());
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/Appointment"))
                .header("Content-Type", "application/fhir+xml").header("Accept", "application/fhir+xml")
                .POST(HttpRequest.BodyPublishers.ofString(fhir.newXmlParser().encodeResourceToString(
                        FhirResources.appointment("X1", T0.plusSeconds(3600))))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).contains("xml"));
        assertThat(fhir.newXmlParser().parseResource(OperationOutcome.class, r.body()).getIssueFirstRep()
                .getDiagnostics()).contains("published appointment");
        assertThat(mock.events()).hasSize(1);
    }

    @Test
    void kafka_failure_is_503_transient() throws Exception {
        MockPublisher mock = start(new MockPublisher(false));
        CompletableFuture<HttpResponse<String>> response = CompletableFuture.supplyAsync(() -> {
            try {
                return post("/ServiceRequest", FhirResources.referral("REF1"));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> mock.producer.history().size() == 1);
        mock.producer.errorNext(new org.apache.kafka.common.errors.TimeoutException("broker down"));
        HttpResponse<String> r = response.get(10, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(read(r, OperationOutcome.class).getIssueFirstRep().getCode())
                .isEqualTo(OperationOutcome.IssueType.TRANSIENT);
    }

    @Test
    void an_invalid_nhs_number_is_422_naming_the_element() throws Exception {
        MockPublisher mock = start(new MockPublisher());
        HttpResponse<String> r = post("/Encounter",
                FhirResources.inpatient("V100", T0).setSubject(FhirResources.nhsPatient("9990000019")));
        assertThat(r.statusCode()).isEqualTo(422);
        OperationOutcome.OperationOutcomeIssueComponent issue = read(r, OperationOutcome.class).getIssueFirstRep();
        assertThat(issue.getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
        assertThat(issue.getExpression().get(0).getValue()).isEqualTo("Encounter.subject.identifier.value");
        assertThat(issue.getDiagnostics()).contains("fails the Modulus 11 check");
        assertThat(mock.events()).isEmpty();
        assertThat(mock.deadLetters()).singleElement().satisfies(d -> {
            assertThat(MockPublisher.reason(d)).contains("Modulus 11");
            assertThat(new String(d.headers().lastHeader(org.caretrail.events.topic.CareTopics.HEADER_SOURCE_TOPIC)
                    .value(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("fhir:/fhir/r4/Encounter");
        });
    }

    @Test
    void malformed_bodies_and_wrong_routes_are_400_404_405_with_an_operation_outcome() throws Exception {
        start(new MockPublisher());
        HttpResponse<String> notJson = post("/Encounter", "{\"resourceType\": \"Encounter\", ");
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(read(notJson, OperationOutcome.class).getIssueFirstRep().getDiagnostics())
                .contains("not a valid FHIR R4 resource");

        HttpResponse<String> unknownElement = post("/Encounter",
                "{\"resourceType\":\"Encounter\",\"status\":\"in-progress\",\"subjekt\":{}}");
        assertThat(unknownElement.statusCode()).isEqualTo(400);
        assertThat(read(unknownElement, OperationOutcome.class).getIssueFirstRep().getDiagnostics()).contains("subjekt");

        HttpResponse<String> mismatch = post("/Encounter", FhirResources.referral("R1"));
        assertThat(mismatch.statusCode()).isEqualTo(400);
        assertThat(read(mismatch, OperationOutcome.class).getIssueFirstRep().getDiagnostics())
                .contains("is a ServiceRequest but was posted to /Encounter");

        assertThat(post("/Observation", "{}").statusCode()).isEqualTo(404);
        HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create(base + "/Encounter")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(405);
    }

    @Test
    void a_transaction_bundle_publishes_all_entries_or_none() throws Exception {
        MockPublisher mock = start(new MockPublisher());
        Bundle bundle = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        bundle.addEntry().setFullUrl("urn:uuid:p1").setResource(FhirResources.patient(NHS, "40800000"))
                .getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Patient");
        bundle.addEntry().setResource(FhirResources.inpatient("V300", T0).setSubject(new Reference("urn:uuid:p1")))
                .getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Encounter");
        bundle.addEntry().setResource(FhirResources.prescription("RX1"))
                .getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("MedicationRequest");
        bundle.addEntry().setResource(FhirResources.appointment("A1", T0.plusSeconds(86400)))
                .getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Appointment");

        HttpResponse<String> r = post("", bundle);
        assertThat(r.statusCode()).isEqualTo(200);
        Bundle reply = read(r, Bundle.class);
        assertThat(reply.getType()).isEqualTo(Bundle.BundleType.TRANSACTIONRESPONSE);
        assertThat(reply.getEntry()).extracting(e -> e.getResponse().getStatus()).containsOnly("201 Created");
        assertThat(mock.events()).extracting(e -> e.getSchema().getName())
                .containsExactly("PatientIdentity", "Admission", "Prescription", "Appointment");
        assertThat(reply.getEntry()).extracting(e -> e.getResponse().getLocation()).containsExactlyElementsOf(
                mock.events().stream().map(e -> "urn:uuid:" + CareEvents.header(e).getEventId()).toList());
        assertThat(r.body()).as("never pretty-printed").doesNotContain("\n").doesNotContain("  ");

        bundle.addEntry().setResource(FhirResources.referral("R2").setSubject(FhirResources.nhsPatient("123")))
                .getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("ServiceRequest");
        HttpResponse<String> refused = post("", bundle);
        assertThat(refused.statusCode()).isEqualTo(422);
        assertThat(read(refused, OperationOutcome.class).getIssueFirstRep().getExpression().get(0).getValue())
                .isEqualTo("Bundle.entry[4].resource.subject.identifier.value");
        assertThat(mock.events()).as("nothing more published").hasSize(4);
    }

    @Test
    void a_batch_bundle_answers_each_entry_on_its_own() throws Exception {
        MockPublisher mock = start(new MockPublisher());
        Bundle bundle = new Bundle().setType(Bundle.BundleType.BATCH);
        bundle.addEntry().setResource(FhirResources.referral("R1"));
        bundle.addEntry().setResource(FhirResources.emergency("AE1", T0).setSubject(FhirResources.nhsPatient("1")));
        HttpResponse<String> r = post("", bundle);
        assertThat(r.statusCode()).isEqualTo(200);
        Bundle reply = read(r, Bundle.class);
        assertThat(reply.getEntry()).extracting(e -> e.getResponse().getStatus())
                .containsExactly("201 Created", "422 Unprocessable Entity");
        assertThat(reply.getEntry().get(0).getResponse().hasOutcome()).isFalse();
        assertThat(((OperationOutcome) reply.getEntry().get(1).getResponse().getOutcome()).getIssueFirstRep()
                .getExpression().get(0).getValue()).isEqualTo("Bundle.entry[1].resource.subject.identifier.value");
        assertThat(mock.events()).hasSize(1);
        assertThat(mock.deadLetters()).as("the failed entry, on its own").singleElement()
                .satisfies(d -> assertThat(MockPublisher.reason(d)).contains("Bundle.entry[1]"));
        assertThat(CareEvents.header(mock.events().get(0)).getAction()).isEqualTo(Action.NEW);
    }
}
