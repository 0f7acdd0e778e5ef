package org.caretrail.consumers.subscriptions;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.parser.StrictErrorHandler;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.caretrail.consumers.webhook.CallbackPolicy;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.OdsCode;
import org.caretrail.events.access.Caller;
import org.caretrail.events.access.Role;
import org.caretrail.events.fhir.FhirSystems;
import org.caretrail.events.model.TimelineChange;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CanonicalType;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.PrimitiveType;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.UnsignedIntType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * FHIR Subscriptions (R4 Subscriptions Backport IG, topic-based) under {@code /fhir/r4}: one more way to
 * create the platform's subscriptions, delivered by the same machinery (retries, parking, signing, the
 * SSRF-safe client, sealed secrets, owners and the RESTRICTED rule).
 * <ul>
 *   <li>{@code POST Subscription}: a Subscription with the backport profile: {@code criteria} = a topic's
 *       canonical URL ({@link FhirTopic}), filters in {@code criteria}'s {@code backport-filter-criteria}
 *       extensions ({@code patient=Patient/{nhs}}, {@code general-practitioner=<ODS code>}),
 *       {@code channel.type = rest-hook}, {@code channel.endpoint}, {@code channel.payload =
 *       application/fhir+json} with {@code backport-payload-content} {@code empty}, {@code id-only}
 *       (default) or {@code full-resource}, {@code backport-heartbeat-period} and {@code backport-timeout}
 *       (seconds), {@code channel.header} {@code Authorization: ...} only; 201 with the Subscription
 *       (status {@code requested}: the handshake follows);
 *   <li>{@code GET Subscription}, {@code GET}/{@code DELETE Subscription/{id}};
 *   <li>{@code GET Subscription/{id}/$status}: a Bundle with the SubscriptionStatus ({@code query-status});
 *   <li>{@code GET Subscription/{id}/$events?eventsSinceNumber=&eventsUntilNumber=&content=}: the events
 *       by number, replayed from Kafka ({@link SubscriptionEvents}), as a {@code query-event} Bundle;
 *   <li>{@code GET Basic?code=SubscriptionTopic}, {@code GET Basic/{code}}: the topics.
 * </ul>
 * Who may: as the subscriptions API, {@link Role#SUBSCRIBER_ADMIN}, each caller its own subscriptions
 * (others' are 404), at most {@link DeliveryConfig#maxPerCaller()}; RESTRICTED entries only when the
 * Subscription asks ({@value #ALLOW_RESTRICTED} = true) and the caller holds {@link Role#RESTRICTED_ACCESS}
 * (403 otherwise). Errors are OperationOutcomes.
 */
public final class FhirSubscriptionApi implements HttpHandler {

    public static final String BASE = "/fhir/r4";
    public static final String PROFILE =
            "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription";
    static final String IG = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/";
    static final String FILTER = IG + "backport-filter-criteria";
    static final String CONTENT = IG + "backport-payload-content";
    static final String HEARTBEAT = IG + "backport-heartbeat-period";
    static final String TIMEOUT = IG + "backport-timeout";
    static final String MAX_COUNT = IG + "backport-max-count";
    /** CareTrail's extension on a Subscription asking for RESTRICTED entries (granted to RESTRICTED_ACCESS only). */
    public static final String ALLOW_RESTRICTED = FhirSystems.CARETRAIL + "/StructureDefinition/allow-restricted";
    static final int MAX_BODY = 64 * 1024;
    static final Duration MIN_HEARTBEAT = Duration.ofSeconds(10);
    static final Duration MAX_HEARTBEAT = Duration.ofDays(1);
    private static final Logger LOG = LoggerFactory.getLogger(FhirSubscriptionApi.class);

    private final SubscriptionStore store;
    private final DeliveryService delivery;
    private final DeliveryConfig config;
    private final SubscriptionEvents events;
    private final FhirFocus focus;
    private final FhirContext fhir = FhirContext.forR4Cached();

    public FhirSubscriptionApi(SubscriptionStore store, DeliveryService delivery, DeliveryConfig config,
            SubscriptionEvents events, FhirFocus focus) {
        this.store = store;
        this.delivery = delivery;
        this.config = config;
        this.events = events;
        this.focus = focus;
    }

    /** Adds Subscription (create, read, search, delete, $status, $events) and the topics to a CapabilityStatement. */
    public static void describe(CapabilityStatement cs) {
        CapabilityStatement.CapabilityStatementRestComponent rest = cs.getRestFirstRep();
        CapabilityStatement.CapabilityStatementRestResourceComponent sub = rest.addResource().setType("Subscription");
        sub.addSupportedProfile(PROFILE);
        for (CapabilityStatement.TypeRestfulInteraction i : List.of(CapabilityStatement.TypeRestfulInteraction.CREATE,
                CapabilityStatement.TypeRestfulInteraction.READ, CapabilityStatement.TypeRestfulInteraction.SEARCHTYPE,
                CapabilityStatement.TypeRestfulInteraction.DELETE)) {
            sub.addInteraction().setCode(i);
        }
        sub.addOperation().setName("status")
                .setDefinition("http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-status");
        sub.addOperation().setName("events")
                .setDefinition("http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-events");
        for (FhirTopic topic : FhirTopic.values()) {
            sub.addExtension(FhirTopic.CAPABILITY_EXTENSION, new CanonicalType(topic.url()));
        }
        CapabilityStatement.CapabilityStatementRestResourceComponent basic = rest.addResource().setType("Basic");
        basic.addInteraction().setCode(CapabilityStatement.TypeRestfulInteraction.READ);
        basic.addInteraction().setCode(CapabilityStatement.TypeRestfulInteraction.SEARCHTYPE);
        basic.setDocumentation("The SubscriptionTopics (R4: Basic with code SubscriptionTopic)");
        cs.addImplementationGuide("http://hl7.org/fhir/uv/subscriptions-backport/ImplementationGuide/hl7.fhir.uv.subscriptions-backport");
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            boolean xml = wantsXml(exchange);
            try {
                route(exchange, xml);
            } catch (Problem p) {
                send(exchange, p.status, outcome(p.code, p.getMessage()), xml);
            } catch (RuntimeException e) {
                String id = UUID.randomUUID().toString();
                LOG.error("FHIR subscriptions {} {} failed [correlation id {}]", exchange.getRequestMethod(),
                        exchange.getRequestURI().getRawPath(), id, e);
                send(exchange, 500, outcome(OperationOutcome.IssueType.EXCEPTION, "internal error (correlation id "
                        + id + ")"), xml);
            }
        }
    }

    /** A refusal: status, FHIR issue code, message for the caller. */
    private static final class Problem extends RuntimeException {
        final int status;
        final OperationOutcome.IssueType code;

        Problem(int status, OperationOutcome.IssueType code, String message) {
            super(message);
            this.status = status;
            this.code = code;
        }
    }

    private void route(HttpExchange exchange, boolean xml) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String rest = path.length() > BASE.length() ? path.substring(BASE.length() + 1) : "";
        while (rest.endsWith("/")) {
            rest = rest.substring(0, rest.length() - 1);
        }
        String[] parts = rest.split("/");
        String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
        if (parts[0].equals("Basic")) {
            topics(exchange, parts, method, xml);
            return;
        }
        if (!parts[0].equals("Subscription")) {
            throw new Problem(404, OperationOutcome.IssueType.NOTFOUND, "not served here: " + parts[0]);
        }
        Caller caller = exchange.getAttribute(Caller.ATTRIBUTE) instanceof Caller c ? c : null;
        if (caller == null || !caller.has(Role.SUBSCRIBER_ADMIN)) {
            throw new Problem(403, OperationOutcome.IssueType.FORBIDDEN, "managing subscriptions needs the "
                    + Role.SUBSCRIBER_ADMIN + " role");
        }
        if (parts.length == 1) {
            switch (method) {
                case "POST" -> create(exchange, caller, xml);
                case "GET" -> send(exchange, 200, search(caller), xml);
                default -> throw notAllowed(method, "GET, POST");
            }
            return;
        }
        Subscription subscription = store.get(parts[1]).filter(s -> s.isFhir())
                .filter(s -> s.owner() == null || s.owner().is(caller))
                .orElseThrow(() -> new Problem(404, OperationOutcome.IssueType.NOTFOUND, "no Subscription/" + parts[1]));
        if (parts.length == 2) {
            switch (method) {
                case "GET" -> send(exchange, 200, resource(subscription), xml);
                case "DELETE" -> {
                    store.delete(subscription.id());
                    LOG.info("FHIR subscription {} deleted by {}", subscription.id(), caller.subject());
                    exchange.sendResponseHeaders(204, -1);
                }
                default -> throw notAllowed(method, "GET, DELETE");
            }
        } else if (parts.length == 3 && parts[2].equals("$status") && (method.equals("GET") || method.equals("POST"))) {
            send(exchange, 200, status(subscription), xml);
        } else if (parts.length == 3 && parts[2].equals("$events") && (method.equals("GET") || method.equals("POST"))) {
            send(exchange, 200, events(subscription, params(exchange)), xml);
        } else {
            throw new Problem(404, OperationOutcome.IssueType.NOTFOUND, "no such operation: " + rest);
        }
    }

    private void topics(HttpExchange exchange, String[] parts, String method, boolean xml) throws IOException {
        if (!method.equals("GET")) {
            throw notAllowed(method, "GET");
        }
        if (parts.length == 2) {
            send(exchange, 200, FhirTopic.byCode(parts[1]).map(FhirTopic::toBasic).orElseThrow(() -> new Problem(404,
                    OperationOutcome.IssueType.NOTFOUND, "no Basic/" + parts[1])), xml);
            return;
        }
        Map<String, List<String>> params = params(exchange);
        String code = params.getOrDefault("code", List.of("SubscriptionTopic")).get(0);
        Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET);
        boolean topics = code.equals("SubscriptionTopic") || code.endsWith("|SubscriptionTopic");
        for (FhirTopic topic : topics ? FhirTopic.values() : new FhirTopic[0]) {
            bundle.addEntry().setFullUrl(focus.base() + "/Basic/" + topic.code()).setResource(topic.toBasic())
                    .getSearch().setMode(Bundle.SearchEntryMode.MATCH);
        }
        bundle.setTotal(bundle.getEntry().size());
        send(exchange, 200, bundle, xml);
    }

    // ------------------------------------------------------------------------------------------ create

    private void create(HttpExchange exchange, Caller caller, boolean xml) throws IOException {
        org.hl7.fhir.r4.model.Subscription posted = parse(exchange);
        FhirTopic topic = FhirTopic.byUrl(posted.getCriteria()).orElseThrow(() -> unprocessable("Subscription.criteria",
                "'" + cut(posted.getCriteria()) + "' is not a topic of this server; one of " + String.join(", ",
                        java.util.Arrays.stream(FhirTopic.values()).map(FhirTopic::url).toList())));
        String patient = null;
        String practice = null;
        for (Extension filter : posted.getCriteriaElement().getExtensionsByUrl(FILTER)) {
            String text = filter.getValue() instanceof StringType s ? s.getValue() : null;
            if (text == null) {
                throw unprocessable("Subscription.criteria.extension", "a filter criteria needs a valueString");
            }
            String criteria = text.contains("?") ? text.substring(text.indexOf('?') + 1) : text;
            for (String pair : criteria.split("&")) {
                int eq = pair.indexOf('=');
                String name = eq < 0 ? pair : pair.substring(0, eq);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                switch (name) {
                    case "patient" -> {
                        String nhs = value.contains("Patient/") ? value.substring(value.lastIndexOf("Patient/") + 8)
                                : value.contains("|") ? value.substring(value.indexOf('|') + 1) : value;
                        String problem = NhsNumber.problem(nhs);
                        if (problem != null) {
                            throw unprocessable("Subscription.criteria.extension", "patient: " + problem);
                        }
                        patient = NhsNumber.of(nhs).value();
                    }
                    case "general-practitioner" -> {
                        String ods = value.contains("|") ? value.substring(value.indexOf('|') + 1)
                                : value.contains("/") ? value.substring(value.lastIndexOf('/') + 1) : value;
                        String problem = OdsCode.problem(ods);
                        if (problem != null) {
                            throw unprocessable("Subscription.criteria.extension", "general-practitioner: " + problem);
                        }
                        practice = ods;
                    }
                    default -> throw unprocessable("Subscription.criteria.extension", "filter '" + cut(name)
                            + "' is not one this topic can filter by: " + String.join(", ", FhirTopic.FILTERS));
                }
            }
        }
        org.hl7.fhir.r4.model.Subscription.SubscriptionChannelComponent channel = posted.getChannel();
        if (channel.getType() != org.hl7.fhir.r4.model.Subscription.SubscriptionChannelType.RESTHOOK) {
            throw unprocessable("Subscription.channel.type", "only rest-hook is served");
        }
        if (channel.hasPayload() && !channel.getPayload().startsWith("application/fhir+json")) {
            throw unprocessable("Subscription.channel.payload", "notifications are sent as application/fhir+json");
        }
        if (posted.hasEnd()) {
            throw unprocessable("Subscription.end", "is not supported: delete the subscription to end it");
        }
        URI endpoint;
        try {
            endpoint = new URI(channel.getEndpoint() == null ? "" : channel.getEndpoint());
            if (!endpoint.isAbsolute() || endpoint.getHost() == null || channel.getEndpoint().length()
                    > SubscriptionRequest.MAX_URL || !(endpoint.getScheme().equalsIgnoreCase("http")
                    || endpoint.getScheme().equalsIgnoreCase("https"))) {
                throw new URISyntaxException(String.valueOf(channel.getEndpoint()), "not an absolute http(s) URL");
            }
            config.callbackPolicy().check(endpoint);
        } catch (URISyntaxException e) {
            throw new Problem(400, OperationOutcome.IssueType.INVALID, "Subscription.channel.endpoint must be an "
                    + "absolute http or https URL of at most " + SubscriptionRequest.MAX_URL + " characters");
        } catch (CallbackPolicy.RefusedException e) {
            throw new Problem(400, OperationOutcome.IssueType.INVALID, "Subscription.channel.endpoint: "
                    + e.getMessage());
        }
        FhirChannel.Content content = FhirChannel.Content.ID_ONLY;
        Extension contentExtension = channel.getPayloadElement().getExtensionByUrl(CONTENT);
        if (contentExtension != null) {
            try {
                content = FhirChannel.Content.parse(((PrimitiveType<?>) contentExtension.getValue()).getValueAsString());
            } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
                throw unprocessable("Subscription.channel.payload.extension", "payload content must be empty, "
                        + "id-only or full-resource");
            }
        }
        Duration heartbeat = seconds(channel, HEARTBEAT, "heartbeat period");
        if (heartbeat != null && (heartbeat.compareTo(MIN_HEARTBEAT) < 0 || heartbeat.compareTo(MAX_HEARTBEAT) > 0)) {
            throw unprocessable("Subscription.channel.extension", "the heartbeat period must be "
                    + MIN_HEARTBEAT.toSeconds() + " to " + MAX_HEARTBEAT.toSeconds() + " seconds");
        }
        Duration timeout = seconds(channel, TIMEOUT, "timeout");
        if (timeout != null && (timeout.isZero() || timeout.compareTo(config.requestTimeout()) > 0)) {
            throw unprocessable("Subscription.channel.extension", "the timeout must be 1 to "
                    + config.requestTimeout().toSeconds() + " seconds");
        }
        String authorization = null;
        for (StringType header : channel.getHeader()) {
            String h = header.getValue() == null ? "" : header.getValue();
            if (!h.regionMatches(true, 0, "Authorization:", 0, 14) || h.length() > SubscriptionRequest.MAX_AUTHORIZATION
                    || h.chars().anyMatch(c -> c < 0x20 || c > 0x7E) || authorization != null) {
                throw unprocessable("Subscription.channel.header", "only one 'Authorization: ...' header (printable, "
                        + "at most " + SubscriptionRequest.MAX_AUTHORIZATION + " characters) is sent");
            }
            authorization = h.substring(14).strip();
        }
        boolean restricted = posted.getExtensionsByUrl(ALLOW_RESTRICTED).stream()
                .anyMatch(e -> e.getValue() instanceof BooleanType b && b.booleanValue());
        if (restricted && !caller.has(Role.RESTRICTED_ACCESS)) {
            throw new Problem(403, OperationOutcome.IssueType.FORBIDDEN, ALLOW_RESTRICTED + " needs the "
                    + Role.RESTRICTED_ACCESS + " role, which " + caller.subject() + " does not have");
        }
        FhirChannel fhirChannel = new FhirChannel(topic, content, heartbeat, timeout, patient,
                posted.hasReason() ? cut(posted.getReason()) : null);
        SubscriptionRequest request = new SubscriptionRequest(endpoint, topic.eventTypes(), practice, null, false,
                restricted, null, PayloadFormat.FHIR_R4, authorization, fhirChannel);
        Subscription created = store.createWithin(request, SubscriptionOwner.of(caller), config.maxPerCaller())
                .orElseThrow(() -> new Problem(409, OperationOutcome.IssueType.BUSINESSRULE, caller.subject()
                        + " already has " + config.maxPerCaller() + " subscriptions, the most one caller may have"));
        LOG.info("FHIR subscription {} ({}, {}) created by {} for {}", created.id(), topic.code(), content.code(),
                caller.subject(), created.callbackUrlShown());
        exchange.getResponseHeaders().set("Location", focus.base() + "/Subscription/" + created.id());
        send(exchange, 201, resource(created), xml);
    }

    private static Duration seconds(org.hl7.fhir.r4.model.Subscription.SubscriptionChannelComponent channel, String url,
            String what) {
        Extension e = channel.getExtensionByUrl(url);
        if (e == null) {
            return null;
        }
        if (!(e.getValue() instanceof UnsignedIntType n) || n.getValue() == null) {
            throw unprocessable("Subscription.channel.extension", "the " + what + " is an unsignedInt of seconds");
        }
        return Duration.ofSeconds(n.getValue());
    }

    private org.hl7.fhir.r4.model.Subscription parse(HttpExchange exchange) throws IOException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(MAX_BODY + 1);
        }
        if (body.length > MAX_BODY) {
            throw new Problem(413, OperationOutcome.IssueType.TOOCOSTLY, "the body is larger than " + MAX_BODY
                    + " bytes");
        }
        String type = String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type")).toLowerCase(Locale.ROOT);
        IParser parser = type.contains("xml") ? fhir.newXmlParser() : fhir.newJsonParser();
        parser.setParserErrorHandler(new StrictErrorHandler());
        try {
            Resource resource = (Resource) parser.parseResource(new String(body, StandardCharsets.UTF_8));
            if (!(resource instanceof org.hl7.fhir.r4.model.Subscription s)) {
                throw new Problem(400, OperationOutcome.IssueType.INVALID, "the body is a " + resource.fhirType()
                        + ", not a Subscription");
            }
            return s;
        } catch (DataFormatException | ClassCastException e) {
            throw new Problem(400, OperationOutcome.IssueType.STRUCTURE, "the body is not a valid FHIR R4 "
                    + "Subscription: " + cut(e.getMessage()));
        }
    }

    // ------------------------------------------------------------------------------------------ read

    /** The subscription as a FHIR R4 Subscription (backport profile), with its status now; secrets left out. */
    org.hl7.fhir.r4.model.Subscription resource(Subscription s) {
        org.hl7.fhir.r4.model.Subscription r = new org.hl7.fhir.r4.model.Subscription();
        r.setId(s.id());
        r.getMeta().addProfile(PROFILE);
        r.setStatus(org.hl7.fhir.r4.model.Subscription.SubscriptionStatus.fromCode(statusOf(s)));
        r.setReason(s.fhir().reason() == null ? "CareTrail " + s.fhir().topic().title() + " notifications"
                : s.fhir().reason());
        r.setCriteria(s.fhir().topic().url());
        if (s.fhir().patient() != null) {
            r.getCriteriaElement().addExtension(FILTER, new StringType("patient=Patient/" + s.fhir().patient()));
        }
        if (s.registeredPractice() != null) {
            r.getCriteriaElement().addExtension(FILTER, new StringType("general-practitioner="
                    + s.registeredPractice()));
        }
        var channel = r.getChannel().setType(org.hl7.fhir.r4.model.Subscription.SubscriptionChannelType.RESTHOOK)
                .setEndpoint(s.callbackUrlShown()).setPayload(FhirNotifications.CONTENT_TYPE);
        channel.getPayloadElement().addExtension(CONTENT, new CodeType(s.fhir().content().code()));
        if (s.fhir().heartbeat() != null) {
            channel.addExtension(HEARTBEAT, new UnsignedIntType(s.fhir().heartbeat().toSeconds()));
        }
        if (s.fhir().timeout() != null) {
            channel.addExtension(TIMEOUT, new UnsignedIntType(s.fhir().timeout().toSeconds()));
        }
        if (s.callbackAuthorization() != null) {
            channel.addHeader("Authorization: " + Subscription.REDACTED);
        }
        if (s.mayReceiveRestricted()) {
            r.addExtension(ALLOW_RESTRICTED, new BooleanType(true));
        }
        return r;
    }

    private String statusOf(Subscription s) {
        return delivery.status(s.id()).map(DeliveryStatus::channelStatus).orElse("requested");
    }

    private long eventsOf(Subscription s) {
        return delivery.status(s.id()).map(DeliveryStatus::eventsSinceStart).orElse(0L);
    }

    private Bundle search(Caller caller) {
        Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET);
        for (Subscription s : store.list()) {
            if (s.isFhir() && (s.owner() == null || s.owner().is(caller))) {
                bundle.addEntry().setFullUrl(focus.base() + "/Subscription/" + s.id()).setResource(resource(s))
                        .getSearch().setMode(Bundle.SearchEntryMode.MATCH);
            }
        }
        bundle.setTotal(bundle.getEntry().size());
        return bundle;
    }

    /** {@code $status}: a searchset Bundle with the SubscriptionStatus (query-status). */
    private Bundle status(Subscription s) {
        Optional<DeliveryStatus> status = delivery.status(s.id());
        String error = status.filter(d -> "error".equals(d.channelStatus())).map(DeliveryStatus::lastError).orElse(null);
        Parameters p = FhirNotifications.status(s, focus.base(), "query-status", statusOf(s), eventsOf(s), List.of(),
                error);
        Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET).setTotal(1);
        bundle.addEntry().setFullUrl("urn:uuid:" + UUID.randomUUID()).setResource(p).getSearch()
                .setMode(Bundle.SearchEntryMode.MATCH);
        return bundle;
    }

    /** {@code $events}: the events by number, replayed from Kafka, as a query-event notification Bundle. */
    private Bundle events(Subscription s, Map<String, List<String>> params) {
        long count = eventsOf(s);
        long since = number(params, "eventsSinceNumber", 1);
        long until = number(params, "eventsUntilNumber", Math.max(count, since));
        if (until < since) {
            throw new Problem(400, OperationOutcome.IssueType.INVALID, "eventsUntilNumber " + until
                    + " is before eventsSinceNumber " + since);
        }
        FhirChannel.Content content = s.fhir().content();
        if (params.containsKey("content")) {
            try {
                content = FhirChannel.Content.parse(params.get("content").get(0));
            } catch (IllegalArgumentException e) {
                throw new Problem(400, OperationOutcome.IssueType.INVALID, e.getMessage());
            }
        }
        Subscription asked = withContent(s, content);
        List<FhirNotifications.Event> found = new ArrayList<>();
        for (SubscriptionEvents.Past past : events.between(s, since, until)) {
            TimelineChange change = past.change();
            if (change == null) {
                found.add(new FhirNotifications.Event(past.number(), past.recordedAt(), null, null, null));
                continue;
            }
            if (!SubscriptionFilter.matches(s, change)) {
                continue; // no longer for it (never expected: it was numbered because it matched)
            }
            String reference = content == FhirChannel.Content.EMPTY ? null : focus.reference(change);
            Resource resource = null;
            if (content == FhirChannel.Content.FULL_RESOURCE) {
                try {
                    resource = focus.resource(change, s).orElse(null);
                } catch (FhirFocus.Unavailable e) {
                    throw new Problem(503, OperationOutcome.IssueType.TRANSIENT, "the timeline cannot be read at the "
                            + "moment; retry shortly, or ask for content=id-only");
                }
            }
            found.add(new FhirNotifications.Event(past.number(), change.getChangedAt(), reference, resource,
                    change.getKind()));
        }
        return FhirNotifications.bundle(asked, focus.base(), "query-event", statusOf(s), count, found, null,
                Instant.now());
    }

    private static Subscription withContent(Subscription s, FhirChannel.Content content) {
        FhirChannel c = s.fhir();
        return new Subscription(s.id(), s.callbackUrl(), s.eventTypes(), s.registeredPractice(), s.sourceOrganisation(),
                s.gpNotifications(), s.allowRestricted(), s.startFrom(), s.secret(), s.createdAt(), s.payload(),
                s.callbackAuthorization(), s.owner(), new FhirChannel(c.topic(), content, c.heartbeat(), c.timeout(),
                        c.patient(), c.reason()));
    }

    private static long number(Map<String, List<String>> params, String name, long fallback) {
        List<String> values = params.get(name);
        if (values == null || values.isEmpty()) {
            return fallback;
        }
        try {
            long n = Long.parseLong(values.get(0).trim());
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new Problem(400, OperationOutcome.IssueType.INVALID, name + " must be an event number (1 or more)");
        }
    }

    // ------------------------------------------------------------------------------------------ parts

    /** Query parameters, and for a POST of a Parameters resource its simple values too. */
    private Map<String, List<String>> params(HttpExchange exchange) throws IOException {
        Map<String, List<String>> params = new LinkedHashMap<>();
        String raw = exchange.getRequestURI().getRawQuery();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    params.computeIfAbsent(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            k -> new ArrayList<>()).add(URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        if (exchange.getRequestMethod().equalsIgnoreCase("POST")) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readNBytes(MAX_BODY + 1);
            }
            if (body.length > 0 && body.length <= MAX_BODY) {
                try {
                    Parameters p = fhir.newJsonParser().parseResource(Parameters.class,
                            new String(body, StandardCharsets.UTF_8));
                    for (Parameters.ParametersParameterComponent c : p.getParameter()) {
                        if (c.getValue() instanceof PrimitiveType<?> v) {
                            params.computeIfAbsent(c.getName(), k -> new ArrayList<>()).add(v.getValueAsString());
                        }
                    }
                } catch (DataFormatException e) {
                    throw new Problem(400, OperationOutcome.IssueType.STRUCTURE, "the body is not a Parameters "
                            + "resource");
                }
            }
        }
        return params;
    }

    private static Problem unprocessable(String where, String message) {
        return new Problem(422, OperationOutcome.IssueType.INVALID, where + ": " + message);
    }

    private static Problem notAllowed(String method, String allowed) {
        return new Problem(405, OperationOutcome.IssueType.NOTSUPPORTED, method + " is not supported here; use "
                + allowed);
    }

    private static String cut(String text) {
        return text == null ? "" : text.length() <= 300 ? text : text.substring(0, 300) + "...";
    }

    private static OperationOutcome outcome(OperationOutcome.IssueType code, String message) {
        OperationOutcome outcome = new OperationOutcome();
        outcome.addIssue().setSeverity(OperationOutcome.IssueSeverity.ERROR).setCode(code).setDiagnostics(message);
        return outcome;
    }

    private static boolean wantsXml(HttpExchange exchange) {
        String query = exchange.getRequestURI().getQuery();
        if (query != null && query.contains("_format=")) {
            return query.contains("_format=xml") || query.contains("_format=application/fhir+xml");
        }
        String accept = exchange.getRequestHeaders().getFirst("Accept");
        return accept != null && accept.contains("xml") && !accept.contains("json");
    }

    private void send(HttpExchange exchange, int status, Resource body, boolean xml) throws IOException {
        IParser parser = (xml ? fhir.newXmlParser() : fhir.newJsonParser()).setPrettyPrint(false);
        byte[] bytes = parser.encodeResourceToString(body).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", (xml ? "application/fhir+xml" : "application/fhir+json")
                + "; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
