package org.caretrail.producers.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.parser.StrictErrorHandler;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.caretrail.events.CareEvents;
import org.caretrail.producers.publisher.CarePublisher;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Resource;
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
 *       published) or batch (each entry on its own) → 200 with the response Bundle: per entry its
 *       status and, for a published entry, {@code location = urn:uuid:<eventId>} (the first event it
 *       gave); an OperationOutcome only for an entry that failed.</li>
 * </ul>
 * Errors are OperationOutcomes: 400 for a body that is not FHIR (unknown elements included), 404
 * for types not taken, 405 for other methods, 413 for a body or Bundle over its limit (naming the
 * limit), 422 for a resource that cannot be mapped or breaks the contract (each issue names the
 * FHIRPath at fault), 503 with {@code Retry-After} when the gateway is at capacity or Kafka did not
 * acknowledge in time. A 400 or 422 is also recorded on {@code care.dead-letter} with its reason.
 * The response is sent only after Kafka has acknowledged every event (acks=all), is never
 * pretty-printed, and is bounded in size ({@link FhirOutcomes}).
 *
 * <p>Bounded: the body is read up to {@link FhirSettings#maxBodyBytes()} (a larger Content-Length is
 * refused before reading), a Bundle holds at most {@link FhirSettings#maxBundleEntries()} entries, and
 * {@link RequestCapacity} caps the requests in flight and the bytes buffered for all of them, so a
 * flood of maximal requests is answered 503 rather than exhausting the heap.
 *
 * <pre>{@code
 * server.createContext("/fhir/r4", new FhirGateway(publisher));
 * }</pre>
 */
public final class FhirGateway implements HttpHandler {

    private static final Logger LOG = LoggerFactory.getLogger(FhirGateway.class);
    static final String FHIR_JSON = "application/fhir+json; charset=utf-8";
    static final String FHIR_XML = "application/fhir+xml; charset=utf-8";
    /** Seconds a sender should wait before retrying when the gateway is at capacity. */
    static final int RETRY_AFTER_BUSY_SECONDS = 1;
    /** Seconds a sender should wait before retrying when Kafka did not acknowledge. */
    static final int RETRY_AFTER_KAFKA_SECONDS = 5;
    /** How much of a refused body is kept on the dead-letter topic (a Kafka record holds about 1 MiB). */
    static final int DEAD_LETTER_MAX_BYTES = 256 * 1024;
    private static final String ORIGIN = "fhir:/fhir/r4";
    /** A refused body is read and dropped up to this many times the body limit, no further. */
    static final long DRAIN_FACTOR = 4;

    private final CarePublisher publisher;
    private final FhirSettings settings;
    private final FhirMapper mapper;
    private final FhirContext fhir = FhirContext.forR4Cached();
    private final Clock clock;
    private final RequestCapacity capacity;
    private final CapabilityStatement capabilities;

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
        this.capacity = new RequestCapacity(settings.maxRequestsInFlight(), settings.maxBufferedBytes());
        this.capabilities = FhirCapabilities.statement(settings);
        Thread warming = new Thread(() -> {
            try {
                warmUp();
                ready.complete(null);
            } catch (RuntimeException e) {
                LOG.warn("FHIR gateway warm-up failed; the first requests will be slower: {}", e.toString());
                ready.complete(null);
            }
        }, "fhir-gateway-warm-up");
        warming.setDaemon(true);
        warming.start();
    }

    private final CompletableFuture<Void> ready = new CompletableFuture<>();

    /**
     * Completes when the gateway has parsed and written each resource type once. HAPI FHIR learns a
     * type's model on its first parse, which takes seconds on a busy machine; the gateway does it in the
     * background from its start, so the first sender's request is not the one answered late. Requests
     * are served before that too, only slower.
     */
    public CompletableFuture<Void> ready() {
        return ready;
    }

    private void warmUp() {
        long started = System.nanoTime();
        Bundle bundle = new Bundle().setType(Bundle.BundleType.BATCH);
        for (String type : List.of("Encounter", "ServiceRequest", "MedicationRequest", "Appointment", "Patient",
                "Location", "Organization", "Condition", "Medication", "Practitioner", "PractitionerRole")) {
            bundle.addEntry().setResource((Resource) fhir.getResourceDefinition(type).newInstance());
        }
        bundle.addEntry().getResponse().setOutcome(new OperationOutcome());
        for (IParser parser : List.of(fhir.newJsonParser(), fhir.newXmlParser())) {
            parser.parseResource(parser.encodeResourceToString(bundle));
            parser.encodeResourceToString(capabilities);
        }
        LOG.debug("FHIR gateway ready in {} ms", Duration.ofNanos(System.nanoTime() - started).toMillis());
    }

    /**
     * A copy of the gateway's CapabilityStatement (what it takes), for a platform that serves more under
     * the same base (reads, subscriptions) to add to and answer {@code GET metadata} with.
     */
    public CapabilityStatement capabilities() {
        return capabilities.copy();
    }

    /** A response: status, body, and the seconds for {@code Retry-After} (0: none). */
    private record Response(int status, Resource body, int retryAfter) {
        static Response of(int status, Resource body) {
            return new Response(status, body, 0);
        }

        static Response of(FhirProblem problem) {
            return new Response(problem.status(), FhirOutcomes.of(problem), problem.retryAfterSeconds());
        }
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        boolean xml = wantsXml(exchange);
        try (exchange) {
            String path = relativePath(exchange);
            String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
            Optional<RequestCapacity.Ticket> ticket = Optional.empty();
            try {
                Response response;
                try {
                    Route route = route(method, path);
                    if (route.answer() != null) {
                        response = route.answer();
                    } else {
                        ticket = capacity.admit();
                        if (ticket.isPresent()) {
                            response = post(exchange, route.type(), ticket.get());
                        } else {
                            discardBody(exchange); // so the sender reads the 503 rather than a reset connection
                            response = busy("more than " + capacity.maxRequests() + " requests are in flight");
                        }
                    }
                } catch (FhirProblem p) {
                    response = Response.of(p);
                } catch (RuntimeException | StackOverflowError e) {
                    String reference = UUID.randomUUID().toString();
                    LOG.error("FHIR {} {} failed (reference {})", method, path, reference, e);
                    response = Response.of(500, FhirOutcomes.of(new FhirProblem(500, List.of(new FhirProblem.Issue(
                            null, "internal error (reference " + reference + " in the gateway's log)")))));
                }
                send(exchange, response, xml);
            } finally {
                ticket.ifPresent(RequestCapacity.Ticket::close); // held until the response is written
            }
        }
    }

    /** Where a request goes: an answer already (metadata, a refusal), or a POST of {@code type} ("" = Bundle). */
    private record Route(Response answer, String type) {
    }

    private Route route(String method, String path) {
        if (path.equals("metadata")) {
            return new Route(method.equals("GET") ? Response.of(200, capabilities.copy()) // encoded by many threads
                    : notAllowed(method, "metadata", "GET"), null);
        }
        String type = path.contains("/") ? path.substring(0, path.indexOf('/')) : path;
        if (!type.isEmpty() && !FhirMapper.accepts(type)) {
            return new Route(Response.of(404, FhirOutcomes.of(new FhirProblem(404, List.of(new FhirProblem.Issue(null,
                    "resource type '" + FhirOutcomes.cut(type) + "' is not served here: POST Encounter, ServiceRequest, "
                            + "MedicationRequest, Appointment, Patient, or a transaction/batch Bundle to the base"))))),
                    null);
        }
        if (!method.equals("POST")) {
            return new Route(notAllowed(method, path, "POST"), null);
        }
        if (path.contains("/")) {
            return new Route(Response.of(404, FhirOutcomes.of(new FhirProblem(404, List.of(new FhirProblem.Issue(null,
                    "only create (POST /" + type + ") is supported: CareTrail publishes events, it does not store "
                            + "resources"))))), null);
        }
        return new Route(null, type);
    }

    private Response post(HttpExchange exchange, String type, RequestCapacity.Ticket ticket) throws IOException {
        byte[] body = readBody(exchange, ticket);
        BoundedPublishing publishing = new BoundedPublishing(publisher, settings.publishTimeout());
        try {
            Resource resource = parse(exchange, body);
            Instant receivedAt = clock.instant();
            if (type.isEmpty()) {
                if (!(resource instanceof Bundle bundle)) {
                    throw FhirProblem.badRequest(resource.fhirType(), "POST to the base takes a Bundle of type "
                            + "transaction or batch; post a " + resource.fhirType() + " to /" + resource.fhirType());
                }
                return bundle(bundle, receivedAt, publishing);
            }
            if (!resource.fhirType().equals(type)) {
                throw FhirProblem.badRequest(resource.fhirType(), "the body is a " + resource.fhirType()
                        + " but was posted to /" + type);
            }
            List<SpecificRecord> events = mapper.map(resource, FhirMapper.Resolver.of(null), receivedAt, type);
            List<RecordMetadata> written = publishing.await(publishing.send(events));
            return Response.of(events.isEmpty() ? 200 : 201, FhirOutcomes.published(events, written, type));
        } catch (FhirProblem p) {
            if (p.status() == 400 || p.status() == 422) {
                publishing.deadLetter(deadLetterBytes(body), deadLetterReason(p, body.length), ORIGIN + "/" + type);
            }
            throw p;
        }
    }

    // ---------------------------------------------------------------- bundles

    private Response bundle(Bundle bundle, Instant receivedAt, BoundedPublishing publishing) {
        boolean transaction = bundle.getType() == Bundle.BundleType.TRANSACTION;
        if (!transaction && bundle.getType() != Bundle.BundleType.BATCH) {
            throw FhirProblem.badRequest("Bundle.type", "must be transaction or batch, not "
                    + (bundle.hasType() ? bundle.getType().toCode() : "empty"));
        }
        List<Bundle.BundleEntryComponent> entries = bundle.getEntry();
        if (entries.size() > settings.maxBundleEntries()) {
            throw new FhirProblem(413, List.of(new FhirProblem.Issue("Bundle.entry", "has " + entries.size()
                    + " entries; the limit is " + settings.maxBundleEntries() + " (split the Bundle)")));
        }
        FhirMapper.Resolver resolver = FhirMapper.Resolver.of(bundle);
        List<List<SpecificRecord>> mapped = new ArrayList<>();
        List<FhirProblem> problems = new ArrayList<>();
        List<SameRequestVersions.Entry> versions = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            String where = "Bundle.entry[" + i + "]";
            try {
                List<SpecificRecord> events = mapEntry(entries.get(i), resolver, receivedAt, where);
                mapped.add(events);
                problems.add(null);
                versions.add(new SameRequestVersions.Entry(events, entries.get(i).getResource().getMeta()
                        .getVersionId()));
            } catch (FhirProblem p) {
                mapped.add(List.of());
                problems.add(p);
            }
        }
        SameRequestVersions.link(versions);
        if (transaction) {
            List<FhirProblem.Issue> issues = problems.stream().filter(p -> p != null)
                    .flatMap(p -> p.issues().stream()).toList();
            if (!issues.isEmpty()) {
                int status = problems.stream().filter(p -> p != null).mapToInt(FhirProblem::status).max().orElse(422);
                throw new FhirProblem(status, issues);
            }
            publishing.await(publishing.send(mapped.stream().flatMap(List::stream).toList()));
            Bundle reply = new Bundle().setType(Bundle.BundleType.TRANSACTIONRESPONSE);
            for (List<SpecificRecord> events : mapped) {
                created(reply.addEntry().getResponse(), events);
            }
            return Response.of(200, reply);
        }
        Bundle reply = new Bundle().setType(Bundle.BundleType.BATCHRESPONSE);
        List<CompletableFuture<List<RecordMetadata>>> pending = new ArrayList<>();
        for (List<SpecificRecord> events : mapped) {
            pending.add(publishing.send(events));
        }
        for (int i = 0; i < entries.size(); i++) {
            Bundle.BundleEntryResponseComponent response = reply.addEntry().getResponse();
            FhirProblem problem = problems.get(i);
            if (problem == null) {
                try {
                    publishing.await(pending.get(i));
                    created(response, mapped.get(i));
                    continue;
                } catch (FhirProblem p) {
                    problem = p;
                }
            } else {
                byte[] entry = entryBytes(entries.get(i));
                publishing.deadLetter(deadLetterBytes(entry), deadLetterReason(problem, entry.length),
                        ORIGIN + " Bundle.entry[" + i + "]");
            }
            response.setStatus(FhirOutcomes.statusLine(problem.status())).setOutcome(FhirOutcomes.of(problem));
        }
        return Response.of(200, reply);
    }

    /** An entry's answer: 201 and where its (first) event is, or 200 when it gave none. */
    private static void created(Bundle.BundleEntryResponseComponent response, List<SpecificRecord> events) {
        if (events.isEmpty()) {
            response.setStatus(FhirOutcomes.statusLine(200));
            return;
        }
        response.setStatus(FhirOutcomes.statusLine(201))
                .setLocation("urn:uuid:" + CareEvents.header(events.get(0)).getEventId());
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

    private Response busy(String why) {
        return Response.of(busyProblem(why));
    }

    // ---------------------------------------------------------------- reading

    /** The body, read only as far as the limits allow; every byte held is reserved on {@code ticket}. */
    private byte[] readBody(HttpExchange exchange, RequestCapacity.Ticket ticket) throws IOException {
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        long length = -1;
        if (declared != null) {
            try {
                length = Long.parseLong(declared.trim());
            } catch (NumberFormatException e) {
                throw FhirProblem.badRequest(null, "Content-Length is not a number");
            }
        }
        InputStream in = exchange.getRequestBody();
        if (length > settings.maxBodyBytes()) {
            discardBody(exchange); // an honest sender of a slightly too large body then reads the 413
            throw tooLarge(length + " bytes");
        }
        if (length >= 0) {
            if (!ticket.reserve(length)) {
                discardBody(exchange);
                throw busyProblem("the request bodies being read already fill its " + capacity.maxBytes() + " bytes");
            }
            return in.readNBytes((int) length);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream(8192);
        byte[] chunk = new byte[16 * 1024];
        for (int n = in.read(chunk); n >= 0; n = in.read(chunk)) {
            if (body.size() + n > settings.maxBodyBytes()) {
                drain(in);
                throw tooLarge("more than " + settings.maxBodyBytes() + " bytes");
            }
            if (!ticket.reserve(n)) {
                drain(in);
                throw busyProblem("the request bodies being read already fill its " + capacity.maxBytes() + " bytes");
            }
            body.write(chunk, 0, n);
        }
        return body.toByteArray();
    }

    /**
     * Reads and drops a refused request's body (nothing is kept), so its sender reads the answer rather
     * than a reset connection; but a body declared larger than {@value #DRAIN_FACTOR} times the limit is
     * left unread: the answer goes at once and the connection is closed.
     */
    private void discardBody(HttpExchange exchange) {
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        try {
            if (declared != null && Long.parseLong(declared.trim()) > DRAIN_FACTOR * settings.maxBodyBytes()) {
                return;
            }
        } catch (NumberFormatException e) {
            return;
        }
        drain(exchange.getRequestBody());
    }

    /** Reads and drops what is left of {@code in}, up to {@value #DRAIN_FACTOR} times the body limit. */
    private void drain(InputStream in) {
        try {
            long budget = DRAIN_FACTOR * settings.maxBodyBytes();
            byte[] sink = new byte[16 * 1024];
            for (int n = in.read(sink); n >= 0 && budget > 0; n = in.read(sink)) {
                budget -= n;
            }
        } catch (IOException e) {
            LOG.debug("could not drain a refused FHIR body: {}", e.toString());
        }
    }

    private FhirProblem tooLarge(String size) {
        return new FhirProblem(413, List.of(new FhirProblem.Issue(null, "the body is " + size + "; the limit is "
                + settings.maxBodyBytes() + " bytes (split a Bundle into smaller ones)")));
    }

    private FhirProblem busyProblem(String why) {
        return FhirProblem.busy("the FHIR gateway is at capacity (" + why + "); retry after "
                + RETRY_AFTER_BUSY_SECONDS + " s", RETRY_AFTER_BUSY_SECONDS);
    }

    private Resource parse(HttpExchange exchange, byte[] body) {
        if (body.length == 0) {
            throw FhirProblem.badRequest(null, "the body is empty: post a FHIR R4 resource as JSON");
        }
        String contentType = String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type"))
                .toLowerCase(Locale.ROOT);
        IParser parser = contentType.contains("xml") ? fhir.newXmlParser() : fhir.newJsonParser();
        parser.setParserErrorHandler(new StrictErrorHandler());
        try {
            return (Resource) parser.parseResource(new InputStreamReader(new ByteArrayInputStream(body),
                    StandardCharsets.UTF_8));
        } catch (DataFormatException e) {
            throw FhirProblem.badRequest(null, "the body is not a valid FHIR R4 resource: " + e.getMessage());
        } catch (ClassCastException e) {
            throw FhirProblem.badRequest(null, "the body is not an R4 resource");
        } catch (StackOverflowError e) {
            throw FhirProblem.badRequest(null, "the body is nested too deeply to be a FHIR resource");
        }
    }

    // ---------------------------------------------------------------- answering

    private void send(HttpExchange exchange, Response response, boolean xml) throws IOException {
        IParser parser = xml ? fhir.newXmlParser() : fhir.newJsonParser();
        byte[] bytes = parser.setPrettyPrint(false).encodeResourceToString(response.body())
                .getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", xml ? FHIR_XML : FHIR_JSON);
        if (response.retryAfter() > 0) {
            exchange.getResponseHeaders().set("Retry-After", Integer.toString(response.retryAfter()));
        }
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

    private static Response notAllowed(String method, String path, String allowed) {
        return Response.of(405, FhirOutcomes.of(new FhirProblem(405, List.of(new FhirProblem.Issue(null,
                FhirOutcomes.cut(method + " /" + path) + " is not supported: use " + allowed)))));
    }

    // ---------------------------------------------------------------- dead letters

    private byte[] entryBytes(Bundle.BundleEntryComponent entry) {
        return entry.getResource() == null ? new byte[0]
                : fhir.newJsonParser().encodeResourceToString(entry.getResource()).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] deadLetterBytes(byte[] body) {
        return body.length <= DEAD_LETTER_MAX_BYTES ? body : Arrays.copyOf(body, DEAD_LETTER_MAX_BYTES);
    }

    private static String deadLetterReason(FhirProblem p, int bodyBytes) {
        return FhirOutcomes.cut(p.status() + ": " + p.getMessage()) + (bodyBytes <= DEAD_LETTER_MAX_BYTES ? ""
                : " (the first " + DEAD_LETTER_MAX_BYTES + " of " + bodyBytes + " bytes kept)");
    }
}
