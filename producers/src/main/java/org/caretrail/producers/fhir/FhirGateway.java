package org.caretrail.producers.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.parser.StrictErrorHandler;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.EventHeader;
import org.caretrail.producers.publisher.CarePublisher;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FHIR R4 gateway, an {@link HttpHandler} to mount at {@code /fhir/r4}:
 * <ul>
 *   <li>{@code GET  /fhir/r4/metadata} → the CapabilityStatement;</li>
 *   <li>{@code POST /fhir/r4/{Encounter|ServiceRequest|MedicationRequest|Appointment|Patient}} →
 *       mapped by {@link FhirMapper}, published, 201 with an OperationOutcome naming each event
 *       (200 when there was nothing to publish);</li>
 *   <li>{@code POST /fhir/r4} with a Bundle of type transaction (all entries valid or none
 *       published) or batch (each entry on its own) → 200 with the response Bundle.</li>
 * </ul>
 * Errors are OperationOutcomes: 400 for a body that is not FHIR (unknown elements included), 404
 * for types not taken, 405 for other methods, 422 for a resource that cannot be mapped or breaks
 * the contract (each issue names the FHIRPath at fault), 503 when Kafka did not acknowledge.
 * The response is sent only after Kafka has acknowledged every event (acks=all).
 *
 * <pre>{@code
 * server.createContext("/fhir/r4", new FhirGateway(publisher));
 * }</pre>
 */
public final class FhirGateway implements HttpHandler {

    private static final Logger LOG = LoggerFactory.getLogger(FhirGateway.class);
    static final String FHIR_JSON = "application/fhir+json; charset=utf-8";
    static final String FHIR_XML = "application/fhir+xml; charset=utf-8";

    private final CarePublisher publisher;
    private final FhirSettings settings;
    private final FhirMapper mapper;
    private final FhirContext fhir = FhirContext.forR4Cached();
    private final Clock clock;

    public FhirGateway(CarePublisher publisher) {
        this(publisher, FhirSettings.defaults());
    }

    public FhirGateway(CarePublisher publisher, FhirSettings settings) {
        this(publisher, settings, Clock.systemUTC());
    }

    FhirGateway(CarePublisher publisher, FhirSettings settings, Clock clock) {
        this.publisher = publisher;
        this.settings = settings;
        this.mapper = new FhirMapper(settings);
        this.clock = clock;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        boolean xml = wantsXml(exchange);
        try (exchange) {
            String path = relativePath(exchange);
            String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
            Response response;
            try {
                response = route(exchange, method, path);
            } catch (FhirProblem p) {
                response = new Response(p.status(), outcome(p));
            } catch (RuntimeException e) {
                String correlationId = java.util.UUID.randomUUID().toString();
                LOG.error("FHIR {} {} failed [correlation id {}]", method, path, correlationId, e);
                response = new Response(500, outcome(OperationOutcome.IssueType.EXCEPTION, null,
                        "internal error (correlation id " + correlationId + ")"));
            }
            send(exchange, response, xml);
        }
    }

    private record Response(int status, Resource body) {
    }

    private Response route(HttpExchange exchange, String method, String path) throws IOException {
        if (path.equals("metadata")) {
            if (!method.equals("GET")) {
                return notAllowed(method, "metadata", "GET");
            }
            return new Response(200, capabilityStatement());
        }
        String type = path.contains("/") ? path.substring(0, path.indexOf('/')) : path;
        if (!type.isEmpty() && !FhirMapper.accepts(type)) {
            return new Response(404, outcome(OperationOutcome.IssueType.NOTSUPPORTED, null,
                    "resource type '" + type + "' is not served here: POST Encounter, ServiceRequest, "
                            + "MedicationRequest, Appointment, Patient, or a transaction/batch Bundle to the base"));
        }
        if (!method.equals("POST")) {
            return notAllowed(method, path, "POST");
        }
        if (path.contains("/")) {
            return new Response(404, outcome(OperationOutcome.IssueType.NOTSUPPORTED, null,
                    "only create (POST /" + type + ") is supported: CareTrail publishes events, it does not store "
                            + "resources"));
        }
        Resource resource = parse(exchange);
        Instant receivedAt = clock.instant();
        if (type.isEmpty()) {
            if (!(resource instanceof Bundle bundle)) {
                throw FhirProblem.badRequest(resource.fhirType(), "POST to the base takes a Bundle of type "
                        + "transaction or batch; post a " + resource.fhirType() + " to /" + resource.fhirType());
            }
            return bundle(bundle, receivedAt);
        }
        if (!resource.fhirType().equals(type)) {
            throw FhirProblem.badRequest(resource.fhirType(), "the body is a " + resource.fhirType()
                    + " but was posted to /" + type);
        }
        List<SpecificRecord> events = mapper.map(resource, FhirMapper.Resolver.of(null), receivedAt, type);
        List<RecordMetadata> written = publish(events);
        return new Response(events.isEmpty() ? 200 : 201, published(events, written, type));
    }

    // ---------------------------------------------------------------- bundles

    private Response bundle(Bundle bundle, Instant receivedAt) {
        boolean transaction = bundle.getType() == Bundle.BundleType.TRANSACTION;
        if (!transaction && bundle.getType() != Bundle.BundleType.BATCH) {
            throw FhirProblem.badRequest("Bundle.type", "must be transaction or batch, not "
                    + (bundle.hasType() ? bundle.getType().toCode() : "empty"));
        }
        FhirMapper.Resolver resolver = FhirMapper.Resolver.of(bundle);
        List<Bundle.BundleEntryComponent> entries = bundle.getEntry();
        List<List<SpecificRecord>> mapped = new ArrayList<>();
        List<FhirProblem> problems = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            String where = "Bundle.entry[" + i + "]";
            try {
                mapped.add(mapEntry(entries.get(i), resolver, receivedAt, where));
                problems.add(null);
            } catch (FhirProblem p) {
                mapped.add(List.of());
                problems.add(p);
            }
        }
        if (transaction) {
            List<FhirProblem.Issue> issues = problems.stream().filter(p -> p != null)
                    .flatMap(p -> p.issues().stream()).toList();
            if (!issues.isEmpty()) {
                int status = problems.stream().filter(p -> p != null).mapToInt(FhirProblem::status).max().orElse(422);
                throw new FhirProblem(status, issues);
            }
            List<SpecificRecord> all = mapped.stream().flatMap(List::stream).toList();
            List<RecordMetadata> written = publish(all);
            Bundle reply = new Bundle().setType(Bundle.BundleType.TRANSACTIONRESPONSE);
            int next = 0;
            for (int i = 0; i < entries.size(); i++) {
                List<SpecificRecord> events = mapped.get(i);
                List<RecordMetadata> mine = written.subList(next, next + events.size());
                next += events.size();
                reply.addEntry().getResponse().setStatus(events.isEmpty() ? "200 OK" : "201 Created")
                        .setOutcome(published(events, mine, "Bundle.entry[" + i + "]"));
            }
            return new Response(200, reply);
        }
        Bundle reply = new Bundle().setType(Bundle.BundleType.BATCHRESPONSE);
        List<CompletableFuture<List<RecordMetadata>>> pending = new ArrayList<>();
        for (List<SpecificRecord> events : mapped) {
            pending.add(publishAsync(events));
        }
        for (int i = 0; i < entries.size(); i++) {
            Bundle.BundleEntryResponseComponent response = reply.addEntry().getResponse();
            if (problems.get(i) != null) {
                FhirProblem p = problems.get(i);
                response.setStatus(p.status() + (p.status() == 400 ? " Bad Request" : " Unprocessable Entity"))
                        .setOutcome(outcome(p));
                continue;
            }
            try {
                List<RecordMetadata> written = await(pending.get(i));
                List<SpecificRecord> events = mapped.get(i);
                response.setStatus(events.isEmpty() ? "200 OK" : "201 Created")
                        .setOutcome(published(events, written, "Bundle.entry[" + i + "]"));
            } catch (FhirProblem p) {
                response.setStatus(p.status() + " Service Unavailable").setOutcome(outcome(p));
            }
        }
        return new Response(200, reply);
    }

    private List<SpecificRecord> mapEntry(Bundle.BundleEntryComponent entry, FhirMapper.Resolver resolver,
                                          Instant receivedAt, String where) {
        Resource resource = entry.getResource();
        if (resource == null) {
            throw FhirProblem.badRequest(where + ".resource", "is required");
        }
        if (entry.hasRequest() && entry.getRequest().hasMethod()) {
            String method = entry.getRequest().getMethod().toCode();
            if (!method.equals("POST") && !method.equals("PUT")) {
                throw FhirProblem.unprocessable(where + ".request.method", "'" + method
                        + "' is not supported: POST (or PUT) care resources");
            }
        }
        return mapper.map(resource, resolver, receivedAt, where + ".resource");
    }

    // ---------------------------------------------------------------- publishing

    private List<RecordMetadata> publish(List<SpecificRecord> events) {
        return await(publishAsync(events));
    }

    private CompletableFuture<List<RecordMetadata>> publishAsync(List<SpecificRecord> events) {
        List<CompletableFuture<RecordMetadata>> futures = publisher.publishAll(events);
        return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                .thenApply(v -> futures.stream().map(CompletableFuture::join).toList());
    }

    private List<RecordMetadata> await(CompletableFuture<List<RecordMetadata>> future) {
        try {
            return future.get(settings.publishTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FhirProblem(503, List.of(new FhirProblem.Issue(null, "interrupted while waiting for Kafka"
                    + ": nothing is known to be stored; retry")));
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            if (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
                cause = cause.getCause();
            }
            String correlationId = java.util.UUID.randomUUID().toString();
            LOG.error("Kafka did not acknowledge FHIR events [correlation id {}]: {}", correlationId, cause.toString());
            throw new FhirProblem(503, List.of(new FhirProblem.Issue(null, "not stored: Kafka did not acknowledge "
                    + "the write (correlation id " + correlationId + "); retry: the same request gives the same "
                    + "event ids")));
        }
    }

    // ---------------------------------------------------------------- parsing and answering

    private Resource parse(HttpExchange exchange) throws IOException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(settings.maxBodyBytes() + 1);
        }
        if (body.length > settings.maxBodyBytes()) {
            throw new FhirProblem(413, List.of(new FhirProblem.Issue(null, "the body is larger than "
                    + settings.maxBodyBytes() + " bytes")));
        }
        if (body.length == 0) {
            throw FhirProblem.badRequest(null, "the body is empty: post a FHIR R4 resource as JSON");
        }
        String contentType = String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type"))
                .toLowerCase(Locale.ROOT);
        IParser parser = contentType.contains("xml") ? fhir.newXmlParser() : fhir.newJsonParser();
        parser.setParserErrorHandler(new StrictErrorHandler());
        try {
            return (Resource) parser.parseResource(new String(body, StandardCharsets.UTF_8));
        } catch (DataFormatException e) {
            throw FhirProblem.badRequest(null, "the body is not a valid FHIR R4 resource: " + e.getMessage());
        } catch (ClassCastException e) {
            throw FhirProblem.badRequest(null, "the body is not an R4 resource");
        }
    }

    private void send(HttpExchange exchange, Response response, boolean xml) throws IOException {
        IParser parser = xml ? fhir.newXmlParser() : fhir.newJsonParser();
        byte[] bytes = parser.setPrettyPrint(true).encodeResourceToString(response.body())
                .getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", xml ? FHIR_XML : FHIR_JSON);
        exchange.sendResponseHeaders(response.status(), bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static boolean wantsXml(HttpExchange exchange) {
        String accept = exchange.getRequestHeaders().getFirst("Accept");
        String format = exchange.getRequestURI().getQuery();
        return (accept != null && accept.contains("xml") && !accept.contains("json"))
                || (format != null && format.contains("_format=xml"));
    }

    /** The path below the context the handler is mounted on, without leading or trailing slashes. */
    private static String relativePath(HttpExchange exchange) {
        String full = exchange.getRequestURI().getPath();
        String context = exchange.getHttpContext().getPath();
        String rest = full.startsWith(context) ? full.substring(context.length()) : full;
        while (rest.startsWith("/")) {
            rest = rest.substring(1);
        }
        while (rest.endsWith("/")) {
            rest = rest.substring(0, rest.length() - 1);
        }
        return rest;
    }

    private Response notAllowed(String method, String path, String allowed) {
        return new Response(405, outcome(OperationOutcome.IssueType.NOTSUPPORTED, null,
                method + " /" + path + " is not supported: use " + allowed));
    }

    private static OperationOutcome outcome(FhirProblem problem) {
        OperationOutcome outcome = new OperationOutcome();
        OperationOutcome.IssueType type = switch (problem.status()) {
            case 400 -> OperationOutcome.IssueType.STRUCTURE;
            case 413 -> OperationOutcome.IssueType.TOOCOSTLY;
            case 503 -> OperationOutcome.IssueType.TRANSIENT;
            default -> OperationOutcome.IssueType.INVALID;
        };
        for (FhirProblem.Issue issue : problem.issues()) {
            OperationOutcome.OperationOutcomeIssueComponent c = outcome.addIssue()
                    .setSeverity(OperationOutcome.IssueSeverity.ERROR)
                    .setCode(type)
                    .setDiagnostics(issue.toString());
            if (issue.expression() != null) {
                c.addExpression(issue.expression());
            }
        }
        return outcome;
    }

    private static OperationOutcome outcome(OperationOutcome.IssueType type, String expression, String message) {
        return outcome(new FhirProblem(type == OperationOutcome.IssueType.EXCEPTION ? 500 : 422,
                List.of(new FhirProblem.Issue(expression, message))));
    }

    private static OperationOutcome published(List<SpecificRecord> events, List<RecordMetadata> written,
                                              String what) {
        OperationOutcome outcome = new OperationOutcome();
        if (events.isEmpty()) {
            outcome.addIssue().setSeverity(OperationOutcome.IssueSeverity.INFORMATION)
                    .setCode(OperationOutcome.IssueType.INFORMATIONAL)
                    .setDiagnostics(what + ": nothing to publish (a Patient is published only when it links an "
                            + "NHS number to a local identifier)");
            return outcome;
        }
        for (int i = 0; i < events.size(); i++) {
            SpecificRecord event = events.get(i);
            EventHeader h = CareEvents.header(event);
            RecordMetadata m = written.get(i);
            outcome.addIssue().setSeverity(OperationOutcome.IssueSeverity.INFORMATION)
                    .setCode(OperationOutcome.IssueType.INFORMATIONAL)
                    .setDiagnostics("published " + CareEventType.of(event).jsonName() + " " + h.getAction()
                            + " subjectId=" + h.getSubjectId() + " eventId=" + h.getEventId() + " to " + m.topic()
                            + "-" + m.partition() + "@" + m.offset());
        }
        return outcome;
    }

    // ---------------------------------------------------------------- CapabilityStatement

    private static CapabilityStatement capabilityStatement() {
        CapabilityStatement cs = new CapabilityStatement();
        cs.setStatus(Enumerations.PublicationStatus.ACTIVE)
                .setDate(new Date())
                .setKind(CapabilityStatement.CapabilityStatementKind.INSTANCE)
                .setFhirVersion(Enumerations.FHIRVersion._4_0_1)
                .setPublisher("CareTrail")
                .setDescription("CareTrail FHIR R4 gateway: posts become care events on Kafka (admissions, transfers,"
                        + " discharges, A&E attendances, referrals, prescriptions, appointments, identity links)");
        cs.addFormat("application/fhir+json");
        cs.addFormat("application/fhir+xml");
        cs.getSoftware().setName("CareTrail FHIR gateway");
        cs.getImplementation().setDescription("CareTrail").setUrl("/fhir/r4");
        CapabilityStatement.CapabilityStatementRestComponent rest = cs.addRest()
                .setMode(CapabilityStatement.RestfulCapabilityMode.SERVER);
        rest.addInteraction().setCode(CapabilityStatement.SystemRestfulInteraction.TRANSACTION);
        rest.addInteraction().setCode(CapabilityStatement.SystemRestfulInteraction.BATCH);
        String[][] types = {
                {"Encounter", "class IMP/ACUTE/NONAC: admission (one location), transfer (location history), pre-admission (status planned), discharge "
                        + "(status finished); class EMER: A&E attendance; status entered-in-error/cancelled: cancel"},
                {"ServiceRequest", "referral"},
                {"MedicationRequest", "prescription"},
                {"Appointment", "appointment"},
                {"Patient", "identity link when both an NHS number and a local identifier are given"}};
        for (String[] type : types) {
            CapabilityStatement.CapabilityStatementRestResourceComponent r = rest.addResource().setType(type[0]);
            r.addInteraction().setCode(CapabilityStatement.TypeRestfulInteraction.CREATE);
            r.setDocumentationElement(new org.hl7.fhir.r4.model.MarkdownType(type[1]));
        }
        cs.addExtension().setUrl("https://caretrail.org/fhir/nhs-number-system")
                .setValue(new StringType(FhirMapper.NHS_NUMBER_SYSTEM));
        return cs;
    }
}
