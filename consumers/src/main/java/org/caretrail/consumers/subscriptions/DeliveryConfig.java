package org.caretrail.consumers.subscriptions;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.caretrail.consumers.webhook.CallbackPolicy;

/**
 * Settings of subscriptions and webhook delivery, each with its default.
 *
 * @param kafka client settings for every consumer and producer (at least {@code bootstrap.servers})
 * @param consumerGroupPrefix each subscription's position is the consumer group {@code prefix + id};
 *     default {@value #DEFAULT_GROUP_PREFIX}
 * @param backoff retry delays; default 1 s doubling to 5 min
 * @param parkAfter how long one change may keep failing before it is parked in the subscription's
 *     dead-letter record and delivery moves on; default 24 h
 * @param requestTimeout timeout of connecting, and of one POST; default 10 s
 * @param callbackPolicy where webhooks may go: by default public addresses only; the operator's
 *     allow-list of callback hosts ({@value #ALLOWED_HOSTS_ENV})
 * @param maxPerCaller how many subscriptions one verified caller may have; default
 *     {@value #DEFAULT_MAX_PER_CALLER} ({@value #MAX_PER_CALLER_ENV})
 * @param secretKeys the keys that seal subscription secrets at rest; null: the store cannot start
 */
public record DeliveryConfig(Map<String, Object> kafka, String consumerGroupPrefix, Backoff backoff,
        Duration parkAfter, Duration requestTimeout, CallbackPolicy callbackPolicy, int maxPerCaller,
        SecretKeyRing secretKeys) {

    public static final String DEFAULT_GROUP_PREFIX = "caretrail-delivery-";
    public static final int DEFAULT_MAX_PER_CALLER = 20;
    /** Environment variable: the callback allow-list, entries separated by commas (see {@link CallbackPolicy#parse}). */
    public static final String ALLOWED_HOSTS_ENV = "CARETRAIL_CALLBACK_ALLOWED_HOSTS";
    /** Environment variable: subscriptions per caller. */
    public static final String MAX_PER_CALLER_ENV = "CARETRAIL_SUBSCRIPTIONS_PER_CALLER";
    /** Environment variable: the key ring text itself (from a secret manager or KMS), instead of the key file. */
    public static final String KEYS_ENV = "CARETRAIL_SUBSCRIPTION_KEYS";
    /** Environment variable: the key ring file; default {@code <data dir>/keys/subscription-secrets.keys}. */
    public static final String KEY_FILE_ENV = "CARETRAIL_SUBSCRIPTION_KEY_FILE";

    public DeliveryConfig {
        Objects.requireNonNull(kafka.get("bootstrap.servers"), "kafka settings need bootstrap.servers");
        kafka = Map.copyOf(kafka);
        if (parkAfter.isNegative()) {
            throw new IllegalArgumentException("parkAfter must not be negative: " + parkAfter);
        }
        Objects.requireNonNull(callbackPolicy, "callbackPolicy");
        if (maxPerCaller < 1) {
            throw new IllegalArgumentException("subscriptions per caller must be at least 1, not " + maxPerCaller);
        }
    }

    /** The defaults: public callback hosts only, 20 subscriptions per caller, and no keys yet ({@link #withSecretKeys}). */
    public static DeliveryConfig defaults(String bootstrapServers) {
        return new DeliveryConfig(Map.of("bootstrap.servers", bootstrapServers), DEFAULT_GROUP_PREFIX,
                new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(5)), Duration.ofHours(24), Duration.ofSeconds(10),
                CallbackPolicy.publicOnly(), DEFAULT_MAX_PER_CALLER, null);
    }

    /**
     * The defaults, with the operator's settings from the environment: {@value #ALLOWED_HOSTS_ENV},
     * {@value #MAX_PER_CALLER_ENV}, and the keys from {@value #KEYS_ENV} or else the key file
     * ({@value #KEY_FILE_ENV}, default {@code dataDir/keys/subscription-secrets.keys}, created on first start).
     */
    public static DeliveryConfig fromEnvironment(String bootstrapServers, Path dataDir, Map<String, String> env)
            throws IOException {
        DeliveryConfig config = defaults(bootstrapServers)
                .withCallbackPolicy(CallbackPolicy.parse(env.get(ALLOWED_HOSTS_ENV)));
        String max = env.get(MAX_PER_CALLER_ENV);
        if (max != null && !max.isBlank()) {
            try {
                config = config.withMaxPerCaller(Integer.parseInt(max.strip()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(MAX_PER_CALLER_ENV + " must be a whole number, not '" + max + "'");
            }
        }
        String keys = env.get(KEYS_ENV);
        if (keys != null && !keys.isBlank()) {
            return config.withSecretKeys(SecretKeyRing.parse(keys));
        }
        String file = env.get(KEY_FILE_ENV);
        return config.withSecretKeys(SecretKeyRing.fromFile(file != null && !file.isBlank() ? Path.of(file)
                : dataDir.resolve("keys").resolve("subscription-secrets.keys")));
    }

    public DeliveryConfig withKafka(Map<String, Object> value) {
        return new DeliveryConfig(value, consumerGroupPrefix, backoff, parkAfter, requestTimeout, callbackPolicy,
                maxPerCaller, secretKeys);
    }

    public DeliveryConfig withBackoff(Backoff value) {
        return new DeliveryConfig(kafka, consumerGroupPrefix, value, parkAfter, requestTimeout, callbackPolicy,
                maxPerCaller, secretKeys);
    }

    public DeliveryConfig withParkAfter(Duration value) {
        return new DeliveryConfig(kafka, consumerGroupPrefix, backoff, value, requestTimeout, callbackPolicy,
                maxPerCaller, secretKeys);
    }

    public DeliveryConfig withRequestTimeout(Duration value) {
        return new DeliveryConfig(kafka, consumerGroupPrefix, backoff, parkAfter, value, callbackPolicy, maxPerCaller,
                secretKeys);
    }

    public DeliveryConfig withConsumerGroupPrefix(String value) {
        return new DeliveryConfig(kafka, value, backoff, parkAfter, requestTimeout, callbackPolicy, maxPerCaller,
                secretKeys);
    }

    public DeliveryConfig withCallbackPolicy(CallbackPolicy value) {
        return new DeliveryConfig(kafka, consumerGroupPrefix, backoff, parkAfter, requestTimeout, value, maxPerCaller,
                secretKeys);
    }

    public DeliveryConfig withMaxPerCaller(int value) {
        return new DeliveryConfig(kafka, consumerGroupPrefix, backoff, parkAfter, requestTimeout, callbackPolicy, value,
                secretKeys);
    }

    public DeliveryConfig withSecretKeys(SecretKeyRing value) {
        return new DeliveryConfig(kafka, consumerGroupPrefix, backoff, parkAfter, requestTimeout, callbackPolicy,
                maxPerCaller, value);
    }
}
