package org.caretrail.consumers.subscriptions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Arrays;

/**
 * What makes a subscription a FHIR one (R4 Subscriptions Backport IG): its topic, how much of each
 * resource a notification carries, the heartbeat, the timeout of one POST, and its filters beyond the
 * ones every subscription has. Stored inside the subscription's record ({@code "fhir": {...}}).
 *
 * @param heartbeat send a heartbeat notification after this long without one (null: none)
 * @param timeout the longest one POST may take (null: the platform's request timeout); never longer than it
 * @param patient only this patient's changes (NHS number), or null
 * @param reason the subscriber's own words for why it subscribes (FHIR's required {@code Subscription.reason})
 */
public record FhirChannel(FhirTopic topic, Content content, Duration heartbeat, Duration timeout, String patient,
        String reason) {

    /** Payload content, as the IG's {@code backport-payload-content} codes it. */
    public enum Content {
        /** Only the SubscriptionStatus: event numbers and times. */
        EMPTY("empty"),
        /** The SubscriptionStatus and the focus resource's URL. */
        ID_ONLY("id-only"),
        /** The focus resource itself, as the FHIR read API serves it. */
        FULL_RESOURCE("full-resource");

        private final String code;

        Content(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }

        public static Content parse(String code) {
            return Arrays.stream(values()).filter(c -> c.code.equals(code)).findFirst().orElseThrow(
                    () -> new IllegalArgumentException("payload content '" + code
                            + "' must be empty, id-only or full-resource"));
        }
    }

    public ObjectNode toJson() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("topic", topic.url());
        node.put("content", content.code());
        if (heartbeat != null) {
            node.put("heartbeatSeconds", heartbeat.toSeconds());
        }
        if (timeout != null) {
            node.put("timeoutSeconds", timeout.toSeconds());
        }
        node.put("patient", patient);
        node.put("reason", reason);
        return node;
    }

    public static FhirChannel fromJson(JsonNode node) {
        FhirTopic topic = FhirTopic.byUrl(node.path("topic").asText())
                .orElseThrow(() -> new IllegalArgumentException("unknown topic " + node.path("topic").asText()));
        return new FhirChannel(topic, Content.parse(node.path("content").asText("id-only")),
                node.hasNonNull("heartbeatSeconds") ? Duration.ofSeconds(node.get("heartbeatSeconds").asLong()) : null,
                node.hasNonNull("timeoutSeconds") ? Duration.ofSeconds(node.get("timeoutSeconds").asLong()) : null,
                node.hasNonNull("patient") ? node.get("patient").asText() : null,
                node.hasNonNull("reason") ? node.get("reason").asText() : null);
    }
}
