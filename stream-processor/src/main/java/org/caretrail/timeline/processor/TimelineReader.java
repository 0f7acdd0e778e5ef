package org.caretrail.timeline.processor;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;
import org.caretrail.timeline.domain.CareItem;
import org.caretrail.timeline.domain.TimelineOrder;

/**
 * Reads one patient's timeline from the stores (see {@link TimelineStores} for the key layout),
 * walking the order index by range scan so no read ever loads the whole history. Used by the
 * timeline builder and by the interactive queries alike.
 */
public final class TimelineReader {

    private final ReadOnlyKeyValueStore<String, CareItem> items;
    private final ReadOnlyKeyValueStore<String, String> order;
    private final ReadOnlyKeyValueStore<String, TimelineSummary> summaries;
    private final ReadOnlyKeyValueStore<String, Redirects> mergedInto;

    public TimelineReader(ReadOnlyKeyValueStore<String, CareItem> items, ReadOnlyKeyValueStore<String, String> order,
            ReadOnlyKeyValueStore<String, TimelineSummary> summaries) {
        this(items, order, summaries, null);
    }

    /** With the merge redirects, for {@link #mergedInto}. */
    public TimelineReader(ReadOnlyKeyValueStore<String, CareItem> items, ReadOnlyKeyValueStore<String, String> order,
            ReadOnlyKeyValueStore<String, TimelineSummary> summaries,
            ReadOnlyKeyValueStore<String, Redirects> mergedInto) {
        this.items = items;
        this.order = order;
        this.summaries = summaries;
        this.mergedInto = mergedInto;
    }

    /** The NHS number this one was merged into (MERGE or SUPERSEDE), if it was and the store is known. */
    public Optional<String> mergedInto(String nhs) {
        if (mergedInto == null) {
            return Optional.empty();
        }
        Redirects r = mergedInto.get(nhs);
        return r == null ? Optional.empty() : Optional.ofNullable(r.survivor());
    }

    /**
     * Every care item as it was known from the events recorded at or before {@code asOf} (items with no event
     * recorded by then left out): the same rules, applied to the events known then. Reads every item of the
     * patient.
     */
    public List<CareItem> itemsAsOf(String nhs, Instant asOf) {
        List<CareItem> result = new ArrayList<>();
        try (KeyValueIterator<String, CareItem> it = items.prefixScan(nhs + "|", Serdes.String().serializer())) {
            while (it.hasNext()) {
                CareItem item = it.next().value;
                CareItem known = item == null ? null : item.knownAt(asOf);
                if (known != null) {
                    result.add(known);
                }
            }
        }
        return result;
    }

    /**
     * Every item's displayed entry as it was known from the events recorded at or before {@code asOf}
     * (current and withdrawn), in timeline order.
     */
    public List<TimelineEntry> asOf(String nhs, Instant asOf) {
        return displayed(itemsAsOf(nhs, asOf));
    }

    /** The displayed entries of {@code items} (invisible ones left out), in timeline order. */
    public static List<TimelineEntry> displayed(Collection<CareItem> items) {
        List<TimelineEntry> result = new ArrayList<>();
        for (CareItem item : items) {
            TimelineEntry shown = item.displayed();
            if (shown != null) {
                result.add(shown);
            }
        }
        result.sort(TimelineOrder.ORDER);
        return result;
    }

    public Optional<TimelineSummary> summary(String nhs) {
        return Optional.ofNullable(summaries.get(nhs));
    }

    /** The care item (all its events), if known. */
    public Optional<CareItem> item(String nhs, String entryId) {
        return Optional.ofNullable(items.get(nhs + "|" + entryId));
    }

    /** The displayed entry of one care item (empty while it is invisible: only cancellations known). */
    public Optional<TimelineEntry> entry(String nhs, String entryId) {
        CareItem item = items.get(nhs + "|" + entryId);
        return item == null ? Optional.empty() : Optional.ofNullable(item.displayed());
    }

    /** Displayed entries (current and withdrawn) of every care item of one type. */
    public Collection<TimelineEntry> itemsOfType(String nhs, EventType type) {
        List<TimelineEntry> result = new ArrayList<>();
        try (KeyValueIterator<String, CareItem> it = items.prefixScan(nhs + "|" + type.name() + "|",
                Serdes.String().serializer())) {
            it.forEachRemaining(kv -> {
                TimelineEntry shown = kv.value == null ? null : kv.value.displayed();
                if (shown != null) {
                    result.add(shown);
                }
            });
        }
        return result;
    }

    /**
     * Walks the timeline in order (or newest first), from {@code from} to {@code to} occurredAt
     * (inclusive; null for open), skipping {@code skip} matching entries and returning at most
     * {@code limit}. {@code withdrawn} includes withdrawn entries (history); {@code type} filters
     * on the index before any item is read.
     */
    public List<TimelineEntry> walk(String nhs, Instant from, Instant to, boolean newestFirst, boolean withdrawn,
            Predicate<EventType> type, long skip, int limit) {
        String lo = from == null ? TimelineStores.from(nhs) : nhs + "|" + TimelineOrder.sortable(from);
        String hi = to == null ? TimelineStores.to(nhs)
                : nhs + "|" + TimelineOrder.sortable(to.plusMillis(1));
        List<TimelineEntry> result = new ArrayList<>();
        long skipped = 0;
        try (KeyValueIterator<String, String> it = newestFirst ? order.reverseRange(lo, hi) : order.range(lo, hi)) {
            while (it.hasNext() && result.size() < limit) {
                KeyValue<String, String> kv = it.next();
                if (kv.value == null) {
                    continue; // a deletion the store's cache still holds, seen through a reverse range
                }
                if (!withdrawn && kv.value.charAt(0) != 'C') {
                    continue;
                }
                if (!type.test(typeOf(kv.value))) {
                    continue;
                }
                String entryId = kv.value.substring(2);
                if (skipped < skip) {
                    skipped++;
                    continue;
                }
                CareItem item = items.get(nhs + "|" + entryId);
                TimelineEntry shown = item == null ? null : item.displayed();
                if (shown != null) {
                    result.add(shown);
                }
            }
        }
        return result;
    }

    /** Counts index entries matching the filters between {@code from} and {@code to} (for paging totals). */
    public long count(String nhs, Instant from, Instant to, boolean withdrawn, Predicate<EventType> type) {
        String lo = from == null ? TimelineStores.from(nhs) : nhs + "|" + TimelineOrder.sortable(from);
        String hi = to == null ? TimelineStores.to(nhs) : nhs + "|" + TimelineOrder.sortable(to.plusMillis(1));
        long n = 0;
        try (KeyValueIterator<String, String> it = order.range(lo, hi)) {
            while (it.hasNext()) {
                String v = it.next().value;
                if (v != null && (withdrawn || v.charAt(0) == 'C') && type.test(typeOf(v))) {
                    n++;
                }
            }
        }
        return n;
    }

    private static final EventType[] TYPES = EventType.values();

    /** The entry type in an order-index value {@code S|TYPE|odsCode|subjectId}, without allocating. */
    static EventType typeOf(String indexValue) {
        int end = indexValue.indexOf('|', 2);
        for (EventType t : TYPES) {
            String name = t.name();
            if (name.length() == end - 2 && indexValue.startsWith(name, 2)) {
                return t;
            }
        }
        throw new IllegalStateException("order index value without a known type: " + indexValue);
    }

    /** The most recent {@code n} current entries, in timeline order. */
    public List<TimelineEntry> latest(String nhs, int n) {
        List<TimelineEntry> newest = walk(nhs, null, null, true, false, t -> true, 0, n);
        List<TimelineEntry> inOrder = new ArrayList<>(newest);
        java.util.Collections.reverse(inOrder);
        return inOrder;
    }
}
