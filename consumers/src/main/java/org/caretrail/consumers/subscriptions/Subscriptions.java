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

    public Subscriptions(DeliveryConfig config, Topics topics) {
        this.store = new SubscriptionStore(config.kafka(), config.secretKeys());
        this.delivery = new DeliveryService(store, topics, config);
        this.api = new SubscriptionApi(store, delivery, config);
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
