package org.caretrail.consumers.subscriptions;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.caretrail.events.topic.CareTopics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The subscriptions, kept in the compacted topic {@code care.subscriptions} (key: subscription id;
 * value: the JSON of {@link Subscription#toStoredJson}, its secrets sealed with the
 * {@link SecretKeyRing}; a tombstone deletes). A reader thread
 * follows the topic from the beginning (assigned partitions, no consumer group) and keeps the
 * current set in memory; writes wait until the reader has applied them, so the API reads its own
 * writes and listeners see every change exactly in topic order. The same topic keeps each
 * subscription's {@link DeadLetterRecord} under {@code <id>#dead-letter}.
 */
public final class SubscriptionStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionStore.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(15);

    private final Map<String, Object> kafka;
    private final String topic;
    private final SecretKeyRing keys;
    /** Subscriptions read in clear or sealed with an old key: written again, sealed with the current key, on start. */
    private final java.util.Set<String> toReseal = ConcurrentHashMap.newKeySet();
    /** Key suffix of a subscription's {@link DeadLetterRecord} in the same topic. */
    public static final String DEAD_LETTER_SUFFIX = "#dead-letter";
    /** Key suffix of a subscription's last redelivery request on the same topic. */
    public static final String REDELIVERY_SUFFIX = "#redeliver";

    private final Map<String, Subscription> subscriptions = new ConcurrentHashMap<>();
    private final Map<String, DeadLetterRecord> deadLetters = new ConcurrentHashMap<>();
    private final java.util.Set<String> redeliveries = ConcurrentHashMap.newKeySet();
    private final List<SubscriptionListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<TopicPartition, Long> applied = new ConcurrentHashMap<>();
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final Object appliedMonitor = new Object();
    private KafkaProducer<String, String> producer;
    private KafkaConsumer<String, String> consumer;
    private Thread reader;
    private volatile boolean running;
    private volatile RuntimeException readerFailure;

    /**
     * @param kafka client settings (at least {@code bootstrap.servers})
     * @param keys seal the subscriptions' secrets at rest
     */
    public SubscriptionStore(Map<String, Object> kafka, SecretKeyRing keys) {
        this(kafka, CareTopics.SUBSCRIPTIONS, keys);
    }

    SubscriptionStore(Map<String, Object> kafka, String topic, SecretKeyRing keys) {
        this.kafka = Map.copyOf(kafka);
        this.topic = topic;
        this.keys = java.util.Objects.requireNonNull(keys, "the subscription store needs the secrets' key ring "
                + "(DeliveryConfig.withSecretKeys)");
    }

    public void addListener(SubscriptionListener listener) {
        listeners.add(listener);
    }

    /** Starts following the topic and returns once every stored subscription has been read. */
    public synchronized void start() {
        if (running) {
            return;
        }
        Map<String, Object> producerConfig = new HashMap<>(kafka);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.put(ProducerConfig.CLIENT_ID_CONFIG, "caretrail-subscriptions-writer");
        producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new StringSerializer());

        Map<String, Object> consumerConfig = new HashMap<>(kafka);
        consumerConfig.remove(ConsumerConfig.GROUP_ID_CONFIG);
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.put(ConsumerConfig.CLIENT_ID_CONFIG, "caretrail-subscriptions-reader");
        consumer = new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new StringDeserializer());
        List<PartitionInfo> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30));
        if (partitions == null || partitions.isEmpty()) {
            consumer.close();
            producer.close();
            throw new IllegalStateException("topic " + topic + " does not exist: apply the topics first "
                    + "(caretrail topics apply)");
        }
        List<TopicPartition> assigned = partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(assigned);
        consumer.seekToBeginning(assigned);
        Map<TopicPartition, Long> endAtStart = consumer.endOffsets(assigned);
        running = true;
        reader = new Thread(() -> follow(endAtStart), "caretrail-subscriptions-reader");
        reader.setDaemon(true);
        reader.start();
        try {
            if (!caughtUp.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("could not read " + topic + " within 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading " + topic, e);
        }
        if (readerFailure != null) {
            throw readerFailure;
        }
        LOG.info("Read {} subscription(s) from {}", subscriptions.size(), topic);
        reseal();
    }

    /**
     * Writes again, sealed with the current key, every subscription that was stored in clear (before
     * secrets were sealed) or sealed with an older key: the second step of a key rotation.
     */
    private void reseal() {
        int done = 0;
        for (String id : List.copyOf(toReseal)) {
            Subscription subscription = subscriptions.get(id);
            toReseal.remove(id);
            if (subscription != null) {
                write(id, subscription.toStoredJson(keys).toString());
                done++;
            }
        }
        if (done > 0) {
            LOG.info("Sealed {} subscription(s) with the current key {}", done, keys.currentKeyId());
        }
    }

    private void follow(Map<TopicPartition, Long> endAtStart) {
        try {
            checkCaughtUp(endAtStart);
            while (running) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    apply(record);
                }
                checkCaughtUp(endAtStart);
            }
        } catch (WakeupException e) {
            if (running) {
                readerFailure = new IllegalStateException("subscription reader woken unexpectedly", e);
            }
        } catch (RuntimeException e) {
            LOG.error("Reading {} failed; subscriptions are no longer followed", topic, e);
            readerFailure = e;
        } finally {
            caughtUp.countDown();
            consumer.close();
        }
    }

    private void checkCaughtUp(Map<TopicPartition, Long> endAtStart) {
        if (caughtUp.getCount() > 0 && endAtStart.entrySet().stream()
                .allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
            caughtUp.countDown();
        }
    }

    private void apply(ConsumerRecord<String, String> record) {
        String id = record.key();
        if (id == null) {
            LOG.warn("Ignoring a record without key on {} partition {} offset {}", topic, record.partition(),
                    record.offset());
        } else if (id.endsWith(DEAD_LETTER_SUFFIX)) {
            String subscriptionId = id.substring(0, id.length() - DEAD_LETTER_SUFFIX.length());
            if (record.value() == null) {
                deadLetters.remove(subscriptionId);
            } else {
                try {
                    deadLetters.put(subscriptionId, DeadLetterRecord.fromJson(JSON.readTree(record.value())));
                } catch (JsonProcessingException | RuntimeException e) {
                    LOG.error("Ignoring an unreadable dead-letter record {} on {} partition {} offset {}: {}", id,
                            topic, record.partition(), record.offset(), e.getMessage());
                }
            }
        } else if (id.endsWith(REDELIVERY_SUFFIX)) {
            String subscriptionId = id.substring(0, id.length() - REDELIVERY_SUFFIX.length());
            if (record.value() == null) {
                redeliveries.remove(subscriptionId);
            } else {
                redeliveries.add(subscriptionId);
                // requests read while catching up at start are history: their redelivery has happened
                if (caughtUp.getCount() == 0) {
                    try {
                        Instant from = Instant.parse(JSON.readTree(record.value()).path("from").asText());
                        listeners.forEach(l -> l.redeliveryRequested(subscriptionId, from));
                    } catch (JsonProcessingException | RuntimeException e) {
                        LOG.error("Ignoring an unreadable redelivery request {} on {} partition {} offset {}: {}", id,
                                topic, record.partition(), record.offset(), e.getMessage());
                    }
                }
            }
        } else if (record.value() == null) {
            if (subscriptions.remove(id) != null) {
                listeners.forEach(l -> l.subscriptionDeleted(id));
            }
        } else {
            try {
                com.fasterxml.jackson.databind.JsonNode node = JSON.readTree(record.value());
                Subscription subscription = Subscription.fromStoredJson(node, keys);
                if (Subscription.needsReseal(node, keys)) {
                    toReseal.add(id);
                } else {
                    toReseal.remove(id);
                }
                subscriptions.put(id, subscription);
                listeners.forEach(l -> l.subscriptionSaved(subscription));
            } catch (JsonProcessingException | IllegalArgumentException e) {
                LOG.error("Ignoring unreadable subscription {} on {} partition {} offset {}: {}", id, topic,
                        record.partition(), record.offset(), e.getMessage());
            }
        }
        synchronized (appliedMonitor) {
            applied.put(new TopicPartition(record.topic(), record.partition()), record.offset());
            appliedMonitor.notifyAll();
        }
    }

    /** Stores a new subscription of {@code owner} with a fresh id and secret; returns it, secret included. */
    public Subscription create(SubscriptionRequest request, SubscriptionOwner owner) {
        Subscription subscription = request.toSubscription(UUID.randomUUID().toString(), WebhookSigner.newSecret(),
                Instant.now(), owner);
        write(subscription.id(), subscription.toStoredJson(keys).toString());
        return subscription;
    }

    /**
     * Stores a new subscription of {@code owner} unless they already have {@code max}: counted and created
     * under one lock, so concurrent requests of one caller (through either API) cannot pass the cap.
     */
    public synchronized Optional<Subscription> createWithin(SubscriptionRequest request, SubscriptionOwner owner,
            int max) {
        long owned = subscriptions.values().stream()
                .filter(s -> s.owner() != null && s.owner().subject().equals(owner.subject())).count();
        return owned >= max ? Optional.empty() : Optional.of(create(request, owner));
    }

    /** Deletes a subscription; false when there was none with that id. */
    public boolean delete(String id) {
        if (!subscriptions.containsKey(id)) {
            return false;
        }
        if (deadLetters.containsKey(id)) {
            write(id + DEAD_LETTER_SUFFIX, null);
        }
        if (redeliveries.contains(id)) {
            write(id + REDELIVERY_SUFFIX, null);
        }
        write(id, null);
        return true;
    }

    /**
     * Asks every instance delivering the subscription to deliver again each change since {@code from}
     * (the request travels on the subscriptions topic, so each instance rewinds the partitions it
     * holds). Receivers drop repeats by delivery id. Returns once the request is stored.
     */
    public void requestRedelivery(String id, Instant from) {
        if (!subscriptions.containsKey(id)) {
            throw new IllegalArgumentException("no subscription " + id);
        }
        ObjectNode request = JSON.createObjectNode();
        request.put("from", from.toString());
        request.put("requestedAt", Instant.now().toString());
        write(id + REDELIVERY_SUFFIX, request.toString());
    }

    /** The subscription's dead-letter record, as last stored. */
    public Optional<DeadLetterRecord> deadLetter(String id) {
        return Optional.ofNullable(deadLetters.get(id));
    }

    /** Stores a subscription's dead-letter record (asynchronously; failures are logged). */
    public void saveDeadLetter(String id, DeadLetterRecord record) {
        if (!running) {
            LOG.warn("Not storing the dead-letter record of {}: the store is stopped", id);
            return;
        }
        deadLetters.put(id, record);
        producer.send(new ProducerRecord<>(topic, id + DEAD_LETTER_SUFFIX, record.toJson().toString()), (m, e) -> {
            if (e != null) {
                LOG.error("Could not store the dead-letter record of subscription {} on {}", id, topic, e);
            }
        });
    }

    public Optional<Subscription> get(String id) {
        return Optional.ofNullable(subscriptions.get(id));
    }

    public List<Subscription> list() {
        List<Subscription> all = new ArrayList<>(subscriptions.values());
        all.sort(Comparator.comparing(Subscription::createdAt).thenComparing(Subscription::id));
        return all;
    }

    private void write(String id, String value) {
        if (!running) {
            throw new IllegalStateException("the subscription store is not running");
        }
        try {
            RecordMetadata written = producer.send(new ProducerRecord<>(topic, id, value))
                    .get(WRITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            awaitApplied(new TopicPartition(topic, written.partition()), written.offset());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing subscription " + id, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not write subscription " + id + " to " + topic + ": " + e, e);
        }
    }

    private void awaitApplied(TopicPartition partition, long offset) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + WRITE_TIMEOUT.toNanos();
        synchronized (appliedMonitor) {
            while (applied.getOrDefault(partition, -1L) < offset) {
                if (readerFailure != null) {
                    throw new IllegalStateException("the subscription reader failed", readerFailure);
                }
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    throw new TimeoutException("subscription write not read back within " + WRITE_TIMEOUT);
                }
                appliedMonitor.wait(Math.min(left, 200));
            }
        }
    }

    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        consumer.wakeup();
        try {
            reader.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
    }

    @Override
    public void close() {
        stop();
    }
}
