package org.caretrail.consumers.subscriptions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.caretrail.consumers.subscriptions.DeliveryStatus.ParkedDelivery;

/**
 * A subscription's dead-letter record: how many changes were parked and the most recent ones. Kept
 * in {@code care.subscriptions} under the key {@code <id>#dead-letter} (compacted, so it survives
 * restarts); each parked delivery is also on {@code care.deliveries} with outcome PARKED.
 */
public record DeadLetterRecord(long parkedCount, List<ParkedDelivery> recent) {

    public static final DeadLetterRecord EMPTY = new DeadLetterRecord(0, List.of());

    public DeadLetterRecord {
        recent = List.copyOf(recent);
    }

    public ObjectNode toJson() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("parkedCount", parkedCount);
        ArrayNode list = node.putArray("parked");
        for (ParkedDelivery p : recent) {
            list.add(DeliveryStatus.toJson(p));
        }
        return node;
    }

    public static DeadLetterRecord fromJson(JsonNode node) {
        List<ParkedDelivery> recent = new ArrayList<>();
        for (JsonNode p : node.path("parked")) {
            recent.add(new ParkedDelivery(p.path("deliveryId").asText(), p.path("changeId").asText(),
                    p.path("nhsNumber").asText(), p.path("attempts").asInt(), p.path("error").asText(null),
                    Instant.parse(p.path("parkedAt").asText()),
                    p.path("changedAt").isTextual() ? Instant.parse(p.path("changedAt").asText()) : null));
        }
        return new DeadLetterRecord(node.path("parkedCount").asLong(), recent);
    }
}
