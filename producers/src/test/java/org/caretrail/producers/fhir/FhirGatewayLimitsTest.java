package org.caretrail.producers.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.producers.fhir.FhirResources.T0;

import ca.uhn.fhir.context.FhirContext;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.MockProducer;
import org.caretrail.events.CareEventValidator;
import org.caretrail.events.serde.InMemorySchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.producers.publisher.CarePublisher;
import org.caretrail.producers.support.MockPublisher;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's limits, tried as a hostile or careless sender would, over real HTTP: oversized
 * bodies (declared and chunked), too many Bundle entries, more requests or bytes than it takes at
 * once, Kafka away, XML entity bombs, JSON nested past reason, a batch built to make the response
 * huge, and an internal failure whose details must not leak.
 */
class FhirGatewayLimitsTest {

    private final FhirContext fhir = FhirContext.forR4Cached();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private HttpServer server;
    private ExecutorService executor;
    private String base;

    private void start(CarePublisher publisher, FhirSettings settings) throws Exception {
        start(new FhirGateway(publisher, settings));
    }

    private void start(FhirGateway gateway) throws Exception {
        gateway.ready().get(60, TimeUnit.SECONDS); // timings below are of requests, not of HAPI learning its models
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/fhir/r4", gateway);
        executor = Executors.newFixedThreadPool(8);
        server.setExecutor(executor);
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort() + "/fhir/r4";
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
            executor.shutdownNow();
        }
    }

    private HttpResponse<String> post(String path, HttpRequest.BodyPublisher body, String contentType) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", contentType).POST(body).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, Resource resource) throws Exception {
        return post(path, HttpRequest.BodyPublishers.ofString(fhir.newJsonParser().encodeResourceToString(resource)),
                "application/fhir+json");
    }

    private OperationOutcome.OperationOutcomeIssueComponent issue(HttpResponse<String> r) {
        return fhir.newJsonParser().parseResource(OperationOutcome.class, r.body()).getIssueFirstRep();
    }

    private static String padding(int chars) {
        return "x".repeat(chars);
    }

    @Test
    void a_body_declared_larger_than_the_limit_is_413_naming_the_limit_and_nothing_is_published() throws Exception {
        MockPublisher mock = new MockPublisher();
        start(mock.publisher, FhirSettings.defaults().withRequestLimits(4096, 100));
        String big = "{\"resourceType\":\"Encounter\",\"id\":\"" + padding(10_000) + "\"}";

        HttpResponse<String> r = post("/Encounter", HttpRequest.BodyPublishers.ofString(big), "application/fhir+json");

        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(issue(r).getCode()).isEqualTo(OperationOutcome.IssueType.TOOCOSTLY);
        assertThat(issue(r).getDiagnostics()).contains("the limit is 4096 bytes");
        assertThat(mock.producer.history()).as("nothing published, nothing dead-lettered").isEmpty();
    }

    @Test
    void a_chunked_body_growing_past_the_limit_is_413_too() throws Exception {
        MockPublisher mock = new MockPublisher();
        start(mock.publisher, FhirSettings.defaults().withRequestLimits(4096, 100));
        byte[] big = ("{\"resourceType\":\"Encounter\",\"id\":\"" + padding(20_000) + "\"}")
                .getBytes(StandardCharsets.UTF_8);

        // an InputStream of unknown length: the client sends it chunked, without Content-Length
        HttpResponse<String> r = post("/Encounter", HttpRequest.BodyPublishers.ofInputStream(
                () -> new ByteArrayInputStream(big)), "application/fhir+json");

        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(issue(r).getDiagnostics()).contains("more than 4096 bytes").contains("the limit is 4096 bytes");
        assertThat(mock.producer.history()).isEmpty();
    }

    @Test
    void a_bundle_with_more_entries_than_the_limit_is_413_naming_it_and_nothing_of_it_is_published() throws Exception {
        MockPublisher mock = new MockPublisher();
        start(mock.publisher, FhirSettings.defaults().withRequestLimits(1 << 20, 3));
        Bundle bundle = new Bundle().setType(Bundle.BundleType.BATCH);
        for (int i = 0; i < 4; i++) {
            bundle.addEntry().setResource(FhirResources.referral("REF-" + i));
        }

        HttpResponse<String> r = post("", bundle);

        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(issue(r).getExpression().get(0).getValue()).isEqualTo("Bundle.entry");
        assertThat(issue(r).getDiagnostics()).contains("has 4 entries; the limit is 3");
        assertThat(mock.events()).isEmpty();

        bundle.getEntry().remove(3);
        assertThat(post("", bundle).statusCode()).as("at the limit").isEqualTo(200);
        assertThat(mock.events()).hasSize(3);
    }

    @Test
    void beyond_the_requests_in_flight_a_sender_gets_503_retry_after_throttled_and_the_gateway_recovers() throws Exception {
        MockPublisher mock = new MockPublisher(false); // Kafka acknowledges only when told
        start(mock.publisher, FhirSettings.defaults().withCapacity(1, 1 << 20).withPublishTimeout(Duration.ofSeconds(30)));
        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> {
            try {
                return post("/ServiceRequest", FhirResources.referral("REF-FIRST"));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> mock.producer.history().size() == 1);

        HttpResponse<String> refused = post("/ServiceRequest", FhirResources.referral("REF-SECOND"));

        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(issue(refused).getCode()).isEqualTo(OperationOutcome.IssueType.THROTTLED);
        assertThat(issue(refused).getDiagnostics()).contains("more than 1 requests are in flight");
        assertThat(mock.producer.history()).as("the refused request published nothing").hasSize(1);

        mock.producer.completeNext();
        assertThat(first.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
        CompletableFuture<HttpResponse<String>> third = CompletableFuture.supplyAsync(() -> {
            try {
                return post("/ServiceRequest", FhirResources.referral("REF-THIRD"));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> mock.producer.history().size() == 2);
        mock.producer.completeNext();
        assertThat(third.get(20, TimeUnit.SECONDS).statusCode()).as("room again once the first was answered")
                .isEqualTo(201);
    }

    @Test
    void beyond_the_bytes_buffered_a_sender_gets_503_while_small_requests_still_fit() throws Exception {
        MockPublisher mock = new MockPublisher(false);
        start(mock.publisher, FhirSettings.defaults().withRequestLimits(8192, 100).withCapacity(10, 12_000)
                .withPublishTimeout(Duration.ofSeconds(30)));
        org.hl7.fhir.r4.model.ServiceRequest heavy = FhirResources.referral("REF-HEAVY");
        heavy.addNote().setText(padding(6_500));
        String heavyJson = fhir.newJsonParser().encodeResourceToString(heavy);
        assertThat(heavyJson.length()).isBetween(6_500, 8192);
        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> {
            try {
                return post("/ServiceRequest", HttpRequest.BodyPublishers.ofString(heavyJson), "application/fhir+json");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> mock.producer.history().size() == 1);

        HttpResponse<String> second = post("/ServiceRequest", HttpRequest.BodyPublishers.ofString(
                heavyJson.replace("REF-HEAVY", "REF-HEAVY2")), "application/fhir+json");

        assertThat(second.statusCode()).isEqualTo(503);
        assertThat(second.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(issue(second).getDiagnostics()).contains("already fill its 12000 bytes");
        CompletableFuture<HttpResponse<String>> small = CompletableFuture.supplyAsync(() -> {
            try {
                return post("/ServiceRequest", FhirResources.referral("REF-SMALL"));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> mock.producer.history().size() == 2);
        mock.producer.completeNext();
        mock.producer.completeNext();
        assertThat(first.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
        assertThat(small.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
    }

    @Test
    void with_kafka_away_a_batch_of_a_hundred_entries_is_answered_503_per_entry_well_within_a_senders_timeout()
            throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        try (CarePublisher away = CarePublisher.connect("127.0.0.1:" + closedPort,
                new Topics(new InMemorySchemaRegistry()), "fhir-limits-test")) {
            start(away, FhirSettings.defaults());
            Bundle bundle = new Bundle().setType(Bundle.BundleType.BATCH);
            for (int i = 0; i < 100; i++) {
                bundle.addEntry().setResource(FhirResources.referral("REF-AWAY-" + i));
            }
            String json = fhir.newJsonParser().encodeResourceToString(bundle);
            long started = System.nanoTime();
            // a sender's own timeout, as HAPI FHIR's client has by default: answered within it, or this throws
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base)).timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/fhir+json").POST(HttpRequest.BodyPublishers.ofString(json))
                    .build(), HttpResponse.BodyHandlers.ofString());
            long millis = Duration.ofNanos(System.nanoTime() - started).toMillis();

            assertThat(r.statusCode()).isEqualTo(200);
            Bundle reply = fhir.newJsonParser().parseResource(Bundle.class, r.body());
            assertThat(reply.getEntry()).hasSize(100).allSatisfy(e -> {
                assertThat(e.getResponse().getStatus()).isEqualTo("503 Service Unavailable");
                OperationOutcome.OperationOutcomeIssueComponent issue =
                        ((OperationOutcome) e.getResponse().getOutcome()).getIssueFirstRep();
                assertThat(issue.getCode()).isEqualTo(OperationOutcome.IssueType.TRANSIENT);
                assertThat(issue.getDiagnostics()).contains("not known to be stored").contains("retry")
                        .doesNotContain("metadata"); // Kafka's own exception text stays in the log
            });
            System.out.printf("Kafka away: a batch of 100 answered in %d ms%n", millis);

            HttpResponse<String> single = post("/ServiceRequest", FhirResources.referral("REF-AWAY-ONE"));
            assertThat(single.statusCode()).isEqualTo(503);
            assertThat(single.headers().firstValue("Retry-After")).hasValue("5");
        }
    }

    @Test
    void an_xml_entity_bomb_is_refused_as_not_fhir_and_the_gateway_goes_on() throws Exception {
        MockPublisher mock = new MockPublisher();
        start(mock.publisher, FhirSettings.defaults());
        String bomb = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
                + "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
                + "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">"
                + "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
                + "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">"
                + "<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">"
                + "<!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">"
                + "<!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">"
                + "<!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">"
                + "<!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">"
                + "<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
                + "<Encounter xmlns=\"http://hl7.org/fhir\"><id value=\"&lol9;&xxe;\"/></Encounter>";

        HttpResponse<String> r = post("/Encounter", HttpRequest.BodyPublishers.ofString(bomb), "application/fhir+xml");

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).doesNotContain("root:");
        assertThat(mock.events()).isEmpty();
        assertThat(post("/ServiceRequest", FhirResources.referral("REF-AFTER-BOMB")).statusCode()).isEqualTo(201);
    }

    @Test
    void json_nested_past_reason_is_refused_as_not_fhir_and_the_gateway_goes_on() throws Exception {
        MockPublisher mock = new MockPublisher();
        start(mock.publisher, FhirSettings.defaults());
        int depth = 50_000;
        String nested = "{\"resourceType\":\"Encounter\",\"extension\":" + "[{\"extension\":".repeat(depth) + "[]"
                + "}]".repeat(depth) + "}";

        HttpResponse<String> r = post("/Encounter", HttpRequest.BodyPublishers.ofString(nested), "application/fhir+json");

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(issue(r).getCode()).isEqualTo(OperationOutcome.IssueType.STRUCTURE);
        assertThat(post("/ServiceRequest", FhirResources.referral("REF-AFTER-NEST")).statusCode()).isEqualTo(201);
    }

    @Test
    void a_batch_built_to_make_the_response_huge_gets_a_small_one() throws Exception {
        MockPublisher mock = new MockPublisher();
        start(mock.publisher, FhirSettings.defaults());
        Bundle bundle = new Bundle().setType(Bundle.BundleType.BATCH);
        for (int i = 0; i < 100; i++) {
            // each quoted back in the error: an NHS number of 8,000 characters
            bundle.addEntry().setResource(FhirResources.referral("REF-BIG-" + i)
                    .setSubject(FhirResources.nhsPatient(padding(8_000))));
        }
        String body = fhir.newJsonParser().encodeResourceToString(bundle);

        HttpResponse<String> r = post("", HttpRequest.BodyPublishers.ofString(body), "application/fhir+json");

        assertThat(r.statusCode()).isEqualTo(200);
        Bundle reply = fhir.newJsonParser().parseResource(Bundle.class, r.body());
        assertThat(reply.getEntry()).hasSize(100).allSatisfy(e -> {
            assertThat(e.getResponse().getStatus()).isEqualTo("422 Unprocessable Entity");
            assertThat(((OperationOutcome) e.getResponse().getOutcome()).getIssueFirstRep().getDiagnostics())
                    .hasSizeLessThanOrEqualTo(FhirOutcomes.MAX_DIAGNOSTICS_CHARS);
        });
        System.out.printf("a batch of 100 failing entries (%d bytes) answered in %d bytes%n", body.length(),
                r.body().length());
        assertThat(r.body().length()).as("response of %d bytes for a request of %d", r.body().length(), body.length())
                .isLessThan(100 * 1024);
        assertThat(mock.deadLetters()).hasSize(100);
    }

    @Test
    void an_internal_failure_is_500_with_a_reference_and_never_its_exception_text() throws Exception {
        Clock broken = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                throw new IllegalStateException("secret-internal-detail at db://10.0.0.7");
            }
        };
        MockProducer<String, byte[]> producer = new MockProducer<>(true, null,
                new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer());
        start(new FhirGateway(new CarePublisher(producer, new Topics(new InMemorySchemaRegistry()),
                new CareEventValidator()), FhirSettings.defaults(), broken));

        HttpResponse<String> r = post("/ServiceRequest", FhirResources.referral("REF-500"));

        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(issue(r).getCode()).isEqualTo(OperationOutcome.IssueType.EXCEPTION);
        assertThat(issue(r).getDiagnostics()).contains("reference").doesNotContain("secret").doesNotContain("10.0.0.7")
                .doesNotContain("IllegalStateException");
    }

    @Test
    void a_lying_content_length_cannot_make_the_gateway_wait_for_or_hold_more_than_the_limit() throws Exception {
        MockPublisher mock = new MockPublisher();
        start(mock.publisher, FhirSettings.defaults().withRequestLimits(4096, 100));
        try (Socket socket = new Socket("127.0.0.1", server.getAddress().getPort())) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /fhir/r4/Encounter HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/fhir+json\r\n"
                    + "Content-Length: 10737418240\r\n\r\n{\"resourceType\":").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String head = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(head).as("answered at once, without reading 10 GiB").isEqualTo("HTTP/1.1 413");
        }
        assertThat(mock.producer.history()).isEmpty();
        List<Integer> after = new ArrayList<>();
        after.add(post("/ServiceRequest", FhirResources.referral("REF-AFTER-LIE")).statusCode());
        assertThat(after).containsExactly(201);
    }
}
