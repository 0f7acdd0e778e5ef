package org.caretrail.consumers.subscriptions;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import org.caretrail.events.CareEventType;
import org.caretrail.events.OdsCode;
import org.caretrail.events.model.EventType;

/**
 * What a client sends to {@code POST /api/v1/subscriptions}, validated. JSON form:
 * <pre>{@code
 * {"callbackUrl": "https://gp.example/hooks/caretrail",
 *  "eventTypes": ["admission", "discharge"],           // optional; empty or absent = all
 *  "filters": {"registeredPractice": "A81001", "sourceOrganisation": "RJ1"},  // optional
 *  "gpNotifications": false,                           // optional
 *  "allowRestricted": false,                           // optional; a request, granted only to RESTRICTED_ACCESS
 *  "startFrom": "earliest" | "2026-11-22T09:00:00Z",   // optional; default: now
 *  "payload": "caretrail-json" | "fhir-r4",            // optional; default: caretrail-json
 *  "callbackAuthorization": "Bearer ..."}              // optional; sent as Authorization, kept sealed
 * }</pre>
 *
 * <p>{@code allowRestricted} only asks: whether it is granted depends on the verified caller's roles
 * ({@link SubscriptionApi}), never on this request.
 */
public record SubscriptionRequest(URI callbackUrl, Set<EventType> eventTypes, String registeredPractice,
        String sourceOrganisation, boolean gpNotifications, boolean allowRestricted, StartPoint startFrom,
        PayloadFormat payload, String callbackAuthorization, FhirChannel fhir) {

    /** A request of the subscriptions API (not a FHIR Subscription). */
    public SubscriptionRequest(URI callbackUrl, Set<EventType> eventTypes, String registeredPractice,
            String sourceOrganisation, boolean gpNotifications, boolean allowRestricted, StartPoint startFrom,
            PayloadFormat payload, String callbackAuthorization) {
        this(callbackUrl, eventTypes, registeredPractice, sourceOrganisation, gpNotifications, allowRestricted,
                startFrom, payload, callbackAuthorization, null);
    }

    /** This request, for a FHIR Subscription with {@code channel}. */
    public SubscriptionRequest withFhir(FhirChannel channel) {
        return new SubscriptionRequest(callbackUrl, eventTypes, registeredPractice, sourceOrganisation, gpNotifications,
                allowRestricted, startFrom, payload, callbackAuthorization, channel);
    }

    /** The longest {@code callbackAuthorization} accepted. */
    public static final int MAX_AUTHORIZATION = 4096;
    /** The longest {@code callbackUrl} accepted. */
    public static final int MAX_URL = 2048;

    private static final Set<String> FIELDS = Set.of("callbackUrl", "eventTypes", "filters", "gpNotifications",
            "allowRestricted", "startFrom", "payload", "callbackAuthorization");

    /** The subscription this request makes, created by {@code owner} (null only for records from before owners). */
    public Subscription toSubscription(String id, String secret, Instant createdAt, SubscriptionOwner owner) {
        StartPoint start = startFrom == null ? StartPoint.at(createdAt) : startFrom;
        return new Subscription(id, callbackUrl, eventTypes, registeredPractice, sourceOrganisation, gpNotifications,
                allowRestricted, start, secret, createdAt, payload, callbackAuthorization, owner, fhir);
    }

    /** Reads and validates a request; throws {@link IllegalArgumentException} naming what is wrong. */
    public static SubscriptionRequest fromJson(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("a subscription must be a JSON object");
        }
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new IllegalArgumentException("unknown field '" + name + "'; known: callbackUrl, eventTypes, "
                        + "filters, gpNotifications, allowRestricted, startFrom, payload, callbackAuthorization");
            }
        }
        URI callback = callbackUrl(node.get("callbackUrl"));
        Set<EventType> types = EnumSet.noneOf(EventType.class);
        JsonNode typesNode = node.get("eventTypes");
        if (typesNode != null && !typesNode.isNull()) {
            if (!typesNode.isArray()) {
                throw new IllegalArgumentException("eventTypes must be an array of event types such as \"admission\"");
            }
            for (JsonNode t : typesNode) {
                types.add(eventType(t.asText()));
            }
        }
        String practice = null;
        String organisation = null;
        JsonNode filters = node.get("filters");
        if (filters != null && !filters.isNull()) {
            if (!filters.isObject()) {
                throw new IllegalArgumentException("filters must be an object");
            }
            Iterator<String> filterNames = filters.fieldNames();
            while (filterNames.hasNext()) {
                String name = filterNames.next();
                if (!name.equals("registeredPractice") && !name.equals("sourceOrganisation")) {
                    throw new IllegalArgumentException("unknown filter '" + name
                            + "'; known: registeredPractice, sourceOrganisation");
                }
            }
            practice = odsCode(filters.get("registeredPractice"), "filters.registeredPractice");
            organisation = odsCode(filters.get("sourceOrganisation"), "filters.sourceOrganisation");
        }
        StartPoint start = null;
        JsonNode startNode = node.get("startFrom");
        if (startNode != null && !startNode.isNull()) {
            start = StartPoint.parse(startNode.asText());
        }
        PayloadFormat payload = PayloadFormat.CARETRAIL_JSON;
        JsonNode payloadNode = node.get("payload");
        if (payloadNode != null && !payloadNode.isNull()) {
            payload = PayloadFormat.parse(payloadNode.asText());
        }
        return new SubscriptionRequest(callback, types, practice, organisation, bool(node, "gpNotifications"),
                bool(node, "allowRestricted"), start, payload, authorization(node.get("callbackAuthorization")));
    }

    /** An {@code Authorization} header value: printable, one line, at most {@value #MAX_AUTHORIZATION} characters. */
    private static String authorization(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual() || node.asText().isBlank()) {
            throw new IllegalArgumentException("callbackAuthorization must be a non-empty string, e.g. \"Bearer ...\"");
        }
        String value = node.asText();
        if (value.length() > MAX_AUTHORIZATION) {
            throw new IllegalArgumentException("callbackAuthorization is longer than " + MAX_AUTHORIZATION
                    + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c > 0x7E) {
                throw new IllegalArgumentException("callbackAuthorization must be printable ASCII on one line");
            }
        }
        return value;
    }

    /** Accepts the JSON name ({@code "gp-registration"}) or the enum name ({@code "GP_REGISTRATION"}). */
    static EventType eventType(String text) {
        for (EventType type : EventType.values()) {
            if (type.name().equalsIgnoreCase(text.replace('-', '_'))) {
                return type;
            }
        }
        return CareEventType.byJsonName(text.toLowerCase(Locale.ROOT))
                .flatMap(CareEventType::timelineType)
                .orElseThrow(() -> new IllegalArgumentException("unknown event type '" + text + "'; one of: "
                        + String.join(", ", java.util.Arrays.stream(EventType.values())
                                .map(t -> CareEventType.of(t).jsonName()).toList())));
    }

    private static URI callbackUrl(JsonNode node) {
        if (node == null || !node.isTextual() || node.asText().isBlank()) {
            throw new IllegalArgumentException("callbackUrl is required (an absolute http or https URL)");
        }
        if (node.asText().length() > MAX_URL) {
            throw new IllegalArgumentException("callbackUrl is longer than " + MAX_URL + " characters");
        }
        try {
            URI uri = new URI(node.asText());
            if (!uri.isAbsolute() || uri.getHost() == null
                    || !("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))) {
                throw new IllegalArgumentException("callbackUrl '" + node.asText()
                        + "' must be an absolute http or https URL");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("callbackUrl '" + node.asText() + "' is not a URL: " + e.getReason());
        }
    }

    private static String odsCode(JsonNode node, String field) {
        if (node == null || node.isNull()) {
            return null;
        }
        String problem = OdsCode.problem(node.asText());
        if (problem != null) {
            throw new IllegalArgumentException(field + ": " + problem);
        }
        return node.asText();
    }

    private static boolean bool(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw new IllegalArgumentException(field + " must be true or false");
        }
        return value.asBoolean();
    }
}
