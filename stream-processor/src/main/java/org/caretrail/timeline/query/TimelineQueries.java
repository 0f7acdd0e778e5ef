package org.caretrail.timeline.query;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;
import org.caretrail.timeline.domain.CareItem;
import org.caretrail.timeline.processor.TimelineReader;
import org.caretrail.timeline.processor.TimelineStores;

/**
 * Reads patients' timelines from THIS instance's state stores, a page at a time (a range scan over
 * the order index: a 20,000-entry history is never loaded at once). Which instance owns a patient
 * is {@link TimelineHostLookup}'s job.
 */
public final class TimelineQueries {

    private final Supplier<TimelineReader> reader;

    /** Over any stores, e.g. a TopologyTestDriver's. */
    public TimelineQueries(Supplier<TimelineReader> reader) {
        this.reader = reader;
    }

    /** Over a running application's local stores. */
    public static TimelineQueries of(KafkaStreams streams) {
        return new TimelineQueries(() -> new TimelineReader(
                streams.store(StoreQueryParameters.fromNameAndType(TimelineStores.ITEMS,
                        QueryableStoreTypes.<String, CareItem>keyValueStore())),
                streams.store(StoreQueryParameters.fromNameAndType(TimelineStores.ORDER,
                        QueryableStoreTypes.<String, String>keyValueStore())),
                streams.store(StoreQueryParameters.fromNameAndType(TimelineStores.SUMMARIES,
                        QueryableStoreTypes.<String, TimelineSummary>keyValueStore()))));
    }

    /** The page asked for; empty when this instance knows nothing of the patient. */
    public Optional<TimelinePage> page(TimelineQuery q) {
        TimelineReader r = reader.get();
        Optional<TimelineSummary> summary = r.summary(q.nhsNumber());
        if (summary.isEmpty()) {
            return Optional.empty();
        }
        List<TimelineEntry> entries = r.walk(q.nhsNumber(), q.from(), q.to(), false, q.history(), q::includes,
                (long) q.page() * q.size(), q.size());
        boolean unfiltered = q.from() == null && q.to() == null && q.types().isEmpty();
        long matching = !unfiltered ? r.count(q.nhsNumber(), q.from(), q.to(), q.history(), q::includes)
                : q.history() ? summary.get().getTotalEntries() : summary.get().getCurrentEntries();
        return Optional.of(new TimelinePage(q, summary.get(), entries, matching));
    }
}
