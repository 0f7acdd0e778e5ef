package org.caretrail.consumers.subscriptions;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.caretrail.consumers.subscriptions.DeliveryStatus.ParkedDelivery;
import org.caretrail.consumers.webhook.WebhookClient;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.topic.CareTopics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one subscription's changes: its own consumer group on {@code care.timeline-changes},
 * one change at a time per partition (so in order per patient), partitions in parallel. A failing change pauses only its
 * partition and is retried with exponential backoff; offsets are committed only once a change is
 * delivered, skipped by the filters, or parked — so a subscriber that is down loses nothing.
 *
 * <p><b>A FHIR Subscription</b> ({@link Subscription#isFhir()}) is delivered the same way, with what the
 * R4 Subscriptions Backport IG adds: first a {@code handshake} (events wait for it), then each matching
 * change as an {@code event-notification} Bundle numbered in delivery order (1, 2, 3...), strictly one at a
 * time across all partitions (a failing event holds back every later one, so the receiver sees the
 * numbers in order), and a {@code heartbeat} after {@code heartbeatPeriod} without a notification. The
 * count of events and the handshake are kept with the committed positions (offset metadata), so a
 * restart goes on counting; each numbered event's position is on its delivery record ({@code $events}).
 */
final class DeliveryWorker implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(DeliveryWorker.class);
    private static final int PARKED_SHOWN = 50;
    private static final Duration LAG_INTERVAL = Duration.ofSeconds(1);
    /** How many partitions of one subscription are delivered at the same time. */
    static final int PARALLEL_PARTITIONS = 4;

    private final Subscription subscription;
    private final DeliveryConfig config;
    private final Deserializer<TimelineChange> changes;
    private final WebhookClient http;
    private final Producer<String, String> audit;
    private final Clock clock;
    private final String topic;

    private final Map<TopicPartition, Failing> failing = new ConcurrentHashMap<>();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final AtomicLong parkedCount = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private final Deque<ParkedDelivery> parked = new ArrayDeque<>();
    private final java.util.function.Consumer<DeadLetterRecord> deadLetterSink;
    private volatile boolean running = true;
    private volatile String state = "STARTING";
    private volatile long lag = -1;
    private volatile String lastError;
    private volatile Instant lastErrorAt;
    private volatile Instant lastDeliveredAt;
    private volatile Instant redeliverFrom;
    private KafkaConsumer<String, TimelineChange> consumer;
    private ExecutorService partitionPool;
    private long lagCheckedAt;
    private final RetryPolicy retries;
    // a FHIR Subscription's channel: what has been numbered, the handshake, the last notification sent
    private final FhirFocus focus;
    private final WebhookClient fhirHttp;
    private volatile long fhirEvents;
    private volatile Instant handshakeAt;
    private volatile boolean handshakeNeeded;
    private Instant handshakeRetryAt;
    private int handshakeAttempts;
    private volatile Instant lastNotifiedAt;
    private volatile boolean channelError;
    private volatile long heartbeats;
    /** Offset metadata of a FHIR Subscription's commits: the events numbered so far and the handshake. */
    static final String METADATA_PREFIX = "fhir-channel ";

    /** A change that is failing, on one partition. */
    private static final class Failing {
        final long offset;
        final Instant firstFailure;
        int attempts;
        Instant retryAt;
        long eventNumber;

        Failing(long offset, Instant firstFailure) {
            this.offset = offset;
            this.firstFailure = firstFailure;
        }
    }

    DeliveryWorker(Subscription subscription, DeliveryConfig config, Deserializer<TimelineChange> changes,
            WebhookClient http, Producer<String, String> audit, Clock clock, String topic, DeadLetterRecord deadLetter,
            java.util.function.Consumer<DeadLetterRecord> deadLetterSink) {
        this(subscription, config, changes, http, audit, clock, topic, deadLetter, deadLetterSink, null);
    }

    /** @param focus what a FHIR Subscription's notifications are about (null: none is a FHIR one, or ids only) */
    DeliveryWorker(Subscription subscription, DeliveryConfig config, Deserializer<TimelineChange> changes,
            WebhookClient http, Producer<String, String> audit, Clock clock, String topic, DeadLetterRecord deadLetter,
            java.util.function.Consumer<DeadLetterRecord> deadLetterSink, FhirFocus focus) {
        this.focus = focus;
        this.retries = new RetryPolicy(config.backoff(), config.parkAfter());
        this.fhirHttp = subscription.isFhir() && subscription.fhir().timeout() != null
                && subscription.fhir().timeout().compareTo(config.requestTimeout()) < 0
                ? new WebhookClient(http.policy(), subscription.fhir().timeout()) : http;
        this.subscription = subscription;
        this.deadLetterSink = deadLetterSink;
        this.parkedCount.set(deadLetter.parkedCount());
        this.parked.addAll(deadLetter.recent());
        this.config = config;
        this.changes = changes;
        this.http = http;
        this.audit = audit;
        this.clock = clock;
        this.topic = topic;
    }

    DeliveryWorker(Subscription subscription, DeliveryConfig config, Deserializer<TimelineChange> changes,
            WebhookClient http, Producer<String, String> audit, DeadLetterRecord deadLetter,
            java.util.function.Consumer<DeadLetterRecord> deadLetterSink) {
        this(subscription, config, changes, http, audit, Clock.systemUTC(), CareTopics.TIMELINE_CHANGES, deadLetter,
                deadLetterSink);
    }

    Subscription subscription() {
        return subscription;
    }

    void stop() {
        running = false;
    }

    /** Failed attempts that will be retried, since this worker started. */
    long retried() {
        return retried.get();
    }

    DeliveryStatus status() {
        List<ParkedDelivery> recent;
        synchronized (parked) {
            recent = List.copyOf(parked);
        }
        return new DeliveryStatus(subscription.id(), state, delivered.get(), skipped.get(), parkedCount.get(), lag,
                lastError, lastErrorAt, lastDeliveredAt, recent, subscription.isFhir() ? fhirEvents : -1,
                subscription.isFhir() ? channelStatus() : null);
    }

    /** A FHIR Subscription's status as the IG codes it: requested (no handshake yet), error, or active. */
    private String channelStatus() {
        if (handshakeAt == null) {
            return channelError ? "error" : "requested";
        }
        return channelError || !failing.isEmpty() ? "error" : "active";
    }

    @Override
    public void run() {
        Map<String, Object> props = new HashMap<>(config.kafka());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, subscription.consumerGroup(config.consumerGroupPrefix()));
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "caretrail-delivery-" + subscription.id());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // small per-partition fetches so that one poll carries several partitions to deliver in parallel
        props.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 600);
        props.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 * 1024);
        if (subscription.isFhir()) {
            // one instance delivers a FHIR Subscription: one sequence of event numbers
            props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, SingleDelivererAssignor.class.getName());
        }
        partitionPool = Executors.newFixedThreadPool(PARALLEL_PARTITIONS, runnable -> {
            Thread thread = new Thread(runnable, "caretrail-delivery-" + subscription.id() + "-partition");
            thread.setDaemon(true);
            return thread;
        });
        try {
            int restarts = 0;
            while (running) {
                try {
                    consume(props);
                } catch (WakeupException | InterruptException e) {
                    LOG.info("Delivery of subscription {} interrupted", subscription.id());
                    return;
                } catch (RuntimeException e) {
                    // e.g. a commit that timed out while the group coordinator moved: start again from the
                    // committed positions (at least once), after a pause
                    restarts++;
                    Duration pause = config.backoff().delay(Math.min(restarts, 6));
                    LOG.error("Delivery of subscription {} failed; restarting from the committed positions in {}",
                            subscription.id(), pause, e);
                    // the exception's text stays in the log: API callers see only that it happened
                    lastError = "delivery restarted after an internal error";
                    lastErrorAt = clock.instant();
                    state = "RESTARTING";
                    closeConsumer();
                    sleep(pause);
                }
            }
        } finally {
            state = "STOPPED";
            partitionPool.shutdownNow();
            closeConsumer();
            if (fhirHttp != http) {
                fhirHttp.close(); // this subscription's own client (shorter timeout): its idle connections
            }
        }
    }

    private void consume(Map<String, Object> props) {
        failing.clear();
        consumer = new KafkaConsumer<>(props, new StringDeserializer(), changes);
        consumer.subscribe(List.of(topic), new StartPointListener());
        state = "ACTIVE";
        LOG.info("Delivering subscription {} to {} (group {}, start {})", subscription.id(),
                subscription.callbackUrlShown(), props.get(ConsumerConfig.GROUP_ID_CONFIG), subscription.startFrom());
        while (running) {
            pollOnce();
        }
    }

    private void closeConsumer() {
        if (consumer != null) {
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                LOG.warn("Closing the consumer of subscription {} failed: {}", subscription.id(), e.toString());
            }
            consumer = null;
        }
    }

    private void sleep(Duration pause) {
        long until = System.nanoTime() + pause.toNanos();
        while (running && System.nanoTime() < until) {
            try {
                Thread.sleep(Math.min(100, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running = false;
            }
        }
    }

    /** Asks for every change since {@code from} on this worker's partitions to be delivered again. */
    void redeliverFrom(Instant from) {
        this.redeliverFrom = from;
    }

    private void pollOnce() {
        Instant rewind = redeliverFrom;
        if (rewind != null) {
            redeliverFrom = null;
            rewind(rewind);
        }
        resumeDue();
        if (subscription.isFhir()) {
            fhirChannel();
        }
        ConsumerRecords<String, TimelineChange> records;
        try {
            records = consumer.poll(Duration.ofMillis(200));
        } catch (RecordDeserializationException e) {
            LOG.error("Skipping an unreadable timeline change on {} partition {} offset {} for subscription {}: {}",
                    e.topicPartition().topic(), e.topicPartition().partition(), e.offset(), subscription.id(),
                    e.getMessage());
            consumer.seek(e.topicPartition(), e.offset() + 1);
            consumer.commitSync(Map.of(e.topicPartition(), new OffsetAndMetadata(e.offset() + 1)));
            return;
        }
        if (subscription.isFhir()) {
            deliverNumbered(records);
            state = failing.isEmpty() ? "ACTIVE" : "RETRYING";
            updateLag();
            return;
        }
        // partitions are delivered in parallel, each one change at a time (a patient lives in one partition)
        Map<TopicPartition, Future<Long>> results = new HashMap<>();
        for (TopicPartition partition : records.partitions()) {
            List<ConsumerRecord<String, TimelineChange>> batch = records.records(partition);
            results.put(partition, partitionPool.submit(() -> deliverInOrder(partition, batch)));
        }
        Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();
        for (Map.Entry<TopicPartition, Future<Long>> result : results.entrySet()) {
            TopicPartition partition = result.getKey();
            List<ConsumerRecord<String, TimelineChange>> batch = records.records(partition);
            long next = await(result.getValue());
            if (next > batch.get(0).offset()) {
                done.put(partition, new OffsetAndMetadata(next));
            }
            if (next <= batch.get(batch.size() - 1).offset()) {
                consumer.seek(partition, next);
                if (failing.containsKey(partition)) {
                    consumer.pause(Set.of(partition));
                }
            }
        }
        if (!done.isEmpty()) {
            audit.flush();
            consumer.commitSync(done);
        }
        state = failing.isEmpty() ? "ACTIVE" : "RETRYING";
        updateLag();
    }

    /**
     * A FHIR Subscription's changes, one at a time across every partition, numbered as they are first
     * tried: a change that fails holds back all the others (every partition is paused) until it is
     * delivered or parked, so the receiver gets the event numbers in order.
     */
    private void deliverNumbered(ConsumerRecords<String, TimelineChange> records) {
        Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();
        boolean blocked = handshakeAt == null;
        for (TopicPartition partition : records.partitions()) {
            List<ConsumerRecord<String, TimelineChange>> batch = records.records(partition);
            if (blocked) {
                consumer.seek(partition, batch.get(0).offset());
                continue;
            }
            long next = deliverInOrder(partition, batch);
            if (next > batch.get(0).offset()) {
                done.put(partition, new OffsetAndMetadata(next, channelMetadata()));
            }
            if (next <= batch.get(batch.size() - 1).offset()) {
                consumer.seek(partition, next);
                blocked = true;
            }
        }
        if (blocked || !failing.isEmpty() || handshakeAt == null) {
            consumer.pause(consumer.assignment());
        } else if (!consumer.paused().isEmpty()) {
            consumer.resume(consumer.paused());
        }
        if (!done.isEmpty()) {
            audit.flush();
            consumer.commitSync(done);
        }
    }

    /** What a FHIR Subscription's commits carry: {@code fhir-channel events=<n> handshake=<epoch ms>}. */
    private String channelMetadata() {
        return METADATA_PREFIX + "events=" + fhirEvents + (handshakeAt == null ? "" : " handshake="
                + handshakeAt.toEpochMilli());
    }

    /** Reads {@link #channelMetadata} back: events numbered, and when the handshake was (0: none). */
    static long[] channelMetadata(String metadata) {
        long[] read = {0, 0};
        if (metadata == null || !metadata.startsWith(METADATA_PREFIX)) {
            return read;
        }
        for (String part : metadata.substring(METADATA_PREFIX.length()).split(" ")) {
            try {
                if (part.startsWith("events=")) {
                    read[0] = Long.parseLong(part.substring(7));
                } else if (part.startsWith("handshake=")) {
                    read[1] = Long.parseLong(part.substring(10));
                }
            } catch (NumberFormatException e) {
                LOG.warn("Ignoring unreadable FHIR channel metadata '{}'", metadata);
            }
        }
        return read;
    }

    /**
     * A FHIR Subscription's own traffic: the handshake until one succeeds (retried with backoff, events held
     * back meanwhile), then a heartbeat whenever {@code heartbeatPeriod} has passed without a notification
     * (not while an event is failing: its retries say as much).
     */
    private void fhirChannel() {
        Instant now = clock.instant();
        if (consumer.assignment().isEmpty()) {
            followDeliverer();
            return;
        }
        if (handshakeAt == null) {
            if (!handshakeNeeded || (handshakeRetryAt != null && now.isBefore(handshakeRetryAt))) {
                return;
            }
            Attempt result = postNotification("handshake", List.of(), subscription.id() + ":handshake", 1 + handshakeAttempts);
            if (result.error == null) {
                handshakeAt = now;
                lastNotifiedAt = now;
                channelError = false;
                handshakeNeeded = false;
                Map<TopicPartition, OffsetAndMetadata> positions = new HashMap<>();
                for (TopicPartition p : consumer.assignment()) {
                    positions.put(p, new OffsetAndMetadata(consumer.position(p), channelMetadata()));
                }
                consumer.commitSync(positions);
                consumer.resume(consumer.assignment());
                LOG.info("FHIR subscription {}: handshake with {} done", subscription.id(),
                        subscription.callbackUrlShown());
            } else {
                handshakeAttempts++;
                handshakeRetryAt = now.plus(config.backoff().delay(handshakeAttempts));
                channelError = true;
                lastError = result.error;
                lastErrorAt = now;
            }
            return;
        }
        java.time.Duration period = subscription.fhir().heartbeat();
        if (period != null && failing.isEmpty() && lastNotifiedAt != null && !now.isBefore(lastNotifiedAt.plus(period))) {
            Attempt result = postNotification("heartbeat", List.of(), subscription.id() + ":heartbeat:"
                    + now.toEpochMilli(), 1);
            lastNotifiedAt = now;
            if (result.error == null) {
                heartbeats++;
                channelError = false;
            } else {
                channelError = true;
                lastError = result.error;
                lastErrorAt = now;
            }
        }
    }

    private long followedAt;

    /**
     * On an instance that does not deliver this FHIR Subscription (another holds its partitions): the count
     * of events and the handshake as the deliverer last committed them, read every few seconds, for
     * {@code $status} asked here.
     */
    private void followDeliverer() {
        long t = System.nanoTime();
        if (t - followedAt < 5_000_000_000L) {
            return;
        }
        followedAt = t;
        Set<TopicPartition> all = new HashSet<>();
        consumer.partitionsFor(topic).forEach(p -> all.add(new TopicPartition(topic, p.partition())));
        for (OffsetAndMetadata committed : consumer.committed(all).values()) {
            if (committed != null) {
                long[] channel = channelMetadata(committed.metadata());
                fhirEvents = Math.max(fhirEvents, channel[0]);
                if (channel[1] > 0 && handshakeAt == null) {
                    handshakeAt = Instant.ofEpochMilli(channel[1]);
                }
            }
        }
    }

    /** POSTs a FHIR notification of {@code type} with {@code events} (handshake, heartbeat: none). */
    private Attempt postNotification(String type, List<FhirNotifications.Event> events, String deliveryId, int attempt) {
        String status = type.equals("handshake") ? "requested" : channelStatus();
        org.hl7.fhir.r4.model.Bundle bundle = FhirNotifications.bundle(subscription, fhirBase(), type, status,
                fhirEvents, events, null, clock.instant());
        return post(deliveryId, FhirNotifications.json(bundle), FhirNotifications.CONTENT_TYPE, attempt, fhirHttp);
    }

    private String fhirBase() {
        return focus == null ? "urn:caretrail" : focus.base();
    }

    /** Heartbeats sent successfully since this worker started. */
    long heartbeats() {
        return heartbeats;
    }

    /**
     * Moves each assigned partition back to the first change at or after {@code from} (never forward)
     * and commits that, so the changes since then are delivered again, in order, each under its
     * stable delivery id. Without partitions yet, it is tried again at the next poll.
     */
    private void rewind(Instant from) {
        Set<TopicPartition> assigned = consumer.assignment();
        if (assigned.isEmpty()) {
            redeliverFrom = from;
            return;
        }
        Map<TopicPartition, Long> query = new HashMap<>();
        assigned.forEach(p -> query.put(p, from.toEpochMilli()));
        Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndTimestamp> found = consumer.offsetsForTimes(query);
        Map<TopicPartition, OffsetAndMetadata> moved = new HashMap<>();
        for (TopicPartition partition : assigned) {
            var at = found.get(partition);
            if (at != null && at.offset() < consumer.position(partition)) {
                consumer.seek(partition, at.offset());
                moved.put(partition, new OffsetAndMetadata(at.offset()));
            }
        }
        failing.clear();
        consumer.resume(assigned);
        if (!moved.isEmpty()) {
            consumer.commitSync(moved);
        }
        LOG.info("Redelivering subscription {} from {}: {} partition(s) moved back", subscription.id(), from,
                moved.size());
    }

    /** Delivers a partition's batch in order; returns the offset to continue from. */
    private long deliverInOrder(TopicPartition partition, List<ConsumerRecord<String, TimelineChange>> batch) {
        for (ConsumerRecord<String, TimelineChange> record : batch) {
            if (!running || !handle(partition, record)) {
                return record.offset();
            }
        }
        return batch.get(batch.size() - 1).offset() + 1;
    }

    private static long await(Future<Long> result) {
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("delivery failed unexpectedly: " + e.getCause(), e.getCause());
        }
    }

    private void resumeDue() {
        Instant now = clock.instant();
        Set<TopicPartition> due = new HashSet<>();
        failing.forEach((partition, f) -> {
            if (f.retryAt != null && !now.isBefore(f.retryAt)) {
                due.add(partition);
            }
        });
        due.retainAll(consumer.paused());
        if (!due.isEmpty()) {
            consumer.resume(due);
        }
    }

    /** Delivers, skips or parks one change; false when it failed and is to be retried later. */
    boolean handle(TopicPartition partition, ConsumerRecord<String, TimelineChange> record) {
        TimelineChange change = record.value();
        if (change == null || !SubscriptionFilter.matches(subscription, change)) {
            skipped.incrementAndGet();
            return true;
        }
        Failing f = failing.get(partition);
        if (f != null && f.offset != record.offset()) {
            failing.remove(partition);
            f = null;
        }
        int attempt = f == null ? 1 : f.attempts + 1;
        String deliveryId = WebhookPayload.deliveryId(subscription, change);
        String gp = GpNotification.of(change).map(n -> n.reason().name()).orElse(null);
        long eventNumber = !subscription.isFhir() ? 0 : f != null && f.eventNumber > 0 ? f.eventNumber : ++fhirEvents;
        Attempt result = subscription.isFhir() ? postEvent(deliveryId, change, eventNumber, attempt)
                : post(deliveryId, change, attempt, record.partition() + ":" + record.offset());
        Instant now = clock.instant();
        if (result.error == null) {
            delivered.incrementAndGet();
            lastDeliveredAt = now;
            lastNotifiedAt = now;
            channelError = false;
            failing.remove(partition);
            record(DeliveryRecord.of(subscription, deliveryId, change, DeliveryRecord.Outcome.DELIVERED, gp, attempt,
                    result.status, null, now).numbered(eventNumber, record.partition(), record.offset()));
            return true;
        }
        lastError = result.error;
        lastErrorAt = now;
        if (f == null) {
            f = new Failing(record.offset(), now);
            failing.put(partition, f);
        }
        f.attempts = attempt;
        f.eventNumber = eventNumber;
        RetryPolicy.Decision decision = retries.afterFailure(f.firstFailure, attempt, now);
        if (decision.park()) {
            LOG.warn("Parking delivery {} (patient {}) after {} attempt(s) over {}: {}", deliveryId,
                    change.getNhsNumber(), attempt, Duration.between(f.firstFailure, now), result.error);
            failing.remove(partition);
            DeadLetterRecord deadLetter;
            synchronized (parked) {
                parked.addFirst(new ParkedDelivery(deliveryId, change.getChangeId(), change.getNhsNumber(), attempt,
                        result.error, now, Instant.ofEpochMilli(record.timestamp())));
                while (parked.size() > PARKED_SHOWN) {
                    parked.removeLast();
                }
                deadLetter = new DeadLetterRecord(parkedCount.incrementAndGet(), List.copyOf(parked));
            }
            deadLetterSink.accept(deadLetter);
            record(DeliveryRecord.of(subscription, deliveryId, change, DeliveryRecord.Outcome.PARKED, gp, attempt,
                    result.status, result.error, now).numbered(eventNumber, record.partition(), record.offset()));
            return true;
        }
        f.retryAt = decision.retryAt();
        retried.incrementAndGet();
        LOG.info("Delivery {} attempt {} failed ({}); retrying at {}", deliveryId, attempt, result.error,
                decision.retryAt());
        return false;
    }

    /** A FHIR Subscription's event: its notification Bundle, the focus read now; a focus that cannot be read fails it. */
    private Attempt postEvent(String deliveryId, TimelineChange change, long eventNumber, int attempt) {
        String reference = null;
        org.hl7.fhir.r4.model.Resource resource = null;
        if (focus != null && subscription.fhir().content() != FhirChannel.Content.EMPTY) {
            reference = focus.reference(change);
            if (subscription.fhir().content() == FhirChannel.Content.FULL_RESOURCE) {
                try {
                    resource = focus.resource(change, subscription).orElse(null);
                } catch (FhirFocus.Unavailable e) {
                    LOG.info("Delivery {}: the focus cannot be read at the moment: {}", deliveryId, e.getMessage());
                    return new Attempt(null, "focus not readable at the moment");
                }
            }
        }
        FhirNotifications.Event event = new FhirNotifications.Event(eventNumber, change.getChangedAt(), reference,
                resource, change.getKind());
        org.hl7.fhir.r4.model.Bundle bundle = FhirNotifications.bundle(subscription, fhirBase(), "event-notification",
                "active", fhirEvents, List.of(event), null, clock.instant());
        return post(deliveryId, FhirNotifications.json(bundle), FhirNotifications.CONTENT_TYPE, attempt, fhirHttp);
    }

    private record Attempt(Integer status, String error) {
    }

    private Attempt post(String deliveryId, TimelineChange change, int attempt, String position) {
        String body = subscription.payload() == PayloadFormat.FHIR_R4
                ? FhirNotification.bundle(subscription, change, position).toString()
                : WebhookPayload.body(subscription, change).toString();
        return post(deliveryId, body, subscription.payload().contentType(), attempt, http);
    }

    /** One signed POST of {@code body} to the subscriber. */
    private Attempt post(String deliveryId, String body, String contentType, int attempt, WebhookClient client) {
        long timestamp = clock.instant().getEpochSecond();
        Map<String, String> headers = new java.util.LinkedHashMap<>();
        headers.put("Content-Type", contentType);
        headers.put(WebhookSigner.DELIVERY_ID_HEADER, deliveryId);
        headers.put(WebhookSigner.SUBSCRIPTION_ID_HEADER, subscription.id());
        headers.put(WebhookSigner.ATTEMPT_HEADER, Integer.toString(attempt));
        headers.put(WebhookSigner.TIMESTAMP_HEADER, Long.toString(timestamp));
        headers.put(WebhookSigner.SIGNATURE_HEADER, WebhookSigner.sign(subscription.secret(), timestamp, body));
        if (subscription.callbackAuthorization() != null) {
            headers.put("Authorization", subscription.callbackAuthorization());
        }
        try {
            int status = client.post(subscription.callbackUrl(), headers, body.getBytes(StandardCharsets.UTF_8));
            return new Attempt(status, null);
        } catch (WebhookClient.Failure e) {
            // the details (addresses, exception text) are for the operator's log only
            LOG.info("Delivery {} to {} failed: {}", deliveryId, subscription.callbackUrlShown(), e.getMessage());
            return new Attempt(e.status(), e.publicText());
        }
    }

    private void record(DeliveryRecord delivery) {
        audit.send(new ProducerRecord<>(CareTopics.DELIVERIES, delivery.subscriptionId(), delivery.toJson().toString()),
                (metadata, e) -> {
                    if (e != null) {
                        LOG.error("Could not record delivery {} on {}", delivery.deliveryId(), CareTopics.DELIVERIES, e);
                    }
                });
    }

    private void updateLag() {
        long now = System.nanoTime();
        if (now - lagCheckedAt < LAG_INTERVAL.toNanos()) {
            return;
        }
        lagCheckedAt = now;
        Set<TopicPartition> assigned = consumer.assignment();
        if (assigned.isEmpty()) {
            return;
        }
        long total = 0;
        for (Map.Entry<TopicPartition, Long> end : consumer.endOffsets(assigned).entrySet()) {
            total += Math.max(0, end.getValue() - consumer.position(end.getKey()));
        }
        lag = total;
    }

    /** Where a partition starts when this subscription has no committed position on it yet. */
    private final class StartPointListener implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            failing.keySet().removeAll(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(partitions));
            Set<TopicPartition> fresh = new HashSet<>();
            for (TopicPartition partition : partitions) {
                if (committed.get(partition) == null) {
                    fresh.add(partition);
                } else if (subscription.isFhir()) {
                    long[] channel = channelMetadata(committed.get(partition).metadata());
                    fhirEvents = Math.max(fhirEvents, channel[0]);
                    if (channel[1] > 0 && handshakeAt == null) {
                        handshakeAt = Instant.ofEpochMilli(channel[1]);
                    }
                }
            }
            if (subscription.isFhir()) {
                lastNotifiedAt = lastNotifiedAt == null ? clock.instant() : lastNotifiedAt;
                if (handshakeAt == null) {
                    handshakeNeeded = true; // events wait for it
                    consumer.pause(partitions);
                }
            }
            if (fresh.isEmpty()) {
                return;
            }
            StartPoint start = subscription.startFrom();
            if (start.isEarliest()) {
                consumer.seekToBeginning(fresh);
                return;
            }
            Map<TopicPartition, Long> query = new HashMap<>();
            fresh.forEach(p -> query.put(p, start.from().toEpochMilli()));
            for (Map.Entry<TopicPartition, OffsetAndTimestamp> found : consumer.offsetsForTimes(query).entrySet()) {
                if (found.getValue() == null) {
                    consumer.seekToEnd(Set.of(found.getKey()));
                } else {
                    consumer.seek(found.getKey(), found.getValue().offset());
                }
            }
        }
    }
}
