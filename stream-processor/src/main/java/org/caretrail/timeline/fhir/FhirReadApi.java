package org.caretrail.timeline.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.access.Caller;
import org.caretrail.events.access.Role;
import org.caretrail.timeline.query.PeerForwarding;
import org.caretrail.timeline.query.TimelineApi;
import org.caretrail.timeline.query.TimelineHostLookup;
import org.caretrail.timeline.query.TimelineQueries;
import org.caretrail.timeline.query.VisibleTimeline;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FHIR R4 read API: a patient's timeline as FHIR resources ({@link TimelineResources}), read through
 * the same query layer as the timeline API, never from a second store. Serves, under {@value #BASE}:
 * <ul>
 *   <li>{@code GET Patient/{nhsNumber}}, {@code GET Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}};
 *   <li>{@code GET Patient/{nhsNumber}/$everything}: the Patient and every resource of the timeline;
 *   <li>{@code GET {Encounter|EpisodeOfCare|ServiceRequest|MedicationRequest|Appointment}/{id}} and
 *       {@code GET {type}?patient={nhsNumber}} with the parameters of {@link FhirSearch};
 *   <li>{@code _format=json|xml} (or {@code Accept}); searches answer a {@code searchset} Bundle with
 *       {@code total} and {@code self}, {@code first}, {@code previous}, {@code next}, {@code last} links.
 * </ul>
 *
 * <p><b>Who sees what.</b> The caller is the verified {@link Caller} the platform's access layer puts on
 * the exchange (it also decides that only a clinician reads); a RESTRICTED entry is in no resource, count
 * or derived view served to a caller without {@link Role#RESTRICTED_ACCESS} ({@link VisibleTimeline},
 * the timeline API's own rule). A patient another instance holds is read there: the request is forwarded
 * signed with the peer credential, carrying the original caller ({@link PeerForwarding}).
 *
 * <p><b>A merged NHS number.</b> Its Patient is answered 200, {@code active = false}, with
 * {@code link.type = replaced-by} naming the surviving Patient (FHIR R4's Patient.link: the resource
 * "must no longer be used"); a search under it is an empty searchset whose OperationOutcome entry names the
 * survivor; a resource id under it is 404 naming the survivor.
 *
 * <p>Errors are OperationOutcomes: 400 a parameter or NHS number at fault (named), 404 unknown type,
 * resource or patient, 405 not GET, 503 with {@code Retry-After} while the stream processor is not
 * running or the patient's partition is moving, 502 when the instance holding the patient did not
 * answer, 500 with a correlation id in the log (never the exception's text).
 */
public final class FhirReadApi implements HttpHandler {

    public static final String BASE = "/fhir/r4";
    /** The header a forwarding instance names the host the client asked with, for the links it gets back. */
    public static final String FORWARDED_HOST_HEADER = "X-Forwarded-Host";
    static final String FHIR_JSON = "application/fhir+json; charset=utf-8";
    static final String FHIR_XML = "application/fhir+xml; charset=utf-8";
    private static final Caller UNNAMED_CLINICIAN = new Caller("unnamed", null, Caller.Verification.NONE,
            Set.of(Role.CLINICIAN));
    private static final Logger LOG = LoggerFactory.getLogger(FhirReadApi.class);

    private final TimelineQueries queries;
    private final TimelineHostLookup lookup;
    private final BooleanSupplier running;
    private final PeerForwarding forwarding;
    private final FhirContext fhir = FhirContext.forR4Cached();

    /**
     * @param lookup who owns a patient; null to answer every patient here (one instance)
     * @param running true while the stream processor is RUNNING
     */
    public FhirReadApi(TimelineQueries queries, TimelineHostLookup lookup, BooleanSupplier running) {
        this(queries, lookup, running, new PeerForwarding());
    }

    private FhirReadApi(TimelineQueries queries, TimelineHostLookup lookup, BooleanSupplier running,
            PeerForwarding forwarding) {
        this.queries = queries;
        this.lookup = lookup;
        this.running = running;
        this.forwarding = forwarding;
    }

    /** This API, forwarding reads of patients other instances hold, signed by {@code signer}, over TLS with {@code tls}. */
    public FhirReadApi forwardingWith(TimelineApi.PeerSigner signer, javax.net.ssl.SSLContext tls) {
        return new FhirReadApi(queries, lookup, running, new PeerForwarding(signer, tls));
    }

    /** Whether this API answers {@code method} on {@code path} (relative to {@value #BASE}, e.g. {@code Encounter/x}). */
    public static boolean serves(String method, String path) {
        String m = method.toUpperCase(Locale.ROOT);
        String type = trim(path).split("/", 2)[0];
        return (m.equals("GET") || m.equals("HEAD")) && TimelineResources.TYPES.contains(type);
    }

    /**
     * The patient a FHIR read names (NHS number as written, not checked): {@code Patient/{nhs}},
     * an item id {@code {nhs}-...}, or the {@code patient}, {@code subject}, {@code identifier} or
     * {@code _id} parameter; empty for a path that names no patient. The access audit keys its
     * records by the canonical form of this, the same reading the API serves by.
     */
    public static Optional<String> requestedPatient(String rawPath, String rawQuery) {
        if (rawPath == null || !rawPath.startsWith(BASE + "/")) {
            return Optional.empty();
        }
        String[] parts = trim(rawPath.substring(BASE.length())).split("/");
        if (!TimelineResources.TYPES.contains(parts[0])) {
            return Optional.empty();
        }
        if (parts.length >= 2) {
            String id = decode(parts[1]);
            return Optional.of(parts[0].equals("Patient") ? id : FhirIds.patientOf(id).orElse(id));
        }
        Map<String, List<String>> params = params(rawQuery);
        for (String name : List.of("patient", "subject", "identifier", "_id")) {
            List<String> values = params.getOrDefault(name, List.of());
            if (!values.isEmpty()) {
                String v = values.get(0);
                v = v.contains("|") ? v.substring(v.indexOf('|') + 1)
                        : v.contains("Patient/") ? v.substring(v.lastIndexOf("Patient/") + 8) : v;
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }

    /** Adds what this API serves (reads, searches and their parameters, $everything) to a CapabilityStatement. */
    public static void describe(CapabilityStatement.CapabilityStatementRestComponent rest) {
        for (String type : TimelineResources.TYPES) {
            CapabilityStatement.CapabilityStatementRestResourceComponent r = rest.getResource().stream()
                    .filter(c -> c.getType().equals(type)).findFirst().orElseGet(() -> rest.addResource().setType(type));
            r.addInteraction().setCode(CapabilityStatement.TypeRestfulInteraction.READ);
            r.addInteraction().setCode(CapabilityStatement.TypeRestfulInteraction.SEARCHTYPE);
            r.setReadHistory(false).setUpdateCreate(false);
            for (String name : FhirSearch.parameters(type)) {
                r.addSearchParam().setName(name).setType(name.equals("identifier") ? Enumerations.SearchParamType.TOKEN
                        : name.equals("_id") ? Enumerations.SearchParamType.TOKEN
                        : name.equals("patient") || name.equals("subject") ? Enumerations.SearchParamType.REFERENCE
                        : Enumerations.SearchParamType.DATE).setDocumentation(documentation(type, name));
            }
            r.addSearchParam().setName("_lastUpdated").setType(Enumerations.SearchParamType.DATE)
                    .setDocumentation("when the latest source recorded it");
            if (type.equals("Patient")) {
                r.addOperation().setName("everything")
                        .setDefinition("http://hl7.org/fhir/OperationDefinition/Patient-everything")
                        .setDocumentation("the Patient and every resource of the timeline; _count, _page, _type, "
                                + "_lastUpdated");
            }
        }
    }

    private static String documentation(String type, String name) {
        return switch (name) {
            case "identifier" -> "https://fhir.nhs.uk/Id/nhs-number|{NHS number}";
            case "_id" -> "the NHS number";
            case "patient", "subject" -> "Patient/{NHS number} or the NHS number: required, one patient per search";
            default -> type.equals("Appointment") ? "the appointment's start" : type.endsWith("Request")
                    ? "when it was authored" : "the period";
        };
    }

    /**
     * The resource {@code Type/id} as {@code caller} may see it, read here or from the instance that holds
     * the patient (forwarded as the read API does); empty when there is none (or none {@code caller} may see).
     * For the platform's own reads, e.g. a FHIR notification's focus.
     *
     * @throws InvalidStateStoreException when it cannot be read at the moment (try again)
     */
    public Optional<Resource> resource(String reference, Caller caller) {
        String[] parts = reference.split("/");
        Optional<String> nhsText = parts.length == 2 ? FhirIds.patientOf(parts[1]) : Optional.empty();
        if (nhsText.isEmpty() || NhsNumber.problem(nhsText.get()) != null || !TimelineResources.TYPES.contains(parts[0])) {
            return Optional.empty();
        }
        String nhs = NhsNumber.of(nhsText.get()).value();
        if (!running.getAsBoolean()) {
            throw new RetryLater("the timeline is not available yet");
        }
        Optional<HostInfo> owner = owner(nhs, caller);
        if (owner.isPresent()) {
            if (!forwarding.canForward()) {
                throw new RetryLater("this instance cannot reach the instance holding the patient");
            }
            try {
                PeerForwarding.Reply reply = forwarding.get(owner.get(), BASE + "/" + reference, caller,
                        Map.of("Accept", "application/fhir+json"));
                if (reply.status() == 404) {
                    return Optional.empty();
                }
                if (reply.status() != 200) {
                    throw new RetryLater("the instance holding the patient answered " + reply.status());
                }
                return Optional.of((Resource) fhir.newJsonParser().parseResource(new String(reply.body(),
                        StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw new RetryLater("the instance holding the patient did not answer: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RetryLater("interrupted");
            }
        }
        Optional<VisibleTimeline> timeline = VisibleTimeline.read(queries, nhs, caller);
        if (timeline.isEmpty()) {
            return Optional.empty();
        }
        return TimelineResources.ofType(timeline.get(), parts[0]).stream()
                .filter(r -> r.getIdElement().getIdPart().equals(parts[1])).findFirst();
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Map<String, List<String>> params = params(exchange.getRequestURI().getRawQuery());
            boolean xml = wantsXml(exchange, params);
            try {
                answer(exchange, params, xml);
            } catch (RequestProblem p) {
                send(exchange, p.status, outcome(p.code, p.getMessage()), xml);
            } catch (InvalidStateStoreException e) {
                LOG.info("Timeline stores not queryable for a FHIR read: {}", e.toString());
                exchange.getResponseHeaders().set("Retry-After", "2");
                send(exchange, 503, outcome(OperationOutcome.IssueType.TRANSIENT,
                        "the timeline stores are not queryable at the moment"), xml);
            } catch (RuntimeException e) {
                String id = UUID.randomUUID().toString();
                LOG.error("FHIR read {} failed [correlation id {}]", exchange.getRequestURI().getRawPath(), id, e);
                send(exchange, 500, outcome(OperationOutcome.IssueType.EXCEPTION,
                        "internal error (correlation id " + id + ")"), xml);
            }
        }
    }

    /** A request the API refuses: status, FHIR issue code, message for the caller. */
    private static final class RequestProblem extends RuntimeException {
        final int status;
        final OperationOutcome.IssueType code;

        RequestProblem(int status, OperationOutcome.IssueType code, String message) {
            super(message);
            this.status = status;
            this.code = code;
        }
    }

    private void answer(HttpExchange exchange, Map<String, List<String>> params, boolean xml) throws IOException {
        String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
        if (!method.equals("GET") && !method.equals("HEAD")) {
            exchange.getResponseHeaders().set("Allow", "GET");
            throw new RequestProblem(405, OperationOutcome.IssueType.NOTSUPPORTED, method + " is not supported here: "
                    + "the timeline is read with GET");
        }
        String format = FhirSearch.format(params);
        if (format != null && !format.contains("json") && !format.contains("xml")) {
            throw new RequestProblem(400, OperationOutcome.IssueType.NOTSUPPORTED, "_format '" + format
                    + "' is not served: json or xml");
        }
        String path = trim(exchange.getRequestURI().getRawPath().substring(
                Math.min(BASE.length(), exchange.getRequestURI().getRawPath().length())));
        String[] parts = path.split("/");
        String type = parts[0];
        if (!TimelineResources.TYPES.contains(type)) {
            throw new RequestProblem(404, OperationOutcome.IssueType.NOTFOUND, "'" + type + "' is not served: "
                    + "read " + String.join(", ", TimelineResources.TYPES));
        }
        Request request;
        try {
            request = request(type, parts, params, path);
        } catch (IllegalArgumentException e) {
            throw new RequestProblem(400, OperationOutcome.IssueType.INVALID, e.getMessage());
        }
        answer(exchange, request, xml);
    }

    private static Request request(String type, String[] parts, Map<String, List<String>> params, String path) {
        Request request;
        if (parts.length == 1) {
            request = Request.search(type, FhirSearch.parse(type, params));
        } else if (parts.length == 2 && params.keySet().stream().allMatch(FhirSearch.COMMON::contains)) {
            request = Request.read(type, decode(parts[1]));
        } else if (parts.length == 3 && type.equals("Patient") && parts[2].equals("$everything")) {
            request = Request.everything(decode(parts[1]), FhirSearch.parse("$everything", params));
        } else if (parts.length == 2) {
            throw new RequestProblem(400, OperationOutcome.IssueType.NOTSUPPORTED, "a read takes no search "
                    + "parameters: " + String.join(", ", params.keySet()));
        } else {
            throw new RequestProblem(404, OperationOutcome.IssueType.NOTFOUND, "no such path: " + path);
        }
        return request;
    }

    private void answer(HttpExchange exchange, Request request, boolean xml) throws IOException {
        String type = request.type();
        String path = trim(exchange.getRequestURI().getRawPath().substring(
                Math.min(BASE.length(), exchange.getRequestURI().getRawPath().length())));
        String nhsText = request.patientText();
        if (nhsText == null) {
            throw new RequestProblem(400, OperationOutcome.IssueType.REQUIRED, "a search of " + type
                    + " needs patient=Patient/{NHS number}: CareTrail answers for one patient at a time");
        }
        String problem = NhsNumber.problem(nhsText);
        if (problem != null) {
            if (request.kind() == Kind.READ && !type.equals("Patient")) {
                throw new RequestProblem(404, OperationOutcome.IssueType.NOTFOUND, "no " + type + "/" + request.id());
            }
            throw new RequestProblem(400, OperationOutcome.IssueType.INVALID, problem);
        }
        String nhs = NhsNumber.of(nhsText).value();
        if (!running.getAsBoolean()) {
            exchange.getResponseHeaders().set("Retry-After", "5");
            throw new RequestProblem(503, OperationOutcome.IssueType.TRANSIENT,
                    "the timeline is not available yet (stream processor starting or rebalancing)");
        }
        Caller caller = exchange.getAttribute(Caller.ATTRIBUTE) instanceof Caller c ? c : UNNAMED_CLINICIAN;
        Optional<HostInfo> owner = owner(nhs, caller);
        if (owner.isPresent()) {
            forward(exchange, owner.get(), caller);
            return;
        }
        Optional<VisibleTimeline> timeline = VisibleTimeline.read(queries, nhs, caller);
        Optional<String> mergedInto = timeline.isEmpty() ? queries.mergedInto(nhs) : Optional.empty();
        String base = base(exchange, caller);
        Resource body = switch (request.kind()) {
            case READ -> read(request, nhs, timeline, mergedInto);
            case SEARCH -> search(request, nhs, timeline, mergedInto, base, path);
            case EVERYTHING -> everything(request, nhs, timeline, mergedInto, base, path);
        };
        send(exchange, 200, body, xml);
    }

    private enum Kind { READ, SEARCH, EVERYTHING }

    private record Request(Kind kind, String type, String id, FhirSearch search) {
        static Request read(String type, String id) {
            return new Request(Kind.READ, type, id, null);
        }

        static Request search(String type, FhirSearch search) {
            return new Request(Kind.SEARCH, type, null, search);
        }

        static Request everything(String id, FhirSearch search) {
            return new Request(Kind.EVERYTHING, "Patient", id, search);
        }

        String patientText() {
            return switch (kind) {
                case SEARCH -> search.patient();
                case READ -> type.equals("Patient") ? id : FhirIds.patientOf(id).orElse(id);
                case EVERYTHING -> id;
            };
        }
    }

    /** The instance to forward to, or empty to answer here. */
    private Optional<HostInfo> owner(String nhs, Caller caller) {
        if (lookup == null) {
            return Optional.empty();
        }
        Optional<HostInfo> owner;
        try {
            owner = lookup.remoteOwner(nhs);
        } catch (TimelineHostLookup.OwnerUnknownException e) {
            throw new RetryLater(e.getMessage());
        }
        if (owner.isPresent() && caller.verifiedBy() == Caller.Verification.PEER) {
            throw new RetryLater("the timeline is moving between instances at the moment");
        }
        return owner;
    }

    private static final class RetryLater extends InvalidStateStoreException {
        RetryLater(String message) {
            super(message);
        }
    }

    private Resource read(Request request, String nhs, Optional<VisibleTimeline> timeline,
            Optional<String> mergedInto) {
        if (request.type().equals("Patient")) {
            if (timeline.isPresent()) {
                return TimelineResources.patient(timeline.get());
            }
            if (mergedInto.isPresent()) {
                return TimelineResources.mergedAway(nhs, mergedInto.get());
            }
            throw new RequestProblem(404, OperationOutcome.IssueType.NOTFOUND, "no Patient/" + nhs);
        }
        if (timeline.isEmpty()) {
            throw new RequestProblem(404, OperationOutcome.IssueType.NOTFOUND, "no " + request.type() + "/"
                    + request.id() + mergedInto.map(s -> ": NHS number " + nhs + " was merged into " + s
                    + "; search " + request.type() + "?patient=Patient/" + s).orElse(""));
        }
        return TimelineResources.ofType(timeline.get(), request.type()).stream()
                .filter(r -> r.getIdElement().getIdPart().equals(request.id())).findFirst()
                .orElseThrow(() -> new RequestProblem(404, OperationOutcome.IssueType.NOTFOUND, "no "
                        + request.type() + "/" + request.id()));
    }

    private Bundle search(Request request, String nhs, Optional<VisibleTimeline> timeline,
            Optional<String> mergedInto, String base, String path) {
        List<Resource> all;
        if (timeline.isPresent()) {
            all = TimelineResources.ofType(timeline.get(), request.type());
        } else if (mergedInto.isPresent() && request.type().equals("Patient")) {
            all = List.of(TimelineResources.mergedAway(nhs, mergedInto.get()));
        } else {
            all = List.of();
        }
        Bundle bundle = page(request.search(), request.search().filter(all), base, path);
        if (timeline.isEmpty() && mergedInto.isPresent() && !request.type().equals("Patient")) {
            outcomeEntry(bundle, "NHS number " + nhs + " was merged into " + mergedInto.get() + ": search "
                    + request.type() + "?patient=Patient/" + mergedInto.get());
        }
        return bundle;
    }

    private Bundle everything(Request request, String nhs, Optional<VisibleTimeline> timeline,
            Optional<String> mergedInto, String base, String path) {
        if (timeline.isEmpty() && mergedInto.isPresent()) {
            Bundle bundle = page(request.search(), List.of(TimelineResources.mergedAway(nhs, mergedInto.get())),
                    base, path);
            outcomeEntry(bundle, "NHS number " + nhs + " was merged into " + mergedInto.get() + ": ask for Patient/"
                    + mergedInto.get() + "/$everything");
            return bundle;
        }
        if (timeline.isEmpty()) {
            throw new RequestProblem(404, OperationOutcome.IssueType.NOTFOUND, "no Patient/" + nhs);
        }
        return page(request.search(), request.search().filter(TimelineResources.all(timeline.get())), base, path);
    }

    /** One page of {@code matches} as a searchset Bundle, with its total and links. */
    private static Bundle page(FhirSearch search, List<Resource> matches, String base, String path) {
        Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET).setTotal(matches.size());
        bundle.setId(UUID.randomUUID().toString());
        bundle.getMeta().setLastUpdated(new java.util.Date());
        int count = search.count();
        int pages = count == 0 ? 1 : Math.max(1, (matches.size() + count - 1) / count);
        int page = Math.min(search.page(), pages - 1);
        String self = base + "/" + path + "?";
        bundle.addLink().setRelation("self").setUrl(self + search.queryForPage(page));
        bundle.addLink().setRelation("first").setUrl(self + search.queryForPage(0));
        if (page > 0) {
            bundle.addLink().setRelation("previous").setUrl(self + search.queryForPage(page - 1));
        }
        if (page < pages - 1) {
            bundle.addLink().setRelation("next").setUrl(self + search.queryForPage(page + 1));
        }
        bundle.addLink().setRelation("last").setUrl(self + search.queryForPage(pages - 1));
        int from = (int) Math.min(matches.size(), (long) page * count);
        int to = Math.min(matches.size(), from + count);
        for (Resource r : matches.subList(from, to)) {
            bundle.addEntry().setFullUrl(base + "/" + r.fhirType() + "/" + r.getIdElement().getIdPart()).setResource(r)
                    .getSearch().setMode(Bundle.SearchEntryMode.MATCH);
        }
        return bundle;
    }

    private static void outcomeEntry(Bundle bundle, String message) {
        OperationOutcome outcome = outcome(OperationOutcome.IssueType.INFORMATIONAL, message);
        outcome.getIssueFirstRep().setSeverity(OperationOutcome.IssueSeverity.INFORMATION);
        bundle.addEntry().setFullUrl("urn:uuid:" + UUID.randomUUID()).setResource(outcome).getSearch()
                .setMode(Bundle.SearchEntryMode.OUTCOME);
    }

    private void forward(HttpExchange exchange, HostInfo owner, Caller caller) throws IOException {
        boolean xml = wantsXml(exchange, params(exchange.getRequestURI().getRawQuery()));
        if (!forwarding.canForward()) {
            LOG.error("A FHIR read for a patient held by {}:{} cannot be forwarded: no peer credential", owner.host(),
                    owner.port());
            send(exchange, 503, outcome(OperationOutcome.IssueType.TRANSIENT,
                    "this instance cannot reach the instance holding this patient"), xml);
            return;
        }
        String target = exchange.getRequestURI().getRawPath()
                + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery());
        Map<String, String> headers = new LinkedHashMap<>();
        String accept = exchange.getRequestHeaders().getFirst("Accept");
        if (accept != null) {
            headers.put("Accept", accept);
        }
        String host = exchange.getRequestHeaders().getFirst("Host");
        if (host != null) {
            headers.put(FORWARDED_HOST_HEADER, host);
        }
        try {
            PeerForwarding.Reply reply = forwarding.get(owner, target, caller, headers);
            exchange.getResponseHeaders().set("X-CareTrail-Served-By", owner.host() + ":" + owner.port());
            exchange.getResponseHeaders().set("Content-Type", reply.contentType() == null ? (xml ? FHIR_XML : FHIR_JSON)
                    : reply.contentType());
            write(exchange, reply.status(), reply.body());
        } catch (IOException e) {
            String id = UUID.randomUUID().toString();
            LOG.warn("Forwarding {} to {}:{} failed [correlation id {}]: {}", exchange.getRequestURI().getRawPath(),
                    owner.host(), owner.port(), id, e.toString());
            send(exchange, 502, outcome(OperationOutcome.IssueType.TRANSIENT,
                    "the instance holding this patient did not answer (correlation id " + id + ")"), xml);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            send(exchange, 503, outcome(OperationOutcome.IssueType.TRANSIENT, "interrupted while forwarding"), xml);
        }
    }

    /** {@code http://<the host the client asked>/fhir/r4}: where the Bundle links and fullUrls point. */
    private static String base(HttpExchange exchange, Caller caller) {
        String host = caller.verifiedBy() == Caller.Verification.PEER
                && exchange.getRequestHeaders().getFirst(FORWARDED_HOST_HEADER) != null
                ? exchange.getRequestHeaders().getFirst(FORWARDED_HOST_HEADER)
                : exchange.getRequestHeaders().getFirst("Host");
        return "http://" + (host == null || !host.matches("[A-Za-z0-9.\\-:\\[\\]]+") ? "localhost" : host) + BASE;
    }

    static OperationOutcome outcome(OperationOutcome.IssueType code, String message) {
        OperationOutcome outcome = new OperationOutcome();
        outcome.addIssue().setSeverity(OperationOutcome.IssueSeverity.ERROR).setCode(code)
                .setDiagnostics(message.length() <= 1000 ? message : message.substring(0, 1000) + "...");
        return outcome;
    }

    private void send(HttpExchange exchange, int status, Resource body, boolean xml) throws IOException {
        IParser parser = (xml ? fhir.newXmlParser() : fhir.newJsonParser()).setPrettyPrint(false);
        exchange.getResponseHeaders().set("Content-Type", xml ? FHIR_XML : FHIR_JSON);
        write(exchange, status, parser.encodeResourceToString(body).getBytes(StandardCharsets.UTF_8));
    }

    private static void write(HttpExchange exchange, int status, byte[] bytes) throws IOException {
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = "HEAD".equalsIgnoreCase(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static boolean wantsXml(HttpExchange exchange, Map<String, List<String>> params) {
        String format = FhirSearch.format(params);
        if (format != null) {
            return format.contains("xml");
        }
        String accept = exchange.getRequestHeaders().getFirst("Accept");
        return accept != null && accept.contains("xml") && !accept.contains("json");
    }

    /** Query parameters, each with every value given, percent-decoded. */
    static Map<String, List<String>> params(String rawQuery) {
        Map<String, List<String>> params = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return params;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            params.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        }
        return params;
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return text; // a malformed escape: left as sent, and refused as what it is not
        }
    }

    private static String trim(String path) {
        String p = path;
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }
}
