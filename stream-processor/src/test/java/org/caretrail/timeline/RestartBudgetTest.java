package org.caretrail.timeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.errors.StreamsException;
import org.caretrail.events.serde.SchemaRegistryException;
import org.junit.jupiter.api.Test;

/** A stream thread failing again and again for the same cause is not replaced for ever. */
class RestartBudgetTest {

    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-01T10:00:00Z"));
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    };

    private static Throwable commitFailed(long offset) {
        return new StreamsException("task 0_1 failed at offset " + offset,
                new KafkaException("Error encountered trying to commit a transaction",
                        new org.apache.kafka.common.errors.RecordTooLargeException("The message is " + (1_380_000 + offset)
                                + " bytes when serialized which is larger than 1048576")));
    }

    @Test
    void theSameCauseIsReplacedABoundedNumberOfTimesWithGrowingPausesThenGivenUp() {
        RestartBudget budget = new RestartBudget(3, Duration.ofMinutes(10), clock);
        RestartBudget.Decision first = budget.onFailure(commitFailed(1));
        assertThat(first.giveUp()).isFalse();
        assertThat(first.pause()).isEqualTo(Duration.ofSeconds(2));
        assertThat(first.cause()).startsWith("RecordTooLargeException: The message is");
        assertThat(budget.onFailure(commitFailed(2)).pause()).isEqualTo(Duration.ofSeconds(4));
        assertThat(budget.onFailure(commitFailed(3)).giveUp()).isFalse();
        RestartBudget.Decision fourth = budget.onFailure(commitFailed(4));
        assertThat(fourth.giveUp()).as("the numbers in the message differ; the cause is the same").isTrue();
        assertThat(fourth.failuresInWindow()).isEqualTo(4);
    }

    @Test
    void failuresOutsideTheWindowAndOtherCausesDoNotCount() {
        RestartBudget budget = new RestartBudget(1, Duration.ofMinutes(10), clock);
        assertThat(budget.onFailure(commitFailed(1)).giveUp()).isFalse();
        now.set(now.get().plus(Duration.ofMinutes(11)));
        assertThat(budget.onFailure(commitFailed(2)).giveUp()).isFalse();
        assertThat(budget.onFailure(new IllegalStateException("disk full")).giveUp()).isFalse();
        assertThat(budget.onFailure(commitFailed(3)).giveUp()).isTrue();
    }

    @Test
    void anUnreachableRegistryIsWaitedForNotGivenUpOn() {
        RestartBudget budget = new RestartBudget(1, Duration.ofMinutes(10), clock);
        Throwable outage = new StreamsException("cannot decode",
                new SchemaRegistryException("cannot reach the schema registry", -1));
        RestartBudget.Decision last = null;
        for (int i = 0; i < 20; i++) {
            last = budget.onFailure(outage);
            assertThat(last.giveUp()).isFalse();
            assertThat(last.waiting()).isTrue();
        }
        assertThat(last.pause()).isEqualTo(Duration.ofMinutes(1));
    }
}
