package org.caretrail.timeline.query;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.timeline.domain.TimelineSummaries;
import org.caretrail.events.model.TimelineSummary;
import org.caretrail.timeline.domain.CareItem;
import org.caretrail.timeline.processor.Redirects;
import org.caretrail.timeline.processor.TimelineReader;
import org.caretrail.timeline.processor.TimelineStores;

/**
 * Reads patients' timelines from THIS instance's state stores, a page at a time (a range scan over
 * the order index: a 20,000-entry history is never loaded at once). Which instance owns a patient
 * is {@link TimelineHostLookup}'s job.
 */
public final class TimelineQueries {

    private final Function<String, TimelineReader> readerFor;
    private final Clock clock;

    /** Over any stores, e.g. a TopologyTestDriver's. */
    public TimelineQueries(Supplier<TimelineReader> reader) {
        this(reader, Clock.systemUTC());
    }

    /** As {@link #TimelineQueries(Supplier)}, with the clock that says what "now" is for the derived views. */
    public TimelineQueries(Supplier<TimelineReader> reader, Clock clock) {
        this(nhs -> reader.get(), clock);
    }

    private TimelineQueries(Function<String, TimelineReader> readerFor, Clock clock) {
        this.readerFor = readerFor;
        this.clock = clock;
    }

    /**
     * Over a running application's local stores: the stores of exactly the partition that holds the
     * patient, so a partition that is not (or not yet) active and running here is an
     * {@link InvalidStateStoreException} (try again, or ask the owner), never a false "unknown patient".
     */
    public static TimelineQueries of(KafkaStreams streams) {
        return of(streams, true);
    }

    /**
     * @param partitionAware false for a single instance without {@code application.server} (Kafka
     *        Streams then has no key metadata): every local partition is read
     */
    public static TimelineQueries of(KafkaStreams streams, boolean partitionAware) {
        if (!partitionAware) {
            return new TimelineQueries((Function<String, TimelineReader>) nhs -> new TimelineReader(
                    streams.store(StoreQueryParameters.fromNameAndType(TimelineStores.ITEMS,
                            QueryableStoreTypes.<String, CareItem>keyValueStore())),
                    streams.store(StoreQueryParameters.fromNameAndType(TimelineStores.ORDER,
                            QueryableStoreTypes.<String, String>keyValueStore())),
                    streams.store(StoreQueryParameters.fromNameAndType(TimelineStores.SUMMARIES,
                            QueryableStoreTypes.<String, TimelineSummary>keyValueStore())),
                    streams.store(StoreQueryParameters.fromNameAndType(TimelineStores.MERGED_INTO,
                            QueryableStoreTypes.<String, Redirects>keyValueStore()))), Clock.systemUTC());
        }
        return new TimelineQueries((Function<String, TimelineReader>) nhs -> {
            KeyQueryMetadata meta = streams.queryMetadataForKey(TimelineStores.SUMMARIES, nhs,
                    Serdes.String().serializer());
            if (meta == null || meta.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
                throw new InvalidStateStoreException("no partition of " + TimelineStores.SUMMARIES
                        + " is known for the patient at the moment");
            }
            int partition = meta.partition();
            return new TimelineReader(
                    streams.store(StoreQueryParameters.fromNameAndType(TimelineStores.ITEMS,
                            QueryableStoreTypes.<String, CareItem>keyValueStore()).withPartition(partition)),
                    streams.store(StoreQueryParameters.fromNameAndType(TimelineStores.ORDER,
                            QueryableStoreTypes.<String, String>keyValueStore()).withPartition(partition)),
                    streams.store(StoreQueryParameters.fromNameAndType(TimelineStores.SUMMARIES,
                            QueryableStoreTypes.<String, TimelineSummary>keyValueStore()).withPartition(partition)),
                    streams.store(StoreQueryParameters.fromNameAndType(TimelineStores.MERGED_INTO,
                            QueryableStoreTypes.<String, Redirects>keyValueStore()).withPartition(partition)));
        }, Clock.systemUTC());
    }

    /**
     * The page asked for; empty when this instance knows nothing of the patient. Throws
     * {@link InvalidStateStoreException} when the patient's partition is not queryable here now.
     */
    public Optional<TimelinePage> page(TimelineQuery q) {
        TimelineReader r = readerFor.apply(q.nhsNumber());
        Optional<TimelineSummary> summary = r.summary(q.nhsNumber());
        if (summary.isEmpty()) {
            return Optional.empty();
        }
        if (q.asOf() != null) {
            return Optional.of(asOf(r, q));
        }
        Instant now = clock.instant();
        List<TimelineEntry> entries = r.walk(q.nhsNumber(), q.from(), q.to(), false, q.history(), q::includes,
                (long) q.page() * q.size(), q.size());
        boolean unfiltered = q.from() == null && q.to() == null && q.types().isEmpty();
        long matching = !unfiltered ? r.count(q.nhsNumber(), q.from(), q.to(), q.history(), q::includes)
                : q.history() ? summary.get().getTotalEntries() : summary.get().getCurrentEntries();
        return Optional.of(new TimelinePage(q, TimelineSummaries.at(summary.get(), now), entries, matching, now));
    }

    /**
     * The NHS number {@code nhs} was merged into (its timeline moved there), if it was. Throws
     * {@link InvalidStateStoreException} as {@link #page} does.
     */
    public Optional<String> mergedInto(String nhs) {
        return readerFor.apply(nhs).mergedInto(nhs);
    }

    /**
     * The timeline as known from events recorded at or before {@code q.asOf()}: every item's set of events
     * cut at that moment, read with the same rules, and the summary derived from those entries.
     */
    private static TimelinePage asOf(TimelineReader r, TimelineQuery q) {
        List<CareItem> items = r.itemsAsOf(q.nhsNumber(), q.asOf());
        List<TimelineEntry> known = TimelineReader.displayed(items);
        java.util.Set<String> admissionsSeen = new java.util.HashSet<>();
        items.stream().filter(CareItem::statedByNew).forEach(i -> admissionsSeen.add(i.entryId()));
        List<TimelineEntry> matching = known.stream()
                .filter(e -> q.history() || e.getStatus() == EntryStatus.CURRENT)
                .filter(e -> q.includes(e.getType()))
                .filter(e -> q.from() == null || !e.getOccurredAt().isBefore(q.from()))
                .filter(e -> q.to() == null || !e.getOccurredAt().isAfter(q.to()))
                .toList();
        int from = (int) Math.min(matching.size(), (long) q.page() * q.size());
        int to = Math.min(matching.size(), from + q.size());
        return new TimelinePage(q, TimelineSummaries.of(known, e -> admissionsSeen.contains(e.getEntryId()),
                q.asOf()), matching.subList(from, to), matching.size(), q.asOf());
    }
}
