package org.caretrail.timeline.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.timeline.CareEventFixtures.T0;
import static org.caretrail.timeline.CareEventFixtures.attendance;
import static org.caretrail.timeline.CareEventFixtures.nhs;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedForward;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.caretrail.events.model.ChangeKind;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;
import org.caretrail.events.serde.AvroSerde;
import org.caretrail.events.serde.InMemorySchemaRegistry;
import org.caretrail.timeline.domain.TimelineEntries;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The timeline processor on its own, with Kafka Streams' {@link MockProcessorContext} and in-memory
 * stores: what it forwards and stores for one entry, and how an entry follows a merge.
 */
class TimelineProcessorTest {

    private static final String A = nhs(300);
    private static final String B = nhs(310);

    private MockProcessorContext<String, TimelineOutput> context;
    private KeyValueStore<String, String> mergedInto;
    private KeyValueStore<String, ?> items;

    @BeforeEach
    void start() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "timeline-processor-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        context = new MockProcessorContext<>(props);
        context.setCurrentSystemTimeMs(T0.plus(Duration.ofDays(1)).toEpochMilli());
        // the mock names every store's changelog alike, so each Avro store gets a registry of its own
        items = store(TimelineStores.ITEMS, new CareItemSerde(new InMemorySchemaRegistry()));
        store(TimelineStores.ORDER, Serdes.String());
        store(TimelineStores.SUMMARIES, AvroSerde.of(TimelineSummary.class, new InMemorySchemaRegistry()));
        store(TimelineStores.EVENTS, AvroSerde.of(TimelineEntry.class, new InMemorySchemaRegistry()));
        store(TimelineStores.SPELLS, Serdes.String());
        store(TimelineStores.PENDING, Serdes.String());
        mergedInto = store(TimelineStores.MERGED_INTO, Serdes.String());
    }

    private <V> KeyValueStore<String, V> store(String name, Serde<V> values) {
        KeyValueStore<String, V> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name),
                Serdes.String(), values).withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        return store;
    }

    private TimelineProcessor placer() {
        TimelineProcessor processor = TimelineProcessor.forMergedEntries(100, Duration.ZERO, "test-placer");
        processor.init(context);
        return processor;
    }

    private static TimelineEntry entry(String nhs) {
        return TimelineEntries.fromEvent(attendance(nhs, "ae-1", T0, "attendance"));
    }

    private static int hops(CapturedForward<?, ?> forward) {
        var header = forward.record().headers().lastHeader(TimelineProcessor.MERGE_HOPS_HEADER);
        return header == null ? 0 : Integer.parseInt(new String(header.value(), StandardCharsets.UTF_8));
    }

    private double metric(String name) {
        return context.metrics().metrics().entrySet().stream()
                .filter(m -> m.getKey().name().equals(name))
                .mapToDouble(m -> (Double) m.getValue().metricValue()).sum();
    }

    @Test
    void anEntryIsStoredAndAnnouncedOnce() {
        TimelineProcessor processor = placer();
        processor.process(new Record<>(A, entry(A), T0.toEpochMilli()));
        List<? extends CapturedForward<? extends String, ? extends TimelineOutput>> out = context.forwarded();
        assertThat(out).extracting(f -> (String) f.record().key()).containsOnly(A);
        assertThat(out).filteredOn(f -> f.record().value().change() != null).singleElement()
                .satisfies(f -> {
                    assertThat(f.record().value().change().getKind()).isEqualTo(ChangeKind.ADDED);
                    // a placer's change ids carry the NHS number: the merged-away patient may have announced eventId|ADDED
                    assertThat(f.record().value().change().getChangeId()).endsWith("|ADDED|" + A);
                });
        assertThat(out).filteredOn(f -> f.record().value().isTimelineRecord()).hasSize(1);
        assertThat(items.approximateNumEntries()).isEqualTo(1);

        context.resetForwards();
        processor.process(new Record<>(A, entry(A), T0.toEpochMilli()));
        assertThat(context.forwarded()).as("a duplicate changes nothing").isEmpty();
        assertThat(metric("unchanged-events-total")).isEqualTo(1.0);
    }

    @Test
    void anEntryForAMergedAwayPatientGoesOnToTheSurvivorCountingTheHop() {
        mergedInto.put(A, B);
        TimelineProcessor processor = placer();
        RecordHeaders headers = new RecordHeaders();
        headers.add(TimelineProcessor.MERGE_HOPS_HEADER, "3".getBytes(StandardCharsets.UTF_8));
        processor.process(new Record<>(A, entry(A), T0.toEpochMilli(), headers));

        assertThat(context.forwarded()).singleElement().satisfies(f -> {
            assertThat(f.record().key()).isEqualTo(B);
            assertThat(f.record().value().moved()).isEqualTo(entry(A));
            assertThat(hops(f)).isEqualTo(4);
        });
        assertThat(items.approximateNumEntries()).as("nothing stays on the merged-away patient").isZero();
        assertThat(metric("redirected-merged-events-total")).isEqualTo(1.0);
    }

    @Test
    void anEntryThatHasGoneRoundTooManyMergesIsPlacedWhereItIsAndCounted() {
        mergedInto.put(A, B);
        TimelineProcessor processor = placer();
        RecordHeaders headers = new RecordHeaders();
        headers.add(TimelineProcessor.MERGE_HOPS_HEADER,
                Integer.toString(TimelineProcessor.MAX_MERGE_HOPS).getBytes(StandardCharsets.UTF_8));
        processor.process(new Record<>(A, entry(A), T0.toEpochMilli(), headers));

        assertThat(context.forwarded()).extracting(f -> f.record().value().moved()).containsOnlyNulls();
        assertThat(context.forwarded()).extracting(f -> (String) f.record().key()).containsOnly(A);
        assertThat(items.approximateNumEntries()).isEqualTo(1);
        assertThat(metric("merge-cycle-events-total")).isEqualTo(1.0);
        assertThat(metric("redirected-merged-events-total")).isZero();
    }
}
