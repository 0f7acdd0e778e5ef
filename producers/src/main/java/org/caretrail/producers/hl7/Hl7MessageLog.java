package org.caretrail.producers.hl7;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.caretrail.events.kafka.DurableProducer;
import org.caretrail.events.CareEventType;
import org.caretrail.events.model.Action;
import org.caretrail.events.topic.CareTopics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HL7v2 adapter's memory, kept in Kafka ({@value CareTopics#HL7_MESSAGE_LOG}, compacted) so
 * that every instance shares it and a restart keeps it: which messages were published, and the
 * last event published per care item.
 *
 * <ul>
 *   <li>{@code message|<sha256 of MSH-4, MSH-3, MSH-10>|<content hash>} → {@code {"at": ms}}: a message
 *       published. A repeat is a message whose control id was published with the same content
 *       ({@link ContentHash}); the same control id with other content is a different message.</li>
 *   <li>{@code item|<ODS code>|<TYPE>|<subjectId>} → the last event published for the item: eventId,
 *       what it superseded, action, visit, clinical time, fingerprint of restated facts, when.</li>
 * </ul>
 *
 * <p>Each instance reads the whole topic at start, before its listener accepts a connection, and
 * follows it afterwards (its own writes and other instances'). The in-memory copy is bounded
 * ({@link MessageLogIndex}: count and age). What is not held is not known: a repeat of a forgotten
 * message is published again with the same event ids (consumers count an event id once), and an
 * event about a forgotten item names nothing in {@code supersedes} and is ordered by its version.
 */
public final class Hl7MessageLog implements PublishedItems, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Hl7MessageLog.class);
    private static final String MESSAGE = "message|";
    private static final String ITEM = "item|";

    private final String topic;
    private final Producer<String, byte[]> producer;
    private final Consumer<String, byte[]> consumer;
    private final MessageLogIndex index;
    private final Duration startTimeout;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    private Thread follower;
    private volatile boolean running;
    private volatile boolean started;

    /** A log on the cluster at {@code bootstrapServers}, with its own producer and consumer. */
    public static Hl7MessageLog connect(String bootstrapServers, Hl7Settings settings) {
        return connect(org.caretrail.events.kafka.KafkaClientSettings.plaintext(bootstrapServers), settings);
    }

    /** A log on the cluster, connecting as {@code kafka} (on a secured cluster: the adapters' principal). */
    public static Hl7MessageLog connect(org.caretrail.events.kafka.KafkaClientSettings kafka, Hl7Settings settings) {
        Properties consumerConfig = kafka.properties();
        consumerConfig.put(ConsumerConfig.CLIENT_ID_CONFIG, "caretrail-hl7-message-log-reader");
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new Hl7MessageLog(CareTopics.HL7_MESSAGE_LOG, DurableProducer.createAnswering(kafka.config(),
                "caretrail-hl7-message-log", new StringSerializer(), new ByteArraySerializer()),
                new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new ByteArrayDeserializer()), settings,
                Clock.systemUTC());
    }

    Hl7MessageLog(String topic, Producer<String, byte[]> producer, Consumer<String, byte[]> consumer,
                  Hl7Settings settings, Clock clock) {
        this.topic = topic;
        this.producer = producer;
        this.consumer = consumer;
        this.index = new MessageLogIndex(settings.messageLogMaxEntries(), settings.messageLogMaxAge(), clock);
        this.startTimeout = settings.messageLogStartTimeout();
        this.clock = clock;
    }

    /**
     * Reads the whole log into memory, then follows it on a thread of its own. Returns when the
     * log is read to the end it had when the call started.
     *
     * @throws IllegalStateException when the topic is missing or cannot be read within the start timeout
     */
    public synchronized void start() {
        if (started) {
            return;
        }
        long began = System.nanoTime();
        List<PartitionInfo> infos;
        try {
            infos = consumer.partitionsFor(topic, startTimeout);
        } catch (KafkaException e) {
            throw new IllegalStateException("cannot read the HL7 message log " + topic + ": " + e.getMessage(), e);
        }
        if (infos == null || infos.isEmpty()) {
            throw new IllegalStateException("the HL7 message log topic " + topic + " does not exist: apply the "
                    + "topics first (caretrail topics apply)");
        }
        List<TopicPartition> partitions = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, startTimeout);
        long deadline = System.nanoTime() + startTimeout.toNanos();
        long read = 0;
        while (!caughtUp(partitions, end)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the HL7 message log " + topic + " was not read within "
                        + startTimeout + " (" + read + " records so far)");
            }
            read += apply(consumer.poll(Duration.ofMillis(200)));
        }
        LOG.info("HL7 message log {}: {} records read in {} ms; holding {} messages and {} items", topic, read,
                (System.nanoTime() - began) / 1_000_000, index.messageCount(), index.itemCount());
        running = true;
        started = true;
        follower = new Thread(this::follow, "hl7-message-log-follower");
        follower.setDaemon(true);
        follower.start();
    }

    private boolean caughtUp(List<TopicPartition> partitions, Map<TopicPartition, Long> end) {
        for (TopicPartition p : partitions) {
            if (consumer.position(p) < end.getOrDefault(p, 0L)) {
                return false;
            }
        }
        return true;
    }

    private void follow() {
        while (running) {
            try {
                apply(consumer.poll(Duration.ofSeconds(1)));
            } catch (WakeupException e) {
                if (running) {
                    LOG.debug("HL7 message log follower woken up while running");
                }
            } catch (KafkaException e) {
                LOG.warn("HL7 message log {}: reading failed ({}); retrying in 1 s", topic, e.toString());
                sleep(1000);
            }
        }
    }

    private long apply(Iterable<ConsumerRecord<String, byte[]>> records) {
        long n = 0;
        for (ConsumerRecord<String, byte[]> r : records) {
            n++;
            if (r.key() == null || r.value() == null) {
                continue;
            }
            try {
                apply(r.key(), json.readTree(r.value()));
            } catch (IOException | RuntimeException e) {
                LOG.warn("HL7 message log {}: record at offset {} is not understood and was skipped: {}", topic,
                        r.offset(), e.toString());
            }
        }
        return n;
    }

    private void apply(String key, JsonNode value) {
        Instant at = Instant.ofEpochMilli(value.path("at").asLong());
        if (key.startsWith(MESSAGE)) {
            int split = key.lastIndexOf('|');
            index.message(key.substring(MESSAGE.length(), split), key.substring(split + 1), at);
        } else if (key.startsWith(ITEM)) {
            String[] parts = key.substring(ITEM.length()).split("\\|", 3);
            PublishedItem.Key item = new PublishedItem.Key(parts[0], CareEventType.valueOf(parts[1]), parts[2]);
            index.item(new PublishedItem(item, text(value, "visit"), value.path("eventId").asText(),
                    text(value, "supersedes"), Action.valueOf(value.path("action").asText()),
                    value.hasNonNull("occurredAt") ? Instant.ofEpochMilli(value.path("occurredAt").asLong()) : null,
                    text(value, "fingerprint"), at));
        }
    }

    private static String text(JsonNode node, String field) {
        return node.hasNonNull(field) ? node.path(field).asText() : null;
    }

    // ---------------------------------------------------------------- what the processor asks and tells

    /** Whether the message with this key and content was published before. */
    MessageLogIndex.Seen seen(AdtMapper.MessageKey key, String contentHash) {
        return index.seen(messageKey(key), contentHash);
    }

    /**
     * Records that the message was published with these items: at once in memory, and in Kafka
     * (the future completes when the log's write is acknowledged).
     */
    CompletableFuture<Void> record(AdtMapper.MessageKey key, String contentHash, List<PublishedItem> items) {
        Instant at = clock.instant();
        String messageKey = messageKey(key);
        index.message(messageKey, contentHash, at);
        items.forEach(index::item);
        List<CompletableFuture<Void>> writes = new ArrayList<>(items.size() + 1);
        ObjectNode message = json.createObjectNode().put("at", at.toEpochMilli());
        writes.add(send(MESSAGE + messageKey + "|" + contentHash, message));
        for (PublishedItem item : items) {
            ObjectNode value = json.createObjectNode()
                    .put("at", item.publishedAt().toEpochMilli())
                    .put("eventId", item.eventId())
                    .put("supersedes", item.supersedes())
                    .put("action", item.action().name())
                    .put("visit", item.visit())
                    .put("fingerprint", item.fingerprint());
            if (item.occurredAt() != null) {
                value.put("occurredAt", item.occurredAt().toEpochMilli());
            }
            writes.add(send(ITEM + item.key(), value));
        }
        return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new));
    }

    private CompletableFuture<Void> send(String key, ObjectNode value) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            producer.send(new ProducerRecord<>(topic, key, json.writeValueAsBytes(value)), (metadata, error) -> {
                if (error != null) {
                    done.completeExceptionally(error);
                } else {
                    done.complete(null);
                }
            });
        } catch (IOException | RuntimeException e) {
            done.completeExceptionally(e);
        }
        return done;
    }

    /** MSH-4, MSH-3 and MSH-10 hashed: a control id can be long and is the sender's text. */
    static String messageKey(AdtMapper.MessageKey key) {
        return ContentHash.sha256(key.facility() + "\u0000" + key.application() + "\u0000" + key.controlId());
    }

    @Override
    public Optional<PublishedItem> item(PublishedItem.Key key) {
        return index.item(key);
    }

    @Override
    public List<PublishedItem> ofVisit(String odsCode, String visit) {
        return index.ofVisit(odsCode, visit);
    }

    /** Messages and items held in memory (for metrics and tests). */
    public int messagesHeld() {
        return index.messageCount();
    }

    public int itemsHeld() {
        return index.itemCount();
    }

    @Override
    public synchronized void close() {
        running = false;
        if (follower != null) {
            consumer.wakeup();
            try {
                follower.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
        } catch (KafkaException e) {
            LOG.debug("closing the HL7 message log reader: {}", e.toString());
        }
        producer.close(Duration.ofSeconds(5));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
