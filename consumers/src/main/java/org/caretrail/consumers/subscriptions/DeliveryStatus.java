package org.caretrail.consumers.subscriptions;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;

/**
 * A snapshot of one subscription's delivery: shown by {@code GET /api/v1/subscriptions/{id}}.
 *
 * @param state STARTING, ACTIVE (delivering or idle), RESTARTING (after a Kafka error), RETRYING (a change is failing and being
 *     retried with backoff), STOPPED
 * @param lag changes on the topic not yet delivered, skipped or parked (-1 while unknown)
 * @param parked the most recent parked deliveries (from the subscription's {@link DeadLetterRecord})
 * @param eventsSinceStart a FHIR Subscription's events numbered so far (-1 for other subscriptions)
 * @param channelStatus a FHIR Subscription's status as the IG codes it: requested, active, error (null for others)
 */
public record DeliveryStatus(String subscriptionId, String state, long delivered, long skipped, long parkedCount,
        long lag, String lastError, Instant lastErrorAt, Instant lastDeliveredAt, List<ParkedDelivery> parked,
        long eventsSinceStart, String channelStatus) {

    /** One parked delivery; {@code changedAt} is the change's time on the topic (null in records from before it was kept). */
    public record ParkedDelivery(String deliveryId, String changeId, String nhsNumber, int attempts, String error,
            Instant parkedAt, Instant changedAt) {
    }

    public ObjectNode toJson() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("state", state);
        node.put("delivered", delivered);
        node.put("skipped", skipped);
        node.put("parkedCount", parkedCount);
        node.put("lag", lag);
        node.put("lastError", lastError);
        node.put("lastErrorAt", lastErrorAt == null ? null : lastErrorAt.toString());
        node.put("lastDeliveredAt", lastDeliveredAt == null ? null : lastDeliveredAt.toString());
        ArrayNode list = node.putArray("parked");
        for (ParkedDelivery p : parked) {
            list.add(toJson(p));
        }
        if (channelStatus != null) {
            node.put("eventsSinceSubscriptionStart", eventsSinceStart);
            node.put("channelStatus", channelStatus);
        }
        return node;
    }

    static ObjectNode toJson(ParkedDelivery p) {
        ObjectNode item = JsonNodeFactory.instance.objectNode();
        item.put("deliveryId", p.deliveryId());
        item.put("changeId", p.changeId());
        item.put("nhsNumber", p.nhsNumber());
        item.put("attempts", p.attempts());
        item.put("error", p.error());
        item.put("parkedAt", p.parkedAt().toString());
        item.put("changedAt", p.changedAt() == null ? null : p.changedAt().toString());
        return item;
    }
}
