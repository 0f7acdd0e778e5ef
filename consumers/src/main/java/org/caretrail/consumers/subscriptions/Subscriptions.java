package org.caretrail.consumers.subscriptions;

import com.sun.net.httpserver.HttpHandler;
import org.caretrail.events.topic.Topics;

/**
 * Subscriptions and webhook delivery, assembled: the {@link SubscriptionStore} on
 * {@code care.subscriptions}, the {@link DeliveryService} and the {@link SubscriptionApi}.
 *
 * <pre>{@code
 * Subscriptions subscriptions = new Subscriptions(DeliveryConfig.defaults(bootstrapServers), topics);
 * subscriptions.start();
 * server.createContext(SubscriptionApi.PATH, subscriptions.handler());
 * ...
 * subscriptions.stop();
 * }</pre>
 */
public final class Subscriptions implements AutoCloseable {

    private final SubscriptionStore store;
    private final DeliveryService delivery;
    private final SubscriptionApi api;
    private final FhirSubscriptionApi fhirApi;

    public Subscriptions(DeliveryConfig config, Topics topics) {
        this(config, topics, java.time.Clock.systemUTC(), null);
    }

    /**
     * With FHIR Subscriptions ({@link #fhirHandler()}).
     *
     * @param clock what "now" is for retries, parking and heartbeats
     * @param focus what FHIR notifications are about: the platform's FHIR read API (null: no FHIR Subscriptions)
     */
    public Subscriptions(DeliveryConfig config, Topics topics, java.time.Clock clock, FhirFocus focus) {
        this.store = new SubscriptionStore(config.kafka(), config.secretKeys());
        this.delivery = new DeliveryService(store, topics, config, clock, focus);
        this.api = new SubscriptionApi(store, delivery, config);
        this.fhirApi = focus == null ? null : new FhirSubscriptionApi(store, delivery, config,
                new SubscriptionEvents(config.kafka(), () -> org.caretrail.events.serde.AvroSerde.of(
                        org.caretrail.events.model.TimelineChange.class, topics.registry())), focus);
    }

    /** Reads every stored subscription, then starts delivering them. */
    public synchronized void start() {
        store.start();
        delivery.start();
    }

    public synchronized void stop() {
        delivery.stop();
        store.stop();
    }

    /** The handler for {@value SubscriptionApi#PATH}. */
    public HttpHandler handler() {
        return api;
    }

    /**
     * The handler for FHIR Subscriptions under {@code /fhir/r4} ({@code Subscription...}, {@code Basic...}):
     * {@link FhirSubscriptionApi}; null when built without a {@link FhirFocus}.
     */
    public HttpHandler fhirHandler() {
        return fhirApi;
    }

    public SubscriptionStore store() {
        return store;
    }

    public DeliveryService delivery() {
        return delivery;
    }

    @Override
    public void close() {
        stop();
    }
}
