package org.caretrail.events.kafka;

import java.time.Duration;
import java.util.HashMap;
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
 * <tr><td>{@code compression.type}</td><td>{@value #COMPRESSION}</td><td>care events are repetitive text;
 *     cheap on CPU</td></tr>
 * <tr><td>{@code linger.ms}</td><td>{@value #LINGER_MS}</td><td>fills batches under load, adds at most
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

    public static final String COMPRESSION = "lz4";
    public static final int LINGER_MS = 5;
    public static final Duration MAX_BLOCK = Duration.ofSeconds(3);
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
    public static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(30);

    private DurableProducer() {
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
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, COMPRESSION);
        config.put(ProducerConfig.LINGER_MS_CONFIG, LINGER_MS);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) MAX_BLOCK.toMillis());
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) REQUEST_TIMEOUT.toMillis());
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) DELIVERY_TIMEOUT.toMillis());
        return config;
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
