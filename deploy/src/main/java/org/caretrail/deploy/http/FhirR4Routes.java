package org.caretrail.deploy.http;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.caretrail.producers.fhir.FhirGateway;
import org.caretrail.timeline.fhir.FhirReadApi;
import org.hl7.fhir.r4.model.CapabilityStatement;

/**
 * Everything under {@value #PATH}, one FHIR R4 server for its clients, made of three parts that each
 * live with what they serve: the FHIR gateway's writes (producers), the read API over the timeline
 * (stream-processor) and FHIR subscriptions (consumers). Routes each request to its part and answers
 * {@code GET metadata} with one CapabilityStatement listing what all of them serve.
 *
 * <ul>
 *   <li>{@code Subscription...}, {@code Basic...} (the SubscriptionTopics): the subscriptions;
 *   <li>{@code GET} (or {@code HEAD}) of a resource type the read API serves: the read API;
 *   <li>anything else (POSTs, other types, other methods): the gateway, which answers 404/405 for what it
 *       does not take.
 * </ul>
 * Who may call what is the platform's access layer's decision ({@code AccessPolicy}), before this.
 */
public final class FhirR4Routes implements HttpHandler {

    public static final String PATH = "/fhir/r4";

    private final HttpHandler writes;
    private final HttpHandler reads;
    private final HttpHandler subscriptions;
    private final CapabilityStatement capabilities;
    private final FhirContext fhir = FhirContext.forR4Cached();

    /**
     * @param subscriptions the FHIR subscriptions' handler, or null when the platform serves none
     * @param capabilities what they all serve together
     */
    public FhirR4Routes(FhirGateway writes, FhirReadApi reads, HttpHandler subscriptions,
            CapabilityStatement capabilities) {
        this.writes = writes;
        this.reads = reads;
        this.subscriptions = subscriptions;
        this.capabilities = capabilities;
    }

    /** The gateway's CapabilityStatement with the read API's reads, searches and operations added. */
    public static CapabilityStatement capabilities(FhirGateway writes) {
        CapabilityStatement cs = writes.capabilities();
        cs.setDescription(cs.getDescription() + " Reads: each patient's timeline as Patient, Encounter, "
                + "EpisodeOfCare, ServiceRequest, MedicationRequest and Appointment resources (one patient per "
                + "search), clinicians only, RESTRICTED entries only with restricted access.");
        FhirReadApi.describe(cs.getRestFirstRep());
        return cs;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String rest = path.length() > PATH.length() ? path.substring(PATH.length() + 1) : "";
        String first = rest.contains("/") ? rest.substring(0, rest.indexOf('/')) : rest;
        String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
        if (rest.equals("metadata") && method.equals("GET")) {
            metadata(exchange);
        } else if (subscriptions != null && (first.equals("Subscription") || first.equals("Basic"))) {
            subscriptions.handle(exchange);
        } else if (FhirReadApi.serves(method, rest)) {
            reads.handle(exchange);
        } else {
            writes.handle(exchange);
        }
    }

    private void metadata(HttpExchange exchange) throws IOException {
        try (exchange) {
            String query = exchange.getRequestURI().getQuery();
            String accept = exchange.getRequestHeaders().getFirst("Accept");
            boolean xml = (query != null && query.contains("_format=xml"))
                    || (query == null || !query.contains("_format=json")) && accept != null && accept.contains("xml")
                    && !accept.contains("json");
            IParser parser = (xml ? fhir.newXmlParser() : fhir.newJsonParser()).setPrettyPrint(false);
            byte[] body;
            synchronized (capabilities) {
                body = parser.encodeResourceToString(capabilities).getBytes(StandardCharsets.UTF_8);
            }
            exchange.getResponseHeaders().set("Content-Type", xml ? "application/fhir+xml; charset=utf-8"
                    : "application/fhir+json; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }
}
