package org.caretrail.events.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.Serializer;

/**
 * How every CareTrail producer that answers a sender is made durable: the one place that knows it
 * (publisher library, adapters, access audit, delivery audit, subscriptions all take their settings
 * from here).
 *
 * <p>A care event acknowledged to a sender (an HL7 AA, a FHIR 201, an accepted file row) must survive
 * the loss of a broker, and must reach the sender's answer within the sender's own timeout when Kafka
 * is away. So:
 * <table>
 * <caption>Durable producer settings</caption>
 * <tr><th>setting</th><th>value</th><th>why</th></tr>
 * <tr><td>{@code acks}</td><td>{@code all}</td><td>acknowledged only when every in-sync replica has the
 *     write (with the topics' {@code min.insync.replicas}, at least two brokers on a cluster)</td></tr>
 * <tr><td>{@code enable.idempotence}</td><td>true</td><td>a retried send is written once, in order</td></tr>
 * <tr><td>{@code max.in.flight.requests.per.connection}</td><td>5</td><td>the most idempotence keeps in
 *     order</td></tr>
 * <tr><td>{@code compression.type}</td><td>{@link #compression()}: {@value #DEFAULT_COMPRESSION} unless
 *     {@value #COMPRESSION_ENV} (or the system property {@value #COMPRESSION_PROPERTY}) says otherwise</td>
 *     <td>care events are repetitive text; see {@link #compression()} for the trade-off</td></tr>
 * <tr><td>{@code linger.ms}</td><td>{@value #LINGER_MS}; {@value #ANSWERING_LINGER_MS} for a producer whose
 *     every write has a sender waiting ({@link #answeringConfig})</td><td>fills batches under load, adds at most
 *     5 ms to one sender's wait</td></tr>
 * <tr><td>{@code max.block.ms}</td><td>{@link #MAX_BLOCK} (3 s)</td><td>the longest a {@code send} call
 *     itself may block (broker metadata unknown, buffer full); Kafka's default is 60 s, longer than a
 *     sender waits (HAPI FHIR's client gives up after 10 s); a healthy producer knows its topics' leaders and does not
 *     block, so a longer block means Kafka is away</td></tr>
 * <tr><td>{@code request.timeout.ms}</td><td>{@link #REQUEST_TIMEOUT} (15 s)</td><td>one produce request's
 *     wait for the broker's answer before it is retried</td></tr>
 * <tr><td>{@code delivery.timeout.ms}</td><td>{@link #DELIVERY_TIMEOUT} (30 s)</td><td>the longest a write
 *     is retried before its future fails (Kafka's default is 2 minutes); long enough to ride out a leader
 *     election on a cluster</td></tr>
 * </table>
 * A way in that answers a sender bounds its own wait too (e.g. the FHIR gateway's publish timeout), and
 * says "not known to be stored: retry" when it runs out: a retry carries the same eventIds, so a write that
 * did land late is not duplicated on a timeline.
 */
public final class DurableProducer {

    /** The compression CareTrail's producers use unless told otherwise. */
    public static final String DEFAULT_COMPRESSION = "lz4";
    /** The environment variable that chooses the compression of every record CareTrail writes. */
    public static final String COMPRESSION_ENV = "CARETRAIL_KAFKA_COMPRESSION";
    /** The system property that does the same (wins over the environment variable). */
    public static final String COMPRESSION_PROPERTY = "caretrail.kafka.compression";
    /** The compressions a CareTrail producer may be told to use (Kafka's {@code compression.type} values). */
    public static final List<String> COMPRESSIONS = List.of("lz4", "zstd", "gzip", "snappy", "none");
    /**
     * The setting {@code kafka.compression} (environment {@value #COMPRESSION_ENV}): the compression of every
     * record CareTrail writes; see {@link #compression()} for the trade-off.
     */
    public static final org.caretrail.events.settings.Setting<String> COMPRESSION = org.caretrail.events.settings.Setting
            .of("kafka.compression", "text", DEFAULT_COMPRESSION, v -> v.isEmpty() ? DEFAULT_COMPRESSION
                    : v.toLowerCase(Locale.ROOT),
                    "Compression of every record CareTrail writes (lz4: least CPU; zstd: smallest; gzip: read by "
                            + "every Kafka client; snappy; none). A third-party consumer must be able to read it.")
            .oneOf(COMPRESSIONS);
    public static final int LINGER_MS = 5;
    /**
     * {@code linger.ms} of a producer whose every write has a sender waiting for its answer (the adapters'
     * publisher, the HL7 message log): 0. Such a sender has one write in flight at a time (an MLLP connection
     * waits for its message's events, then for its message-log record, before it may send the next message),
     * so a linger only adds to its wait, twice per HL7 message; the writes of many senders still share a
     * request while earlier requests are in flight.
     */
    public static final int ANSWERING_LINGER_MS = 0;
    public static final Duration MAX_BLOCK = Duration.ofSeconds(3);
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
    public static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(30);

    private DurableProducer() {
    }

    /**
     * The compression of every record CareTrail writes to Kafka (the producers made here, and the stream
     * processor's, which write {@code care.timeline-changes} and {@code care.timelines}): the system property
     * {@value #COMPRESSION_PROPERTY}, else the environment variable {@value #COMPRESSION_ENV}, else
     * {@value #DEFAULT_COMPRESSION}. The broker keeps a batch as the producer compressed it (the topics'
     * {@code compression.type} is Kafka's default, {@code producer}), so a consumer of CareTrail's topics,
     * a third party's too, must be able to decompress it.
     *
     * <p>The trade-off: {@code lz4} is the cheapest on CPU at a good ratio for care events (repetitive
     * text), but some non-Java clients lack it (kafkajs needs an LZ4 codec registered, e.g. over {@code lz4js}); {@code zstd}
     * compresses best for a little more CPU, and needs Kafka 2.1 clients or later; {@code gzip} is read by
     * every Kafka client, at several times lz4's CPU; {@code snappy} is between lz4 and gzip; {@code none}
     * spends no CPU and the most disk and network.
     *
     * @throws IllegalArgumentException naming the setting and the allowed values when it is none of them
     */
    public static String compression() {
        String property = System.getProperty(COMPRESSION_PROPERTY);
        if (property != null) {
            return compression(property, "system property " + COMPRESSION_PROPERTY);
        }
        String env = System.getenv(COMPRESSION_ENV);
        return env == null ? DEFAULT_COMPRESSION : compression(env, "environment variable " + COMPRESSION_ENV);
    }

    /**
     * {@code value} checked as a compression (case and surrounding blanks ignored; blank means the
     * default); {@code source} names where it came from in the error.
     */
    static String compression(String value, String source) {
        return COMPRESSION.parse(value, source);
    }

    /** The durable settings for a producer on {@code bootstrapServers}, named {@code clientId}. */
    public static Map<String, Object> config(String bootstrapServers, String clientId) {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        return config(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers), clientId);
    }

    /**
     * {@code clientSettings} (bootstrap servers, security: whatever the client connects with) with the
     * durable settings laid over them: these always win, so no caller can weaken them by accident.
     */
    public static Map<String, Object> config(Map<String, ?> clientSettings, String clientId) {
        Map<String, Object> config = new HashMap<>(clientSettings);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, Objects.requireNonNull(clientId, "clientId"));
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression());
        config.put(ProducerConfig.LINGER_MS_CONFIG, LINGER_MS);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) MAX_BLOCK.toMillis());
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) REQUEST_TIMEOUT.toMillis());
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) DELIVERY_TIMEOUT.toMillis());
        return config;
    }

    /**
     * {@link #config(Map, String)} for a producer whose every write has a sender waiting for it: the same
     * durable settings, with {@code linger.ms} {@value #ANSWERING_LINGER_MS} ({@link #ANSWERING_LINGER_MS}).
     */
    public static Map<String, Object> answeringConfig(Map<String, ?> clientSettings, String clientId) {
        Map<String, Object> config = config(clientSettings, clientId);
        config.put(ProducerConfig.LINGER_MS_CONFIG, ANSWERING_LINGER_MS);
        return config;
    }

    /** A durable producer whose every write has a sender waiting for it ({@link #answeringConfig}). */
    public static <K, V> KafkaProducer<K, V> createAnswering(Map<String, ?> clientSettings, String clientId,
                                                             Serializer<K> keySerializer, Serializer<V> valueSerializer) {
        return new KafkaProducer<>(answeringConfig(clientSettings, clientId), keySerializer, valueSerializer);
    }

    /** A durable producer with the given serializers. */
    public static <K, V> KafkaProducer<K, V> create(Map<String, ?> clientSettings, String clientId,
                                                    Serializer<K> keySerializer, Serializer<V> valueSerializer) {
        return new KafkaProducer<>(config(clientSettings, clientId), keySerializer, valueSerializer);
    }

    /** A durable producer on {@code bootstrapServers} with the given serializers. */
    public static <K, V> KafkaProducer<K, V> create(String bootstrapServers, String clientId,
                                                    Serializer<K> keySerializer, Serializer<V> valueSerializer) {
        return new KafkaProducer<>(config(bootstrapServers, clientId), keySerializer, valueSerializer);
    }
}
