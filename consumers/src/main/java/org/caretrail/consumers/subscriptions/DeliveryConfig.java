package org.caretrail.consumers.subscriptions;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of webhook delivery, each with its default.
 *
 * @param kafka client settings for every consumer and producer (at least {@code bootstrap.servers})
 * @param consumerGroupPrefix each subscription's position is the consumer group {@code prefix + id};
 *     default {@value #DEFAULT_GROUP_PREFIX}
 * @param backoff retry delays; default 1 s doubling to 5 min
 * @param parkAfter how long one change may keep failing before it is parked in the subscription's
 *     dead-letter record and delivery moves on; default 24 h
 * @param requestTimeout HTTP timeout of one POST; default 10 s
 */
public record DeliveryConfig(Map<String, Object> kafka, String consumerGroupPrefix, Backoff backoff,
        Duration parkAfter, Duration requestTimeout) {

    public static final String DEFAULT_GROUP_PREFIX = "caretrail-delivery-";

    public DeliveryConfig {
        Objects.requireNonNull(kafka.get("bootstrap.servers"), "kafka settings need bootstrap.servers");
        kafka = Map.copyOf(kafka);
        if (parkAfter.isNegative()) {
            throw new IllegalArgumentException("parkAfter must not be negative: " + parkAfter);
        }
    }

    public static DeliveryConfig defaults(String bootstrapServers) {
        return new DeliveryConfig(Map.of("bootstrap.servers", bootstrapServers), DEFAULT_GROUP_PREFIX,
                new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(5)), Duration.ofHours(24), Duration.ofSeconds(10));
    }

    public DeliveryConfig withBackoff(Backoff value) {
        return new DeliveryConfig(kafka, consumerGroupPrefix, value, parkAfter, requestTimeout);
    }

    public DeliveryConfig withParkAfter(Duration value) {
        return new DeliveryConfig(kafka, consumerGroupPrefix, backoff, value, requestTimeout);
    }

    public DeliveryConfig withRequestTimeout(Duration value) {
        return new DeliveryConfig(kafka, consumerGroupPrefix, backoff, parkAfter, value);
    }

    public DeliveryConfig withConsumerGroupPrefix(String value) {
        return new DeliveryConfig(kafka, value, backoff, parkAfter, requestTimeout);
    }
}
