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
 *  "allowRestricted": false,                           // optional
 *  "startFrom": "earliest" | "2026-11-22T09:00:00Z",   // optional; default: now
 *  "payload": "caretrail-json" | "fhir-r4"}            // optional; default: caretrail-json
 * }</pre>
 */
public record SubscriptionRequest(URI callbackUrl, Set<EventType> eventTypes, String registeredPractice,
        String sourceOrganisation, boolean gpNotifications, boolean allowRestricted, StartPoint startFrom,
        PayloadFormat payload) {

    private static final Set<String> FIELDS = Set.of("id", "secret", "createdAt", "callbackUrl", "eventTypes",
            "filters", "gpNotifications", "allowRestricted", "startFrom", "payload");

    public Subscription toSubscription(String id, String secret, Instant createdAt) {
        StartPoint start = startFrom == null ? StartPoint.at(createdAt) : startFrom;
        return new Subscription(id, callbackUrl, eventTypes, registeredPractice, sourceOrganisation, gpNotifications,
                allowRestricted, start, secret, createdAt, payload);
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
                        + "filters, gpNotifications, allowRestricted, startFrom, payload");
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
                bool(node, "allowRestricted"), start, payload);
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
