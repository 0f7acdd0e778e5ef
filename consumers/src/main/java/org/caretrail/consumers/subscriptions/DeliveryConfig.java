package org.caretrail.consumers.subscriptions;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.caretrail.consumers.webhook.CallbackPolicy;
import org.caretrail.events.settings.Setting;
import org.caretrail.events.settings.Settings;

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
 *
 * <p>What an operator sets is also a {@link Setting} ({@link #DEFINITIONS}, named {@code delivery.*}) read from the
 * config file, the environment or the command line; the variables these settings had before keep working.
 * {@link #from} builds the record.
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

    /** Null when {@code text} is empty or a key ring {@link SecretKeyRing#parse} reads, else why not (no key in it). */
    private static String keyRingProblem(String text) {
        if (text.isBlank()) {
            return null;
        }
        try {
            SecretKeyRing.parse(text);
            return null;
        } catch (IllegalArgumentException e) {
            return "is not a key ring: " + e.getMessage();
        }
    }

    private static String positive(Duration d) {
        return d.isNegative() || d.isZero() ? "must be positive" : null;
    }

    public static final Setting<String> CALLBACK_ALLOWED_HOSTS = Setting.text("delivery.callback-allowed-hosts", "",
            "Hosts, addresses and CIDR ranges webhooks may go to besides public addresses, separated by commas "
                    + "(empty: public addresses only).")
            .alsoFromEnv(ALLOWED_HOSTS_ENV)
            .checkedBy(v -> {
                try {
                    CallbackPolicy.parse(v);
                    return null;
                } catch (IllegalArgumentException e) {
                    return e.getMessage();
                }
            });
    public static final Setting<Integer> SUBSCRIPTIONS_PER_CALLER = Setting.integer("delivery.subscriptions-per-caller",
            DEFAULT_MAX_PER_CALLER, "How many subscriptions one verified caller may have.")
            .alsoFromEnv(MAX_PER_CALLER_ENV).between(1, 100_000);
    /**
     * The key ring as text. Checked when the settings are resolved (not when delivery starts), so {@code caretrail
     * up} and {@code caretrail config} stop at once on a ring that cannot be read; the message names the line and
     * the key id ({@link SecretKeyRing#parse}), never the key.
     */
    public static final Setting<String> SUBSCRIPTION_KEYS = Setting.text("delivery.subscription-keys", "",
            "The key ring that seals subscription secrets at rest, as text (from a secret manager): lines "
                    + "'<id> <Base64 of 32 bytes>', first one current, ';' may separate them; empty: "
                    + "delivery.subscription-key-file.").alsoFromEnv(KEYS_ENV).secret()
            .checkedBy(DeliveryConfig::keyRingProblem);
    public static final Setting<String> SUBSCRIPTION_KEY_FILE = Setting.text("delivery.subscription-key-file", "",
            "The key ring file (empty: <data dir>/keys/subscription-secrets.keys, made on first start).")
            .alsoFromEnv(KEY_FILE_ENV);
    public static final Setting<Duration> PARK_AFTER = Setting.duration("delivery.park-after", Duration.ofHours(24),
            "How long one change may keep failing before it is parked in the subscription's dead-letter record and "
                    + "delivery moves on.").checkedBy(d -> d.isNegative() ? "must not be negative" : null);
    public static final Setting<Duration> REQUEST_TIMEOUT = Setting.duration("delivery.request-timeout",
            Duration.ofSeconds(10), "Timeout of connecting to a callback, and of one POST.")
            .checkedBy(DeliveryConfig::positive);
    public static final Setting<Duration> BACKOFF_INITIAL = Setting.duration("delivery.backoff-initial",
            Duration.ofSeconds(1), "The first retry delay of a failed delivery; it doubles up to delivery.backoff-max.")
            .checkedBy(DeliveryConfig::positive);
    public static final Setting<Duration> BACKOFF_MAX = Setting.duration("delivery.backoff-max", Duration.ofMinutes(5),
            "The longest retry delay (at least delivery.backoff-initial).").checkedBy(DeliveryConfig::positive);
    public static final Setting<String> CONSUMER_GROUP_PREFIX = Setting.text("delivery.consumer-group-prefix",
            DEFAULT_GROUP_PREFIX, "Each subscription's position is the Kafka consumer group prefix + its id.")
            .checkedBy(v -> v.matches("[A-Za-z0-9._-]+") ? null : "only letters, digits, '.', '_', '-'");

    /** Every delivery setting, in the order {@code caretrail config} and the README list them. */
    public static final List<Setting<?>> DEFINITIONS = List.of(CALLBACK_ALLOWED_HOSTS, SUBSCRIPTIONS_PER_CALLER,
            SUBSCRIPTION_KEYS, SUBSCRIPTION_KEY_FILE, PARK_AFTER, REQUEST_TIMEOUT, BACKOFF_INITIAL, BACKOFF_MAX,
            CONSUMER_GROUP_PREFIX);

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
     * The defaults, with the operator's settings from the environment only (the variables of {@link #DEFINITIONS},
     * e.g. {@value #ALLOWED_HOSTS_ENV}); see {@link #from}.
     */
    public static DeliveryConfig fromEnvironment(String bootstrapServers, Path dataDir, Map<String, String> env)
            throws IOException {
        return from(Settings.resolve(DEFINITIONS, Map.of(), env, new Properties(), null), bootstrapServers, dataDir);
    }

    /**
     * Delivery as the operator set it ({@code settings} resolved from the file, the environment and the command
     * line), on {@code bootstrapServers}, with the key ring from {@link #SUBSCRIPTION_KEYS} or else the key file
     * ({@link #SUBSCRIPTION_KEY_FILE}, default {@code dataDir/keys/subscription-secrets.keys}, created on first
     * start).
     */
    public static DeliveryConfig from(Settings settings, String bootstrapServers, Path dataDir) throws IOException {
        DeliveryConfig config = defaults(bootstrapServers)
                .withCallbackPolicy(CallbackPolicy.parse(settings.get(CALLBACK_ALLOWED_HOSTS)))
                .withMaxPerCaller(settings.get(SUBSCRIPTIONS_PER_CALLER))
                .withParkAfter(settings.get(PARK_AFTER))
                .withRequestTimeout(settings.get(REQUEST_TIMEOUT))
                .withConsumerGroupPrefix(settings.get(CONSUMER_GROUP_PREFIX));
        Duration initial = settings.get(BACKOFF_INITIAL);
        Duration max = settings.get(BACKOFF_MAX);
        if (max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("setting delivery.backoff-max = '" + max + "' must be at least "
                    + "delivery.backoff-initial = '" + initial + "'");
        }
        config = config.withBackoff(new Backoff(initial, max));
        String keys = settings.get(SUBSCRIPTION_KEYS);
        if (!keys.isBlank()) {
            return config.withSecretKeys(SecretKeyRing.parse(keys));
        }
        String file = settings.get(SUBSCRIPTION_KEY_FILE);
        return config.withSecretKeys(SecretKeyRing.fromFile(!file.isBlank() ? Path.of(file)
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
