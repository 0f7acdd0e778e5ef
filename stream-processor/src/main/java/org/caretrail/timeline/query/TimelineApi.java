package org.caretrail.timeline.query;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.streams.state.HostInfo;
import org.caretrail.events.CareEventType;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.access.Caller;
import org.caretrail.events.access.Role;
import org.caretrail.events.model.EventType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/v1/patients/{nhsNumber}/timeline}: a page of a patient's timeline as JSON
 * ({@link TimelinePage#toJson()}), answered by whichever instance is asked: the owner's stores are
 * read here, or the request is forwarded to the owner ({@link TimelineHostLookup}).
 *
 * <p>Query parameters (all optional): {@code from}, {@code to} (ISO instant or date, inclusive, on
 * occurredAt), {@code types} (comma-separated: {@code admission,discharge} or {@code ADMISSION}),
 * {@code page} (0-based), {@code size} (1-1000, default 100), {@code history=true} (include
 * withdrawn entries), {@code asOf} (ISO instant or date: the timeline as known from events recorded
 * at or before then).
 *
 * <p>Status: 200 page; 400 invalid NHS number or parameter (the message says which); 404 unknown
 * patient (for a merged-away NHS number the body's {@code mergedInto} names the survivor); 405 not GET; 503 while the stream processor is not RUNNING or the owner is
 * unknown (with {@code Retry-After}); 502 when forwarding to the owner failed. An unexpected failure is
 * 500 with a correlation id that is in the log, never the exception's text.
 *
 * <p><b>Who asks.</b> The verified caller is the exchange attribute {@link Caller#ATTRIBUTE}, put there
 * by the platform's access layer, which must guard this handler (it also decides that only a clinician
 * reads timelines). Without one, the caller is taken as a clinician without RESTRICTED access. RESTRICTED
 * entries are served only to a caller with {@link Role#RESTRICTED_ACCESS}; to others every read is
 * computed as if they did not exist ({@link RestrictedEntries}).
 *
 * <p><b>Forwarding.</b> A query for a patient another instance owns is forwarded there signed with the
 * platform's peer credential ({@link #forwardingWith}), carrying the ORIGINAL caller as verified here;
 * the caller's own token never leaves this instance. A request that a peer forwarded (its caller
 * verified {@link Caller.Verification#PEER}) is answered here or refused, never forwarded again.
 */
public final class TimelineApi implements HttpHandler {

    public static final String PATH_PREFIX = "/api/v1/patients/";
    /**
     * Was: the unauthenticated marker of a forwarded request. A forwarded request is now recognised by
     * its verified peer credential; the platform refuses a request carrying this header without one.
     */
    public static final String FORWARDED_HEADER = "X-CareTrail-Forwarded";
    /** The caller when no access layer put one on the exchange: a clinician, without RESTRICTED access. */
    static final Caller UNNAMED_CLINICIAN = new Caller("unnamed", null, Caller.Verification.NONE,
            Set.of(Role.CLINICIAN));

    private static final Logger LOG = LoggerFactory.getLogger(TimelineApi.class);
    private static final Pattern PATH = Pattern.compile("^/api/v1/patients/([^/]+)/timeline/?$");
    private static final Pattern PATIENT = Pattern.compile("^/api/v1/patients/([^/]+)(/.*)?$");

    /** Signs a forwarded query for the instance that owns the patient: the headers to add. */
    @FunctionalInterface
    public interface PeerSigner {
        Map<String, String> sign(String method, String pathAndQuery, Caller caller);
    }

    private final TimelineQueries queries;
    private final TimelineHostLookup lookup;
    private final BooleanSupplier running;
    private final PeerForwarding forwarding;

    /**
     * @param lookup who owns a patient; null to always answer locally (a single instance)
     * @param running true while the stream processor is RUNNING
     */
    public TimelineApi(TimelineQueries queries, TimelineHostLookup lookup, BooleanSupplier running) {
        this(queries, lookup, running, new PeerForwarding());
    }

    private TimelineApi(TimelineQueries queries, TimelineHostLookup lookup, BooleanSupplier running,
            PeerForwarding forwarding) {
        this.queries = queries;
        this.lookup = lookup;
        this.running = running;
        this.forwarding = forwarding;
    }

    /**
     * This API, forwarding queries for patients other instances own, signed by {@code signer}, over TLS with
     * {@code tls} ({@link PeerForwarding}).
     */
    public TimelineApi forwardingWith(PeerSigner signer, javax.net.ssl.SSLContext tls) {
        return new TimelineApi(queries, lookup, running, new PeerForwarding(signer, tls));
    }

    /**
     * The NHS number text a path under {@link #PATH_PREFIX} names (percent- and plus-decoded, as this
     * API reads it), not yet checked; empty for any other path. The access audit keys its records by
     * the canonical form of this same text, so the key served and the key audited are one.
     */
    public static Optional<String> requestedPatient(String rawPath) {
        Matcher m = rawPath == null ? null : PATIENT.matcher(rawPath);
        if (m == null || !m.matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(URLDecoder.decode(m.group(1), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return Optional.of(m.group(1)); // a malformed escape: left as sent, and invalid as an NHS number
        }
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            handleOpen(exchange);
        }
    }

    private void handleOpen(HttpExchange exchange) throws IOException {
        try {
            if (!"GET".equals(exchange.getRequestMethod())) {
                exchange.getResponseHeaders().set("Allow", "GET");
                error(exchange, 405, "only GET is supported");
                return;
            }
            String rawPath = exchange.getRequestURI().getRawPath();
            if (!PATH.matcher(rawPath).matches()) {
                error(exchange, 404, "no such resource; use GET " + PATH_PREFIX + "{nhsNumber}/timeline");
                return;
            }
            String nhsText = requestedPatient(rawPath).orElseThrow();
            String problem = NhsNumber.problem(nhsText);
            if (problem != null) {
                error(exchange, 400, problem);
                return;
            }
            String nhs = NhsNumber.of(nhsText).value();
            TimelineQuery query;
            try {
                Map<String, String> params = params(exchange.getRequestURI().getRawQuery());
                query = query(nhs, params);
            } catch (IllegalArgumentException e) {
                error(exchange, 400, e.getMessage());
                return;
            }
            if (!running.getAsBoolean()) {
                exchange.getResponseHeaders().set("Retry-After", "5");
                error(exchange, 503, "the timeline is not available yet (stream processor starting or rebalancing)");
                return;
            }
            answer(exchange, query);
        } catch (RuntimeException e) {
            String id = UUID.randomUUID().toString();
            LOG.error("Timeline request {} failed [correlation id {}]", exchange.getRequestURI().getRawPath(), id, e);
            error(exchange, 500, "internal error (correlation id " + id + ")");
        }
    }

    private void answer(HttpExchange exchange, TimelineQuery query) throws IOException {
        Caller caller = exchange.getAttribute(Caller.ATTRIBUTE) instanceof Caller c ? c : UNNAMED_CLINICIAN;
        boolean forwarded = caller.verifiedBy() == Caller.Verification.PEER;
        if (lookup != null) {
            Optional<HostInfo> owner;
            try {
                owner = lookup.remoteOwner(query.nhsNumber());
            } catch (TimelineHostLookup.OwnerUnknownException e) {
                exchange.getResponseHeaders().set("Retry-After", "2");
                error(exchange, 503, e.getMessage());
                return;
            }
            if (owner.isPresent() && forwarded) {
                // a peer thought this instance owned the patient: ownership is moving; the asker retries
                exchange.getResponseHeaders().set("Retry-After", "2");
                error(exchange, 503, "the timeline is moving between instances at the moment");
                return;
            }
            if (owner.isPresent()) {
                forward(exchange, owner.get(), caller);
                return;
            }
        }
        Optional<TimelinePage> page;
        Optional<String> mergedInto = Optional.empty();
        try {
            page = caller.has(Role.RESTRICTED_ACCESS) ? queries.page(query)
                    : RestrictedEntries.pageWithout(queries, query);
            if (page.isEmpty()) {
                mergedInto = queries.mergedInto(query.nhsNumber());
            }
        } catch (org.apache.kafka.streams.errors.InvalidStateStoreException e) {
            exchange.getResponseHeaders().set("Retry-After", "2");
            LOG.info("Timeline stores not queryable for a request: {}", e.toString());
            error(exchange, 503, "the timeline stores are not queryable at the moment");
            return;
        }
        if (page.isEmpty() && mergedInto.isPresent()) {
            ObjectNode body = JsonNodeFactory.instance.objectNode();
            body.put("status", 404);
            body.put("error", "NHS number " + query.nhsNumber() + " was merged into " + mergedInto.get()
                    + ": its timeline is there");
            body.put("mergedInto", mergedInto.get());
            send(exchange, 404, body.toString());
            return;
        }
        if (page.isEmpty()) {
            error(exchange, 404, "no timeline for NHS number " + query.nhsNumber());
            return;
        }
        send(exchange, 200, page.get().toJson().toString());
    }

    private void forward(HttpExchange exchange, HostInfo owner, Caller caller) throws IOException {
        if (!forwarding.canForward()) {
            LOG.error("A timeline query for a patient held by {}:{} cannot be forwarded: no peer credential",
                    owner.host(), owner.port());
            error(exchange, 503, "this instance cannot reach the instance holding this timeline");
            return;
        }
        String target = exchange.getRequestURI().getRawPath()
                + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery());
        try {
            PeerForwarding.Reply reply = forwarding.get(owner, target, caller, Map.of());
            exchange.getResponseHeaders().set("X-CareTrail-Served-By", owner.host() + ":" + owner.port());
            send(exchange, reply.status(), new String(reply.body(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            String id = UUID.randomUUID().toString();
            LOG.warn("Forwarding {} to {}:{} failed [correlation id {}]: {}", exchange.getRequestURI().getRawPath(),
                    owner.host(), owner.port(), id, e.toString());
            error(exchange, 502, "the instance holding this timeline did not answer (correlation id " + id + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error(exchange, 503, "interrupted while forwarding");
        }
    }

    static TimelineQuery query(String nhs, Map<String, String> p) {
        Instant from = p.containsKey("from") ? instant("from", p.get("from"), false) : null;
        Instant to = p.containsKey("to") ? instant("to", p.get("to"), true) : null;
        Set<EventType> types = EnumSet.noneOf(EventType.class);
        if (p.containsKey("types") && !p.get("types").isBlank()) {
            for (String t : p.get("types").split(",")) {
                types.add(type(t.trim()));
            }
        }
        int page = integer("page", p.getOrDefault("page", "0"));
        int size = integer("size", p.getOrDefault("size", Integer.toString(TimelineQuery.DEFAULT_SIZE)));
        boolean history = Boolean.parseBoolean(p.getOrDefault("history", "false"));
        Instant asOf = p.containsKey("asOf") ? instant("asOf", p.get("asOf"), true) : null;
        return new TimelineQuery(nhs, from, to, types, page, size, history, asOf);
    }

    private static EventType type(String t) {
        Optional<EventType> byJson = CareEventType.byJsonName(t.toLowerCase(Locale.ROOT))
                .flatMap(CareEventType::timelineType);
        if (byJson.isPresent()) {
            return byJson.get();
        }
        try {
            return EventType.valueOf(t.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("types: unknown event type '" + t + "'");
        }
    }

    private static Instant instant(String name, String text, boolean endOfDay) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            try {
                LocalDate day = LocalDate.parse(text);
                return endOfDay ? day.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC).minusMillis(1)
                        : day.atStartOfDay().toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e2) {
                throw new IllegalArgumentException(name + ": '" + text
                        + "' is neither an ISO instant (2026-11-20T09:15:00Z) nor a date (2026-11-20)");
            }
        }
    }

    private static int integer(String name, String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": '" + text + "' is not a whole number");
        }
    }

    static Map<String, String> params(String rawQuery) {
        Map<String, String> params = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return params;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.put(key, value);
        }
        return params;
    }

    private static void error(HttpExchange exchange, int status, String message) throws IOException {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("status", status);
        body.put("error", message);
        send(exchange, status, body.toString());
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
