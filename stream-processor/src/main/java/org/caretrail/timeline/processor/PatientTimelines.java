package org.caretrail.timeline.processor;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.caretrail.timeline.domain.EncodedSize;
import org.caretrail.events.model.ChangeKind;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;
import org.caretrail.timeline.domain.CareItem;
import org.caretrail.timeline.domain.TimelineChanges;
import org.caretrail.timeline.domain.TimelineOrder;
import org.caretrail.timeline.domain.HospitalSpells;
import org.caretrail.timeline.domain.SummaryBudget;
import org.caretrail.timeline.domain.TimelineSummaries;

/**
 * Patients' timelines in the stores ({@link TimelineStores}): the one place that changes them. Every change
 * of a care item goes through {@link #replace}, which keeps the items, the order index, the spell index and
 * the summary in step and says what subscribers must be told. Shared by the processors of the timeline
 * sub-topology (builder, merges, merge placer), which run in one task per partition.
 */
final class PatientTimelines {

    /**
     * What one item change looks like on the timeline: its displayed entry before and after (null: none), and
     * whether anything shown (entries, summary) changed.
     */
    record ItemChange(TimelineEntry before, TimelineEntry after, boolean shown) {
        /** The change subscribers are told of, if any. */
        Optional<ChangeKind> kind() {
            return TimelineChanges.between(before, after);
        }

        /** The entry a change announces: the new one, or the old one marked WITHDRAWN when the item left. */
        TimelineEntry announced() {
            return after != null ? after
                    : TimelineEntry.newBuilder(before).setStatus(EntryStatus.WITHDRAWN).build();
        }
    }

    private final KeyValueStore<String, CareItem> items;
    private final KeyValueStore<String, String> order;
    private final KeyValueStore<String, TimelineSummary> summaries;
    private final KeyValueStore<String, String> spells;
    private final KeyValueStore<String, String> pending;
    private final TimelineReader reader;

    PatientTimelines(ProcessorContext<?, ?> context) {
        this.items = context.getStateStore(TimelineStores.ITEMS);
        this.order = context.getStateStore(TimelineStores.ORDER);
        this.summaries = context.getStateStore(TimelineStores.SUMMARIES);
        this.spells = context.getStateStore(TimelineStores.SPELLS);
        this.pending = context.getStateStore(TimelineStores.PENDING);
        this.reader = new TimelineReader(items, order, summaries);
    }

    TimelineReader reader() {
        return reader;
    }

    CareItem item(String nhs, String entryId) {
        return items.get(nhs + "|" + entryId);
    }

    Optional<TimelineSummary> summary(String nhs) {
        return Optional.ofNullable(summaries.get(nhs));
    }

    /** The entryIds of every item of the patient (visible or not). */
    List<String> entryIds(String nhs) {
        List<String> ids = new ArrayList<>();
        int prefix = TimelineStores.from(nhs).length();
        keys(items, nhs).forEach(k -> ids.add(k.substring(prefix)));
        return ids;
    }

    /**
     * Replaces one item ({@code before} → {@code after}; null: absent) and keeps the order index, spell index
     * and summary in step. A change of the set that shows nothing new touches only the item; an item that
     * leaves the timeline is uncounted; a patient left with nothing loses its summary.
     */
    ItemChange replace(String nhs, CareItem before, CareItem after, Instant now) {
        CareItem any = after != null ? after : before;
        String entryId = any.entryId();
        if (after == null) {
            items.delete(nhs + "|" + entryId);
        } else {
            items.put(nhs + "|" + entryId, after);
        }
        TimelineEntry was = before == null ? null : before.displayed();
        TimelineEntry is = after == null ? null : after.displayed();
        boolean admissionSeenChanged = any.winner().getType() == EventType.ADMISSION
                && (before != null && before.statedByNew()) != (after != null && after.statedByNew());
        if (Objects.equals(was, is) && !admissionSeenChanged) {
            return new ItemChange(was, is, false); // nothing shown changed
        }
        if (was != null) {
            order.delete(nhs + "|" + TimelineOrder.sortKey(was));
        }
        if (is != null) {
            order.put(nhs + "|" + TimelineOrder.sortKey(is), (current(is) ? "C|" : "W|") + is.getEntryId());
        }
        indexSpellMember(nhs, was, is);
        TimelineSummary summary = summaries.get(nhs);
        if (summary == null) {
            summary = TimelineSummaries.empty();
        }
        TimelineSummaries.count(summary, was, is);
        TimelineSummaries.update(summary, was, is, viewSource(nhs), now);
        List<TimelineEntry> first = reader.walk(nhs, null, null, false, false, t -> true, 0, 1);
        List<TimelineEntry> last = reader.walk(nhs, null, null, true, false, t -> true, 0, 1);
        summary.setFirstOccurredAt(first.isEmpty() ? null : first.get(0).getOccurredAt());
        summary.setLastOccurredAt(last.isEmpty() ? null : last.get(0).getOccurredAt());
        if (summary.getTotalEntries() <= 0) {
            summaries.delete(nhs);
        } else {
            summaries.put(nhs, summary);
        }
        return new ItemChange(was, is, true);
    }

    /** Removes everything of the patient: items, order index, spell index, summary, pending record. */
    void deletePatient(String nhs) {
        keys(order, nhs).forEach(order::delete);
        keys(items, nhs).forEach(items::delete);
        keys(spells, nhs).forEach(spells::delete);
        summaries.delete(nhs);
        pending.delete(nhs);
    }

    /** Marks the patient's care.timelines record due (written by the builder's punctuation). */
    void due(String nhs) {
        pending.put(nhs, "");
    }

    /** Patients whose care.timelines record is due; clears the marks. */
    List<String> takeDue() {
        List<String> due = new ArrayList<>();
        try (KeyValueIterator<String, String> it = pending.all()) {
            while (it.hasNext()) {
                due.add(it.next().key);
            }
        }
        due.forEach(pending::delete);
        return due;
    }

    /**
     * The patient's care.timelines record, built to {@code budgetBytes} (Avro binary): the summary within half
     * of it ({@link TimelineSummaries#fitBudget}: the oldest list items left out and counted in
     * {@code omitted}), then as many of the most recent current entries (at most {@code maxEntries}) as the
     * rest holds; {@code truncated} when any current entry is left out. Null when the patient has no timeline.
     */
    Timeline record(String nhs, Instant now, int maxEntries, long budgetBytes) {
        TimelineSummary summary = summaries.get(nhs);
        if (summary == null) {
            return null;
        }
        TimelineSummary shown = SummaryBudget.fitBudget(summary, budgetBytes / 2);
        long room = budgetBytes - EncodedSize.of(shown) - 64; // nhsNumber, updatedAt, lengths
        List<TimelineEntry> newest = reader.walk(nhs, null, null, true, false, t -> true, 0, maxEntries);
        List<TimelineEntry> kept = new ArrayList<>(newest.size());
        for (TimelineEntry e : newest) {
            long size = EncodedSize.of(e);
            if (size > room) {
                break;
            }
            kept.add(e);
            room -= size;
        }
        Collections.reverse(kept);
        return Timeline.newBuilder()
                .setNhsNumber(nhs)
                .setUpdatedAt(now)
                .setSummary(shown)
                .setEntries(kept)
                .setTruncated(summary.getCurrentEntries() > kept.size())
                .build();
    }

    /** Keeps {@link TimelineStores#SPELLS} in step: which items belong to which spell. */
    private void indexSpellMember(String nhs, TimelineEntry before, TimelineEntry after) {
        TimelineEntry any = after != null ? after : before;
        if (!HospitalSpells.isMember(any)) {
            return;
        }
        if (before != null && HospitalSpells.spellId(before) != null) {
            spells.delete(spellKey(nhs, before));
        }
        if (after != null && HospitalSpells.spellId(after) != null) {
            spells.put(spellKey(nhs, after), "");
        }
    }

    private static String spellKey(String nhs, TimelineEntry e) {
        return nhs + "|" + e.getSource().getOdsCode() + "|" + HospitalSpells.spellId(e) + "|" + e.getEntryId();
    }

    private TimelineSummaries.ViewSource viewSource(String nhs) {
        return new TimelineSummaries.ViewSource() {
            @Override
            public Collection<TimelineEntry> itemsOfType(EventType type) {
                return reader.itemsOfType(nhs, type);
            }

            @Override
            public Collection<TimelineEntry> spellMembers(String odsCode, String spellId) {
                List<TimelineEntry> members = new ArrayList<>();
                String prefix = nhs + "|" + odsCode + "|" + spellId + "|";
                try (KeyValueIterator<String, String> it = spells.prefixScan(prefix, Serdes.String().serializer())) {
                    while (it.hasNext()) {
                        String entryId = it.next().key.substring(prefix.length());
                        reader.entry(nhs, entryId).ifPresent(members::add);
                    }
                }
                return members;
            }

            @Override
            public List<TimelineEntry> entriesAfter(Instant t, int limit) {
                return reader.walk(nhs, t.plusMillis(1), null, false, false, type -> true, 0, limit);
            }

            @Override
            public long countAfter(Instant t, Predicate<EventType> types) {
                return reader.count(nhs, t.plusMillis(1), null, false, types);
            }

            @Override
            public boolean admissionSeen(TimelineEntry admission) {
                return reader.item(nhs, admission.getEntryId()).map(CareItem::statedByNew).orElse(false);
            }
        };
    }

    private static <V> List<String> keys(KeyValueStore<String, V> store, String nhs) {
        List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, V> it = store.prefixScan(TimelineStores.from(nhs),
                Serdes.String().serializer())) {
            while (it.hasNext()) {
                KeyValue<String, V> kv = it.next();
                keys.add(kv.key);
            }
        }
        return keys;
    }

    private static boolean current(TimelineEntry e) {
        return e.getStatus() == EntryStatus.CURRENT;
    }
}
