package org.caretrail.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.caretrail.consumers.subscriptions.DeliveryService.Figures;
import org.caretrail.deploy.http.Health;
import org.junit.jupiter.api.Test;

/** The {@code delivery} part of {@code /health}: a receiver's failures are reported, not CareTrail's failure. */
class PlatformPartsTest {

    @Test
    void parkedAndRetryingDeliveriesAreReportedButTheMachineryIsUp() {
        Health.Status status = PlatformParts.delivery(true, List.of(
                new Figures("a", "ACTIVE", 0, 4, 0, 10, true),
                new Figures("b", "RETRYING", 30, 0, 6, 2, true)));
        assertThat(status.up()).isTrue();
        assertThat(status.detail()).contains("2 subscription(s) delivering", "1 retrying",
                "4 parked deliveries in 1 subscription(s)");
    }

    @Test
    void aStoppedDeliveryThreadOrAStoppedServiceIsDownButNotBroken() {
        Health.Status deadThread = PlatformParts.delivery(true, List.of(new Figures("a", "ACTIVE", 0, 0, 0, 0, false)));
        assertThat(deadThread.up()).isFalse();
        assertThat(deadThread.broken()).isFalse();
        assertThat(deadThread.detail()).startsWith("1 subscription delivery thread(s) stopped");
        Health.Status stopped = PlatformParts.delivery(false, List.of());
        assertThat(stopped.up()).isFalse();
        assertThat(stopped.broken()).isFalse();
    }

    @Test
    void noSubscriptionIsUp() {
        assertThat(PlatformParts.delivery(true, List.of()).up()).isTrue();
    }
}
