package org.caretrail.consumers.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import org.caretrail.events.metrics.CareMetrics;
import org.junit.jupiter.api.Test;

/** Subscriptions' delivery in figures: totals, rows per subscription that follow subscriptions, states. */
class DeliveryMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<DeliveryService.Figures> figures = new ArrayList<>();

    @Test
    void totalsAndRowsFollowTheSubscriptionsDeliveredHere() {
        figures.add(new DeliveryService.Figures("sub-a", "ACTIVE", 5, 0, 2, 40, true));
        figures.add(new DeliveryService.Figures("sub-b", "RETRYING", 12, 3, 7, 1, true));
        // a worker that has not measured its lag yet (-1): no row, and nothing taken off the total
        figures.add(new DeliveryService.Figures("sub-c", "STARTING", -1, 0, 0, 0, true));
        DeliveryMetrics metrics = DeliveryMetrics.bind(() -> List.copyOf(figures), registry);

        assertThat(registry.get(CareMetrics.DELIVERY_LAG).gauge().value()).isEqualTo(17.0);
        assertThat(registry.get(CareMetrics.DELIVERY_PARKED).gauge().value()).isEqualTo(3.0);
        assertThat(registry.get(CareMetrics.DELIVERY_RETRIES).functionCounter().count()).isEqualTo(9.0);
        assertThat(registry.get(CareMetrics.DELIVERY_DELIVERED).functionCounter().count()).isEqualTo(41.0);
        assertThat(registry.get(CareMetrics.SUBSCRIPTION_LAG).tag(CareMetrics.SUBSCRIPTION, "sub-b").gauge().value())
                .isEqualTo(12.0);
        assertThat(registry.find(CareMetrics.SUBSCRIPTION_LAG).gauges()).hasSize(2);
        assertThat(registry.get(CareMetrics.SUBSCRIPTION_PARKED).tag(CareMetrics.SUBSCRIPTION, "sub-b").gauge().value())
                .isEqualTo(3.0);
        assertThat(registry.get(CareMetrics.SUBSCRIPTIONS).tag(CareMetrics.STATE, "RETRYING").gauge().value())
                .isEqualTo(1.0);
        assertThat(registry.get(CareMetrics.SUBSCRIPTIONS).tag(CareMetrics.STATE, "STOPPED").gauge().value())
                .isZero();

        // sub-b deleted: its rows go at the next refresh, the totals at once
        figures.remove(1);
        metrics.refresh();
        assertThat(registry.find(CareMetrics.SUBSCRIPTION_LAG).tag(CareMetrics.SUBSCRIPTION, "sub-b").gauge()).isNull();
        assertThat(registry.find(CareMetrics.SUBSCRIPTION_PARKED).tag(CareMetrics.SUBSCRIPTION, "sub-b").gauge())
                .isNull();
        assertThat(registry.get(CareMetrics.DELIVERY_LAG).gauge().value()).isEqualTo(5.0);
        assertThat(registry.get(CareMetrics.SUBSCRIPTIONS).tag(CareMetrics.STATE, "RETRYING").gauge().value())
                .isZero();
        // labels: ids and states only
        for (Meter meter : registry.getMeters()) {
            meter.getId().getTags().forEach(t -> assertThat(t.getKey()).isIn(CareMetrics.SUBSCRIPTION, CareMetrics.STATE));
        }
    }
}
