package org.caretrail.consumers.subscriptions;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.events.model.TimelineChange;

/**
 * The JSON body POSTed to a subscriber:
 * <pre>{@code
 * {"deliveryId": "<subscriptionId>:<changeId>", "subscriptionId": "...", "nhsNumber": "9990000018",
 *  "change": { ...the TimelineChange in CareTrail's JSON form... },
 *  "gpNotification": {"practiceOdsCode": "A81001", "reason": "ADMITTED", ...}   // admissions, discharges, deaths
 * }
 * }</pre>
 */
public final class WebhookPayload {

    private WebhookPayload() {
    }

    /** Stable across retries and restarts: the receiver drops repeats by it. */
    public static String deliveryId(Subscription subscription, TimelineChange change) {
        return subscription.id() + ":" + change.getChangeId();
    }

    public static ObjectNode body(Subscription subscription, TimelineChange change) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("deliveryId", deliveryId(subscription, change));
        node.put("subscriptionId", subscription.id());
        node.put("nhsNumber", change.getNhsNumber());
        node.set("change", CareEventJson.toJson(change));
        Optional<GpNotification> notification = GpNotification.of(change);
        notification.ifPresent(n -> node.set("gpNotification", n.toJson()));
        return node;
    }
}
