package org.caretrail.consumers.subscriptions;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.caretrail.events.metrics.CareMetrics;

/**
 * Subscriptions' delivery on {@code /metrics}: how far behind the webhooks are, how often they retry,
 * what was parked. Totals over every subscription delivered here, and lag and parked deliveries per
 * subscription labelled by its id only (bounded by the per-caller cap on subscriptions; never the
 * callback URL, never a patient). Names from {@link CareMetrics}.
 *
 * <p>The per-subscription rows follow the subscriptions that come and go: call {@link #refresh()} before
 * each scrape. Keep the returned instance: the counters read the figures through it (Micrometer holds
 * what a function counter reads weakly).
 */
public final class DeliveryMetrics {

    /** The states a delivery worker reports ({@link DeliveryStatus}). */
    static final Set<String> STATES = Set.of("STARTING", "ACTIVE", "RESTARTING", "RETRYING", "STOPPED");

    private final Supplier<List<DeliveryService.Figures>> delivery;
    private final MultiGauge lagBySubscription;
    private final MultiGauge parkedBySubscription;
    private final MultiGauge byState;

    private DeliveryMetrics(Supplier<List<DeliveryService.Figures>> delivery, MeterRegistry registry) {
        this.delivery = delivery;
        Gauge.builder(CareMetrics.DELIVERY_LAG, delivery, d -> sum(d, DeliveryService.Figures::lag)).strongReference(true)
                .description("timeline changes not yet delivered, skipped or parked, summed over subscriptions")
                .register(registry);
        FunctionCounter.builder(CareMetrics.DELIVERY_RETRIES, delivery, d -> sum(d, DeliveryService.Figures::retried))
                .description("webhook attempts that failed and are retried with backoff (since each worker started)")
                .register(registry);
        FunctionCounter.builder(CareMetrics.DELIVERY_DELIVERED, delivery,
                        d -> sum(d, DeliveryService.Figures::delivered))
                .description("notifications the receivers accepted (since each worker started)").register(registry);
        Gauge.builder(CareMetrics.DELIVERY_PARKED, delivery, d -> sum(d, DeliveryService.Figures::parked)).strongReference(true)
                .description("deliveries parked after the retry budget (kept for redelivery), over subscriptions")
                .register(registry);
        lagBySubscription = MultiGauge.builder(CareMetrics.SUBSCRIPTION_LAG)
                .description("timeline changes not yet delivered, per subscription").register(registry);
        parkedBySubscription = MultiGauge.builder(CareMetrics.SUBSCRIPTION_PARKED)
                .description("deliveries parked, per subscription").register(registry);
        byState = MultiGauge.builder(CareMetrics.SUBSCRIPTIONS)
                .description("subscriptions delivered here, by state").register(registry);
    }

    /**
     * Publishes the figures {@code delivery} gives (e.g. {@code deliveryService::figures}) on {@code registry};
     * {@link #refresh()} before each scrape.
     */
    public static DeliveryMetrics bind(Supplier<List<DeliveryService.Figures>> delivery, MeterRegistry registry) {
        DeliveryMetrics metrics = new DeliveryMetrics(delivery, registry);
        metrics.refresh();
        return metrics;
    }

    /** Brings the per-subscription and per-state rows in line with the subscriptions delivered now. */
    public void refresh() {
        List<DeliveryService.Figures> all = delivery.get();
        lagBySubscription.register(all.stream().filter(f -> f.lag() >= 0).map(f -> MultiGauge.Row.of(
                Tags.of(CareMetrics.SUBSCRIPTION, f.subscriptionId()), f.lag())).toList(), true);
        parkedBySubscription.register(all.stream().map(f -> MultiGauge.Row.of(
                Tags.of(CareMetrics.SUBSCRIPTION, f.subscriptionId()), f.parked())).toList(), true);
        byState.register(STATES.stream().map(state -> MultiGauge.Row.of(Tags.of(CareMetrics.STATE, state),
                all.stream().filter(f -> state.equals(f.state())).count())).toList(), true);
    }

    private static double sum(Supplier<List<DeliveryService.Figures>> d, ToDoubleFunction<DeliveryService.Figures> figure) {
        return d.get().stream().mapToDouble(f -> Math.max(0, figure.applyAsDouble(f))).sum();
    }
}
