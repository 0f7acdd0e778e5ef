package org.caretrail.timeline.processor;

import static org.caretrail.timeline.CareEventFixtures.T0;

import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.caretrail.events.model.TimelineSummary;
import org.caretrail.events.serde.AvroSerde;
import org.caretrail.events.serde.InMemorySchemaRegistry;

/**
 * A {@link MockProcessorContext} with the timeline's stores in memory, for testing one processor at a time.
 * The mock names every store's changelog alike, so each Avro store gets a registry of its own.
 */
final class MockTimelineContext {

    static final String APPLICATION_ID = "timeline-processor-test";

    private MockTimelineContext() {
    }

    static <K, V> MockProcessorContext<K, V> create() {
        return create(StreamsConfig.AT_LEAST_ONCE);
    }

    /** With the processing guarantee the stream processor runs under (exactly_once_v2 by default). */
    static <K, V> MockProcessorContext<K, V> create(String guarantee) {
        Properties props = new Properties();
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, APPLICATION_ID);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        MockProcessorContext<K, V> context = new MockProcessorContext<>(props);
        context.setCurrentSystemTimeMs(T0.plus(Duration.ofDays(1)).toEpochMilli());
        return context;
    }

    /** Adds the stores of the timeline sub-topology. */
    static void timelineStores(MockProcessorContext<?, ?> context) {
        store(context, TimelineStores.ITEMS, new CareItemSerde(new InMemorySchemaRegistry()));
        store(context, TimelineStores.PROGRESS, Serdes.Long());
        store(context, TimelineStores.ORDER, Serdes.String());
        store(context, TimelineStores.SUMMARIES, AvroSerde.of(TimelineSummary.class, new InMemorySchemaRegistry()));
        store(context, TimelineStores.SPELLS, Serdes.String());
        store(context, TimelineStores.PENDING, Serdes.String());
        store(context, TimelineStores.MERGED_INTO, new Redirects.RedirectsSerde());
        store(context, TimelineStores.MERGES, new IdentityItemSerde(new InMemorySchemaRegistry()));
        store(context, TimelineStores.MERGED_FROM, Serdes.String());
    }

    /** Adds the stores of identity resolution. */
    static void identityStores(MockProcessorContext<?, ?> context) {
        store(context, TimelineStores.IDENTITY_LINKS, Serdes.String());
        store(context, TimelineStores.IDENTITY_EVENTS, new IdentityItemSerde(new InMemorySchemaRegistry()));
        store(context, TimelineStores.UNRESOLVED, new HeldEvent.HeldEventSerde());
    }

    static <V> KeyValueStore<String, V> store(MockProcessorContext<?, ?> context, String name, Serde<V> values) {
        KeyValueStore<String, V> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name),
                Serdes.String(), values).withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        return store;
    }

    static <V> KeyValueStore<String, V> get(MockProcessorContext<?, ?> context, String name) {
        return context.getStateStore(name);
    }

    static double metric(MockProcessorContext<?, ?> context, String name) {
        return context.metrics().metrics().entrySet().stream()
                .filter(m -> m.getKey().name().equals(name))
                .mapToDouble(m -> (Double) m.getValue().metricValue()).sum();
    }
}
