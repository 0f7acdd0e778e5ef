package org.caretrail.consumers.subscriptions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.caretrail.events.access.Role;
import org.caretrail.events.model.EventType;

/**
 * A downstream service's subscription to timeline changes, as stored (JSON) in the compacted topic
 * {@code care.subscriptions}, keyed by {@link #id()}.
 *
 * @param callbackUrl where changes are POSTed (may carry a token in its query: kept sealed, shown redacted)
 * @param eventTypes the timeline entry types wanted; empty means every type
 * @param registeredPractice only patients registered at this GP practice (ODS code), or null
 * @param sourceOrganisation only entries published by this organisation (ODS code), or null
 * @param gpNotifications only GP notifications: admissions, discharges and deaths as they are first added
 * @param allowRestricted RESTRICTED entries were asked for and granted: the owner held RESTRICTED_ACCESS
 * @param startFrom where delivery starts the first time: {@link StartPoint}
 * @param secret the HMAC-SHA256 key the deliveries are signed with; shown once, on creation
 * @param payload CareTrail JSON (default) or a FHIR R4 notification Bundle
 * @param callbackAuthorization the {@code Authorization} header value sent to the receiver, or null
 * @param owner who created it, with the roles they held; null for subscriptions stored before owners were kept
 * @param fhir for a FHIR Subscription (created through {@code /fhir/r4/Subscription}): its topic, content,
 *     heartbeat and filters; null for one of the subscriptions API
 */
public record Subscription(String id, URI callbackUrl, Set<EventType> eventTypes, String registeredPractice,
        String sourceOrganisation, boolean gpNotifications, boolean allowRestricted, StartPoint startFrom,
        String secret, Instant createdAt, PayloadFormat payload, String callbackAuthorization,
        SubscriptionOwner owner, FhirChannel fhir) {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    static final String REDACTED = "[redacted]";
    /** Fields of the stored form that are sealed with the {@link SecretKeyRing}. */
    private static final List<String> SEALED = List.of("secret", "callbackUrl", "callbackAuthorization");

    public Subscription {
        eventTypes = eventTypes == null || eventTypes.isEmpty() ? Collections.emptySet()
                : Collections.unmodifiableSet(EnumSet.copyOf(eventTypes));
        payload = payload == null ? PayloadFormat.CARETRAIL_JSON : payload;
    }

    /** A subscription without an owner or callback credentials (tests, and records from before owners were kept). */
    public Subscription(String id, URI callbackUrl, Set<EventType> eventTypes, String registeredPractice,
            String sourceOrganisation, boolean gpNotifications, boolean allowRestricted, StartPoint startFrom,
            String secret, Instant createdAt, PayloadFormat payload) {
        this(id, callbackUrl, eventTypes, registeredPractice, sourceOrganisation, gpNotifications, allowRestricted,
                startFrom, secret, createdAt, payload, null, null, null);
    }

    /** A subscription of the subscriptions API (not a FHIR one). */
    public Subscription(String id, URI callbackUrl, Set<EventType> eventTypes, String registeredPractice,
            String sourceOrganisation, boolean gpNotifications, boolean allowRestricted, StartPoint startFrom,
            String secret, Instant createdAt, PayloadFormat payload, String callbackAuthorization,
            SubscriptionOwner owner) {
        this(id, callbackUrl, eventTypes, registeredPractice, sourceOrganisation, gpNotifications, allowRestricted,
                startFrom, secret, createdAt, payload, callbackAuthorization, owner, null);
    }

    /** Whether this is a FHIR Subscription (numbered events, handshake, heartbeat, $status, $events). */
    public boolean isFhir() {
        return fhir != null;
    }

    /**
     * Whether RESTRICTED entries may be delivered: they were asked for, and whoever created the
     * subscription held {@link Role#RESTRICTED_ACCESS}. A subscription without a recorded owner
     * (stored before owners were kept, or written to the topic by hand) never receives them.
     */
    public boolean mayReceiveRestricted() {
        return allowRestricted && owner != null && owner.has(Role.RESTRICTED_ACCESS);
    }

    /** The Kafka consumer group that tracks this subscription's delivery position. */
    public String consumerGroup(String prefix) {
        return prefix + id;
    }

    /** The callback URL as shown to people and in the delivery audit: its query, which may hold a token, redacted. */
    public String callbackUrlShown() {
        return shown(callbackUrl);
    }

    static String shown(URI url) {
        StringBuilder text = new StringBuilder();
        text.append(url.getScheme()).append("://").append(url.getHost());
        if (url.getPort() > 0) {
            text.append(':').append(url.getPort());
        }
        text.append(url.getRawPath() == null ? "" : url.getRawPath());
        if (url.getRawQuery() != null) {
            text.append('?').append(REDACTED);
        }
        return text.toString();
    }

    /** The stored form: secret, callback URL and callback credentials sealed with {@code keys}. */
    public ObjectNode toStoredJson(SecretKeyRing keys) {
        ObjectNode node = toPublicJson();
        node.put("callbackUrlSealed", keys.seal(callbackUrl.toString(), context("callbackUrl")));
        node.put("secretSealed", keys.seal(secret, context("secret")));
        if (callbackAuthorization != null) {
            node.put("callbackAuthorizationSealed", keys.seal(callbackAuthorization, context("callbackAuthorization")));
        }
        node.remove("callbackAuthorization");
        return node;
    }

    /** The form shown by the API: no secret, the callback URL's query and credentials redacted, the owner. */
    public ObjectNode toPublicJson() {
        ObjectNode node = NODES.objectNode();
        node.put("id", id);
        node.put("callbackUrl", callbackUrlShown());
        if (callbackAuthorization != null) {
            node.put("callbackAuthorization", REDACTED);
        }
        ArrayNode types = node.putArray("eventTypes");
        eventTypes.forEach(t -> types.add(t.name()));
        ObjectNode filters = node.putObject("filters");
        if (registeredPractice != null) {
            filters.put("registeredPractice", registeredPractice);
        }
        if (sourceOrganisation != null) {
            filters.put("sourceOrganisation", sourceOrganisation);
        }
        node.put("gpNotifications", gpNotifications);
        node.put("allowRestricted", mayReceiveRestricted());
        node.put("startFrom", startFrom.toString());
        node.put("payload", payload.jsonName());
        node.put("createdAt", createdAt.toString());
        if (owner != null) {
            node.set("owner", owner.toJson());
        }
        if (fhir != null) {
            node.set("fhir", fhir.toJson());
        }
        return node;
    }

    /**
     * Reads the stored form written by {@link #toStoredJson}, opening its sealed fields with
     * {@code keys}. Records from before secrets were sealed (clear {@code secret} and
     * {@code callbackUrl}) are read too; {@link #needsReseal} says when to write them again.
     */
    public static Subscription fromStoredJson(JsonNode node, SecretKeyRing keys) {
        String id = text(node, "id");
        String createdAt = text(node, "createdAt");
        if (id == null || createdAt == null) {
            throw new IllegalArgumentException("stored subscription lacks id or createdAt");
        }
        String secret = opened(node, "secret", id, keys);
        String url = opened(node, "callbackUrl", id, keys);
        if (secret == null || url == null) {
            throw new IllegalArgumentException("stored subscription " + id + " lacks its secret or callback URL");
        }
        ObjectNode request = node.deepCopy();
        for (String stored : List.of("id", "createdAt", "owner", "secret", "secretSealed", "callbackUrlSealed",
                "callbackAuthorizationSealed", "callbackAuthorization", "fhir")) {
            request.remove(stored);
        }
        request.put("callbackUrl", url);
        String authorization = opened(node, "callbackAuthorization", id, keys);
        if (authorization != null) {
            request.put("callbackAuthorization", authorization);
        }
        SubscriptionOwner owner = node.hasNonNull("owner") ? SubscriptionOwner.fromJson(node.get("owner")) : null;
        SubscriptionRequest read = SubscriptionRequest.fromJson(request);
        if (node.hasNonNull("fhir")) {
            read = read.withFhir(FhirChannel.fromJson(node.get("fhir")));
        }
        return read.toSubscription(id, secret, Instant.parse(createdAt), owner);
    }

    /** Whether a stored record holds a secret in clear, or one sealed with a key that is no longer current. */
    public static boolean needsReseal(JsonNode node, SecretKeyRing keys) {
        if (node.hasNonNull("secret") || !node.hasNonNull("callbackUrlSealed")) {
            return true;
        }
        for (String field : SEALED) {
            String sealed = text(node, field + "Sealed");
            if (sealed != null && keys.needsReseal(sealed)) {
                return true;
            }
        }
        return false;
    }

    private static String opened(JsonNode node, String field, String id, SecretKeyRing keys) {
        String sealed = text(node, field + "Sealed");
        if (sealed != null) {
            return keys.open(sealed, "subscription|" + id + "|" + field);
        }
        // the clear form of records stored before sealing (their callbackUrl was the full URL then)
        return field.equals("callbackUrl") || field.equals("secret") ? text(node, field) : null;
    }

    private String context(String field) {
        return "subscription|" + id + "|" + field;
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }
}
