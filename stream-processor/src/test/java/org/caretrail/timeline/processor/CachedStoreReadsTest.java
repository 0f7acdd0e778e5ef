package org.caretrail.timeline.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.timeline.CareEventFixtures.T0;
import static org.caretrail.timeline.CareEventFixtures.attendance;
import static org.caretrail.timeline.CareEventFixtures.nhs;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;
import org.caretrail.events.serde.AvroSerde;
import org.caretrail.events.serde.InMemorySchemaRegistry;
import org.caretrail.timeline.domain.CareItem;
import org.caretrail.timeline.domain.TimelineEntries;
import org.caretrail.timeline.domain.TimelineOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The timeline's stores are cached: reads within a commit interval see the cache merged with RocksDB. Kafka
 * Streams 4.3.1 returns, from a reverse range over a cached store, a key written and deleted in the cache (never
 * flushed) with a null value when a stored key follows it; the timeline's reads skip such entries (they are
 * deletions), so a newest-first walk (a care.timelines record, the last entry of a summary) never fails on one.
 */
class CachedStoreReadsTest {

    @TempDir
    Path state;

    @Test
    void aNewestFirstWalkSkipsWhatTheCacheDeleted() {
        String nhs = nhs(77);
        List<List<String>> walks = new ArrayList<>();
        InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
        StreamsBuilder b = new StreamsBuilder();
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TimelineStores.ITEMS),
                Serdes.String(), new CareItemSerde(registry)).withCachingEnabled().withLoggingDisabled());
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TimelineStores.ORDER),
                Serdes.String(), Serdes.String()).withCachingEnabled().withLoggingDisabled());
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TimelineStores.SUMMARIES),
                Serdes.String(), AvroSerde.of(TimelineSummary.class, registry)).withCachingEnabled()
                .withLoggingDisabled());
        b.stream("steps", Consumed.with(Serdes.String(), Serdes.String())).process(() -> new Processor<String, String, Void, Void>() {
            private KeyValueStore<String, CareItem> items;
            private KeyValueStore<String, String> order;
            private TimelineReader reader;

            @Override
            public void init(ProcessorContext<Void, Void> context) {
                items = context.getStateStore(TimelineStores.ITEMS);
                order = context.getStateStore(TimelineStores.ORDER);
                reader = new TimelineReader(items, order, context.getStateStore(TimelineStores.SUMMARIES));
            }

            @Override
            public void process(Record<String, String> step) {
                // each step runs in one record (no commit, so no cache flush, between its writes)
                for (String subject : step.value().split(",")) {
                    boolean remove = subject.startsWith("-");
                    String s = remove ? subject.substring(1) : subject;
                    TimelineEntry e = TimelineEntries.fromEvent(attendance(nhs, s,
                            T0.plus(Duration.ofHours(Integer.parseInt(s.substring(1)))), "ae-" + s), nhs);
                    if (remove) {
                        items.delete(nhs + "|" + e.getEntryId());
                        order.delete(nhs + "|" + TimelineOrder.sortKey(e));
                    } else {
                        items.put(nhs + "|" + e.getEntryId(), CareItem.of(e));
                        order.put(nhs + "|" + TimelineOrder.sortKey(e), "C|" + e.getEntryId());
                    }
                }
                walks.add(reader.walk(nhs, null, null, true, true, t -> true, 0, 100).stream()
                        .map(TimelineEntry::getSubjectId).toList());
            }
        }, TimelineStores.ITEMS, TimelineStores.ORDER, TimelineStores.SUMMARIES);
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "cached-reads");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
        try (TopologyTestDriver driver = new TopologyTestDriver(b.build(), p)) {
            var steps = driver.createInputTopic("steps", Serdes.String().serializer(), Serdes.String().serializer());
            steps.pipeInput("k", "a1,a2,a3"); // stored (the driver commits after each record)
            steps.pipeInput("k", "a9,-a9"); // the newest written and deleted within one step: only in the cache
            steps.pipeInput("k", "a5,-a2");
        }
        assertThat(walks).containsExactly(List.of("a3", "a2", "a1"), List.of("a3", "a2", "a1"),
                List.of("a5", "a3", "a1"));
    }
}
