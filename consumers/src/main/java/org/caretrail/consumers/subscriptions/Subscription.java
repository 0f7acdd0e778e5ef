package org.caretrail.consumers.subscriptions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import org.caretrail.events.model.EventType;

/**
 * A downstream service's subscription to timeline changes, as stored (JSON) in the compacted topic
 * {@code care.subscriptions}, keyed by {@link #id()}.
 *
 * @param eventTypes the timeline entry types wanted; empty means every type
 * @param registeredPractice only patients registered at this GP practice (ODS code), or null
 * @param sourceOrganisation only entries published by this organisation (ODS code), or null
 * @param gpNotifications only GP notifications: admissions, discharges and deaths as they are first added
 * @param allowRestricted whether entries marked RESTRICTED may be delivered to this subscriber
 * @param startFrom where delivery starts the first time: {@link StartPoint}
 * @param secret the HMAC-SHA256 key the deliveries are signed with; shown once, on creation
 * @param payload CareTrail JSON (default) or a FHIR R4 notification Bundle
 */
public record Subscription(String id, URI callbackUrl, Set<EventType> eventTypes, String registeredPractice,
        String sourceOrganisation, boolean gpNotifications, boolean allowRestricted, StartPoint startFrom,
        String secret, Instant createdAt, PayloadFormat payload) {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    public Subscription {
        eventTypes = eventTypes == null || eventTypes.isEmpty() ? Collections.emptySet()
                : Collections.unmodifiableSet(EnumSet.copyOf(eventTypes));
        payload = payload == null ? PayloadFormat.CARETRAIL_JSON : payload;
    }

    /** The Kafka consumer group that tracks this subscription's delivery position. */
    public String consumerGroup(String prefix) {
        return prefix + id;
    }

    /** The stored form, secret included. */
    public ObjectNode toStoredJson() {
        ObjectNode node = toPublicJson();
        node.put("secret", secret);
        return node;
    }

    /** The form shown by the API: everything but the secret. */
    public ObjectNode toPublicJson() {
        ObjectNode node = NODES.objectNode();
        node.put("id", id);
        node.put("callbackUrl", callbackUrl.toString());
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
        node.put("allowRestricted", allowRestricted);
        node.put("startFrom", startFrom.toString());
        node.put("payload", payload.jsonName());
        node.put("createdAt", createdAt.toString());
        return node;
    }

    /** Reads the stored form written by {@link #toStoredJson()}. */
    public static Subscription fromStoredJson(JsonNode node) {
        SubscriptionRequest request = SubscriptionRequest.fromJson(node);
        String id = text(node, "id");
        String secret = text(node, "secret");
        String createdAt = text(node, "createdAt");
        if (id == null || secret == null || createdAt == null) {
            throw new IllegalArgumentException("stored subscription lacks id, secret or createdAt: " + node);
        }
        return request.toSubscription(id, secret, Instant.parse(createdAt));
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }
}
