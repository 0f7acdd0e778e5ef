package org.caretrail.consumers.subscriptions;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import org.caretrail.events.model.TimelineChange;

/**
 * The audit of one delivery on {@code care.deliveries} (key: subscription id; value: this JSON):
 * who received what about which patient, when — or, with outcome PARKED, what could not be
 * delivered (the subscription's dead-letter record). For a FHIR Subscription it also says which event
 * number the change was given and where the change is on {@code care.timeline-changes}
 * ({@code changePartition}, {@code changeOffset}): what {@code $events} replays from.
 */
public record DeliveryRecord(String deliveryId, String subscriptionId, String callbackUrl, Outcome outcome,
        String changeId, String nhsNumber, String entryId, String eventType, String changeKind,
        String gpNotification, int attempts, Integer httpStatus, String error, Instant at, Long eventNumber,
        Integer changePartition, Long changeOffset) {

    public enum Outcome { DELIVERED, PARKED }

    static DeliveryRecord of(Subscription subscription, String deliveryId, TimelineChange change, Outcome outcome,
            String gpNotification, int attempts, Integer httpStatus, String error, Instant at) {
        return new DeliveryRecord(deliveryId, subscription.id(), subscription.callbackUrlShown(), outcome,
                change.getChangeId(), change.getNhsNumber(), change.getEntry().getEntryId(),
                change.getEntry().getType().name(), change.getKind().name(), gpNotification, attempts, httpStatus,
                error, at, null, null, null);
    }

    /** This record with a FHIR Subscription's event number and the change's position (none for number 0). */
    DeliveryRecord numbered(long number, int partition, long offset) {
        if (number <= 0) {
            return this;
        }
        return new DeliveryRecord(deliveryId, subscriptionId, callbackUrl, outcome, changeId, nhsNumber, entryId,
                eventType, changeKind, gpNotification, attempts, httpStatus, error, at, number, partition, offset);
    }

    public ObjectNode toJson() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("deliveryId", deliveryId);
        node.put("subscriptionId", subscriptionId);
        node.put("callbackUrl", callbackUrl);
        node.put("outcome", outcome.name());
        node.put("changeId", changeId);
        node.put("nhsNumber", nhsNumber);
        node.put("entryId", entryId);
        node.put("eventType", eventType);
        node.put("changeKind", changeKind);
        node.put("gpNotification", gpNotification);
        node.put("attempts", attempts);
        node.put("httpStatus", httpStatus);
        node.put("error", error);
        node.put("at", at.toString());
        if (eventNumber != null) {
            node.put("eventNumber", eventNumber);
            node.put("changePartition", changePartition);
            node.put("changeOffset", changeOffset);
        }
        return node;
    }
}
