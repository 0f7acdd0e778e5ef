package org.caretrail.producers.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.caretrail.producers.publisher.CarePublisher;
import org.junit.jupiter.api.Test;

class SimulationRunnerTest {

    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T14:00:00Z"), ZoneOffset.UTC);

    @Test
    void publishesEverySimulatedEventToItsTopicKeyedByPatient() {
        MockProducer<String, byte[]> producer = TestPublishers.autoCompleting();
        PopulationSimulator sim = new PopulationSimulator(3, 100, CLOCK);
        List<SpecificRecord> expected = sim.events().toList();
        List<SimulationRunner.Progress> progress = Collections.synchronizedList(new ArrayList<>());
        try (CarePublisher publisher = TestPublishers.over(producer)) {
            SimulationRunner.Result result = new SimulationRunner(EventSink.publisher(publisher),
                    SimulationRunner.Settings.unlimited(), progress::add).run(sim.events());
            assertThat(result.sent()).isEqualTo(expected.size());
            assertThat(result.acknowledged()).isEqualTo(expected.size());
            assertThat(result.failed()).isZero();
            assertThat(result.stopped()).isFalse();
        }
        List<ProducerRecord<String, byte[]>> sent = producer.history();
        assertThat(sent).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            assertThat(sent.get(i).topic()).isEqualTo(CareEventType.of(expected.get(i)).topic());
            assertThat(sent.get(i).key()).isEqualTo(CareEvents.patientKey(expected.get(i)));
        }
        assertThat(progress).last().satisfies(p -> {
            assertThat(p.finished()).isTrue();
            assertThat(p.acknowledged()).isEqualTo(expected.size());
        });
    }

    @Test
    void keepsToTheTargetRate() {
        CountingSink sink = new CountingSink();
        long start = System.nanoTime();
        SimulationRunner.Result result = new SimulationRunner(sink, SimulationRunner.Settings.rate(1_000), null)
                .run(new PopulationSimulator(3, 100, CLOCK).events().limit(400));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(result.acknowledged()).isEqualTo(400);
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(380));
        assertThat(took).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void stopEndsARunAndWaitsForWhatIsInFlight() {
        CountingSink sink = new CountingSink();
        SimulationRunner runner = new SimulationRunner(sink, SimulationRunner.Settings.rate(200), null);
        CompletableFuture<SimulationRunner.Result> done = runner.start(
                new PopulationSimulator(3, 10_000, CLOCK).events());
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> sink.count.get() >= 20);
        runner.stop();
        SimulationRunner.Result result = done.join();
        assertThat(result.stopped()).isTrue();
        assertThat(result.sent()).isBetween(20L, 1_000L);
        assertThat(result.acknowledged()).isEqualTo(result.sent());
        assertThat(runner.isRunning()).isFalse();
    }

    @Test
    void countsAndNamesFailuresAndGoesOn() {
        EventSink failingEveryTenth = new EventSink() {
            final AtomicInteger n = new AtomicInteger();

            @Override
            public CompletableFuture<?> send(SpecificRecord event) {
                return n.incrementAndGet() % 10 == 0
                        ? CompletableFuture.failedFuture(new IllegalStateException("broker unavailable"))
                        : CompletableFuture.completedFuture(null);
            }
        };
        SimulationRunner.Result result = new SimulationRunner(failingEveryTenth, SimulationRunner.Settings.unlimited(),
                null).run(new PopulationSimulator(3, 50, CLOCK).events().limit(100));
        assertThat(result.failed()).isEqualTo(10);
        assertThat(result.acknowledged()).isEqualTo(90);
        assertThat(result.firstFailures()).hasSize(10).allMatch(f -> f.contains("broker unavailable"));
    }

    @Test
    void routingSendsAStableShareOfChosenTypesElsewhere() {
        CountingSink adapter = new CountingSink();
        CountingSink kafka = new CountingSink();
        RoutingSink sink = RoutingSink.builder()
                .route(RoutingSink.ofTypes(CareEventType.ADMISSION, CareEventType.TRANSFER, CareEventType.DISCHARGE)
                        .and(RoutingSink.sample(0.5)), adapter)
                .otherwise(kafka);
        List<SpecificRecord> events = new PopulationSimulator(3, 500, CLOCK).events().toList();
        long adt = events.stream().filter(RoutingSink.ofTypes(CareEventType.ADMISSION, CareEventType.TRANSFER,
                CareEventType.DISCHARGE)).count();
        events.forEach(sink::send);
        assertThat(adapter.count.get() + kafka.count.get()).isEqualTo(events.size());
        assertThat((double) adapter.count.get()).isBetween(adt * 0.35, adt * 0.65);
        for (SpecificRecord e : events) {
            assertThat(sink.sinkFor(e)).isSameAs(sink.sinkFor(e));
            if (!RoutingSink.ofTypes(CareEventType.ADMISSION, CareEventType.TRANSFER, CareEventType.DISCHARGE)
                    .test(e)) {
                assertThat(sink.sinkFor(e)).isSameAs(kafka);
            }
        }
    }

    static final class CountingSink implements EventSink {
        final AtomicInteger count = new AtomicInteger();

        @Override
        public CompletableFuture<?> send(SpecificRecord event) {
            count.incrementAndGet();
            return CompletableFuture.completedFuture(null);
        }
    }
}
