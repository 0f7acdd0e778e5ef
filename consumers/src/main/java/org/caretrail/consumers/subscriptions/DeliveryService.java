package org.caretrail.consumers.subscriptions;

import org.caretrail.events.kafka.DurableProducer;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.caretrail.consumers.webhook.WebhookClient;
import org.caretrail.events.AvroTrust;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.serde.AvroSerde;
import org.caretrail.events.serde.SchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Webhook delivery for every subscription in the {@link SubscriptionStore}: one worker thread and
 * consumer group per subscription (see {@link DeliveryWorker}), started and stopped as
 * subscriptions are created and deleted. Deliveries are recorded on {@code care.deliveries}.
 */
public final class DeliveryService implements SubscriptionListener, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DeliveryService.class);

    private final SubscriptionStore store;
    private final DeliveryConfig config;
    private final SchemaRegistry registry;
    private final Map<String, Running> workers = new HashMap<>();
    private final java.time.Clock clock;
    private final FhirFocus focus;
    private WebhookClient http;
    private KafkaProducer<String, String> audit;
    private boolean running;

    private record Running(DeliveryWorker worker, Thread thread) {
    }

    public DeliveryService(SubscriptionStore store, Topics topics, DeliveryConfig config) {
        this(store, topics, config, java.time.Clock.systemUTC(), null);
    }

    /**
     * @param clock what "now" is for retries, parking and heartbeats (a test moves it to simulate hours)
     * @param focus what FHIR Subscriptions' notifications are about (null: references and resources left out)
     */
    public DeliveryService(SubscriptionStore store, Topics topics, DeliveryConfig config, java.time.Clock clock,
            FhirFocus focus) {
        AvroTrust.install();
        this.store = store;
        this.config = config;
        this.registry = topics.registry();
        this.clock = clock;
        this.focus = focus;
    }

    /** Starts delivering every stored subscription; call after {@link SubscriptionStore#start()}. */
    public synchronized void start() {
        if (running) {
            return;
        }
        http = new WebhookClient(config.callbackPolicy(), config.requestTimeout());
        audit = DurableProducer.create(config.kafka(), "caretrail-delivery-audit", new StringSerializer(),
                new StringSerializer());
        running = true;
        store.addListener(this);
        store.list().forEach(this::subscriptionSaved);
        LOG.info("Webhook delivery started for {} subscription(s)", workers.size());
    }

    @Override
    public synchronized void subscriptionSaved(Subscription subscription) {
        if (!running || workers.containsKey(subscription.id())) {
            return;
        }
        String id = subscription.id();
        // each worker its own deserializer: its consumer closes it
        Deserializer<TimelineChange> changes = AvroSerde.of(TimelineChange.class, registry);
        DeliveryWorker worker = new DeliveryWorker(subscription, config, changes, http, audit, clock,
                org.caretrail.events.topic.CareTopics.TIMELINE_CHANGES, store.deadLetter(id).orElse(DeadLetterRecord.EMPTY),
                record -> store.saveDeadLetter(id, record), focus);
        Thread thread = new Thread(worker, "caretrail-delivery-" + subscription.id());
        thread.setDaemon(true);
        workers.put(subscription.id(), new Running(worker, thread));
        thread.start();
    }

    @Override
    public synchronized void subscriptionDeleted(String id) {
        Running stopped = workers.remove(id);
        if (stopped != null) {
            halt(stopped);
            LOG.info("Stopped delivery of deleted subscription {}", id);
            Thread forget = new Thread(() -> forgetPosition(config.consumerGroupPrefix() + id),
                    "caretrail-delivery-forget-" + id);
            forget.setDaemon(true);
            forget.start();
        }
    }

    @Override
    public synchronized void redeliveryRequested(String id, Instant from) {
        Running running = workers.get(id);
        if (running != null) {
            running.worker().redeliverFrom(from);
        }
    }

    /**
     * Deletes a deleted subscription's consumer group, so positions of subscriptions that are gone do
     * not pile up in Kafka. Another instance still stopping its worker keeps the group non-empty for a
     * moment: tried a few times, then left (and logged).
     */
    private void forgetPosition(String group) {
        Map<String, Object> adminConfig = new HashMap<>(config.kafka());
        adminConfig.keySet().removeIf(k -> !AdminClientConfig.configNames().contains(k));
        try (Admin admin = Admin.create(adminConfig)) {
            for (int attempt = 1; attempt <= 5; attempt++) {
                try {
                    admin.deleteConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS);
                    LOG.info("Deleted consumer group {} of a deleted subscription", group);
                    return;
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof GroupIdNotFoundException) {
                        return;
                    }
                    LOG.debug("Deleting consumer group {} failed (attempt {}): {}", group, attempt, e.getCause().toString());
                    Thread.sleep(2_000L * attempt);
                }
            }
            LOG.warn("Could not delete consumer group {} of a deleted subscription; delete it by hand", group);
        } catch (TimeoutException | RuntimeException e) {
            LOG.warn("Could not delete consumer group {} of a deleted subscription: {}", group, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * One subscription's delivery in figures, for metrics: no callback URL, no patient.
     *
     * @param retried failed attempts that will be retried, since its worker started here
     * @param alive whether its delivery thread is running
     */
    public record Figures(String subscriptionId, String state, long lag, long parked, long retried, long delivered,
            boolean alive) {
    }

    /** Every subscription delivered here, in figures. */
    public synchronized java.util.List<Figures> figures() {
        return workers.values().stream().map(r -> {
            DeliveryStatus s = r.worker().status();
            return new Figures(s.subscriptionId(), s.state(), s.lag(), s.parkedCount(), r.worker().retried(),
                    s.delivered(), r.thread().isAlive());
        }).toList();
    }

    /** Whether delivery has been started and not stopped. */
    public synchronized boolean running() {
        return running;
    }

    /** The delivery status of a subscription, empty when it is not being delivered here. */
    public synchronized Optional<DeliveryStatus> status(String id) {
        return Optional.ofNullable(workers.get(id)).map(r -> r.worker().status());
    }

    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        workers.values().forEach(r -> r.worker().stop());
        workers.values().forEach(this::halt);
        workers.clear();
        http.close();
        audit.close(Duration.ofSeconds(5));
        LOG.info("Webhook delivery stopped");
    }

    private void halt(Running r) {
        r.worker().stop();
        try {
            r.thread().join(config.requestTimeout().plusSeconds(10).toMillis());
            if (r.thread().isAlive()) {
                LOG.warn("Delivery worker {} did not stop in time", r.thread().getName());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
    }
}
