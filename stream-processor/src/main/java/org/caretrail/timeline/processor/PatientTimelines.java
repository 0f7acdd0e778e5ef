package org.caretrail.timeline.processor;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
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
import org.caretrail.timeline.domain.TimelineRecords;
import org.caretrail.timeline.domain.TimelineSummaries;

/**
 * Patients' timelines in the stores ({@link TimelineStores}): the one place that changes them. Every change
 * of a care item goes through {@link #replace}, which keeps the items, the order index, the spell index and
 * the summary in step and says what subscribers must be told. Shared by the processors of the timeline
 * sub-topology (builder, merges, merge placer), which run in one task per partition.
 *
 * <p>Only the items (and the task's progress) are logged; the order index, spell index, summaries and due marks
 * are derived from them and rebuilt by {@link #rebuildIfNeeded} when they may not match them (see
 * {@link TimelineStores#PENDING}). Each change of an item is numbered ({@link TimelineStores#SEQUENCE}), the item
 * stamped with its number, and the derived stores record the number they show.
 */
final class PatientTimelines {

    /**
     * What one item change looks like on the timeline: its displayed entry before and after (null: none), and
     * whether anything shown (entries, summary) changed.
     */
    record ItemChange(TimelineEntry before, TimelineEntry after, boolean shown, TimelineSummary summary) {
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
    private final KeyValueStore<String, Long> progress;
    private final KeyValueStore<String, String> order;
    private final KeyValueStore<String, TimelineSummary> summaries;
    private final KeyValueStore<String, String> spells;
    private final KeyValueStore<String, String> pending;
    private final TimelineReader reader;

    PatientTimelines(ProcessorContext<?, ?> context) {
        this.items = context.getStateStore(TimelineStores.ITEMS);
        this.progress = context.getStateStore(TimelineStores.PROGRESS);
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
        long sequence = nextSequence();
        if (after == null) {
            items.delete(nhs + "|" + entryId);
        } else {
            items.put(nhs + "|" + entryId, after.stamped(sequence));
        }
        TimelineEntry was = before == null ? null : before.displayed();
        TimelineEntry is = after == null ? null : after.displayed();
        if (!TimelineChanges.shows(before, after)) {
            return new ItemChange(was, is, false, null); // nothing shown changed
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
        TimelineSummaries.change(summary, was, is, viewSource(nhs), now);
        if (summary.getTotalEntries() <= 0) {
            summaries.delete(nhs);
            return new ItemChange(was, is, true, null);
        }
        summaries.put(nhs, summary);
        return new ItemChange(was, is, true, summary);
    }

    /** The next number in the task's sequence of item changes; the derived stores will show it. */
    private long nextSequence() {
        Long last = progress.get(TimelineStores.SEQUENCE);
        long next = (last == null ? 0 : last) + 1;
        progress.put(TimelineStores.SEQUENCE, next);
        pending.put(TimelineStores.BUILT_FROM, Long.toString(next));
        return next;
    }

    /**
     * Rebuilds the derived stores from the items when they may not show what the items hold: when
     * {@code always}, or when the number of the last change they show is not the items' (see
     * {@link TimelineStores#PENDING}). Patients with an item changed since the due records were last written
     * are due again. Returns how many patients were rebuilt (0: nothing to do).
     */
    int rebuildIfNeeded(boolean always, Instant now) {
        Long sequence = progress.get(TimelineStores.SEQUENCE);
        String builtFrom = pending.get(TimelineStores.BUILT_FROM);
        if (!always && Objects.equals(builtFrom, sequence == null ? null : sequence.toString())) {
            return 0;
        }
        for (String store : TimelineStores.derivedStores()) {
            KeyValueStore<String, ?> s = switch (store) {
                case TimelineStores.ORDER -> order;
                case TimelineStores.SUMMARIES -> summaries;
                case TimelineStores.SPELLS -> spells;
                default -> pending;
            };
            List<String> keys = new ArrayList<>();
            try (KeyValueIterator<String, ?> it = s.all()) {
                it.forEachRemaining(kv -> keys.add(kv.key));
            }
            keys.forEach(s::delete);
        }
        Long emitted = progress.get(TimelineStores.EMITTED);
        long emittedUpTo = emitted == null ? 0 : emitted;
        int patients = 0;
        String patient = null;
        List<CareItem> ofPatient = new ArrayList<>();
        try (KeyValueIterator<String, CareItem> it = items.all()) {
            while (it.hasNext()) {
                KeyValue<String, CareItem> kv = it.next();
                if (kv.value == null) {
                    continue;
                }
                String nhs = kv.key.substring(0, kv.key.indexOf('|'));
                if (!nhs.equals(patient)) {
                    patients += rebuild(patient, ofPatient, emittedUpTo, now);
                    patient = nhs;
                    ofPatient.clear();
                }
                ofPatient.add(kv.value);
            }
        }
        patients += rebuild(patient, ofPatient, emittedUpTo, now);
        pending.put(TimelineStores.BUILT_FROM, sequence == null ? "0" : sequence.toString());
        return patients;
    }

    private int rebuild(String nhs, List<CareItem> ofPatient, long emittedUpTo, Instant now) {
        if (nhs == null || ofPatient.isEmpty()) {
            return 0;
        }
        List<TimelineEntry> shown = new ArrayList<>(ofPatient.size());
        java.util.Set<String> admissionsSeen = new java.util.HashSet<>();
        boolean due = false;
        for (CareItem item : ofPatient) {
            due |= item.stamp() > emittedUpTo;
            TimelineEntry e = item.displayed();
            if (e == null) {
                continue;
            }
            shown.add(e);
            if (item.statedByNew()) {
                admissionsSeen.add(e.getEntryId());
            }
            order.put(nhs + "|" + TimelineOrder.sortKey(e), (current(e) ? "C|" : "W|") + e.getEntryId());
            indexSpellMember(nhs, null, e);
        }
        if (!shown.isEmpty()) {
            shown.sort(TimelineOrder.ORDER);
            summaries.put(nhs, TimelineSummaries.of(shown, e -> admissionsSeen.contains(e.getEntryId()), now));
        }
        if (due) {
            pending.put(nhs, "");
        }
        return 1;
    }

    /** Removes everything of the patient: items, order index, spell index, summary, pending record. */
    void deletePatient(String nhs) {
        nextSequence();
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

    /** Patients whose care.timelines record is due (see {@link #written}). */
    List<String> due() {
        List<String> due = new ArrayList<>();
        try (KeyValueIterator<String, String> it = pending.all()) {
            while (it.hasNext()) {
                String key = it.next().key;
                if (!key.equals(TimelineStores.BUILT_FROM)) {
                    due.add(key);
                }
            }
        }
        return due;
    }

    /** The patient's due care.timelines record is being written: its mark goes. */
    void written(String nhs) {
        pending.delete(nhs);
    }

    /** Notes that every due care.timelines record up to the latest change has been written. */
    void emitted() {
        Long sequence = progress.get(TimelineStores.SEQUENCE);
        if (sequence != null) {
            progress.put(TimelineStores.EMITTED, sequence);
        }
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
        return TimelineRecords.build(nhs, summary, reader.walk(nhs, null, null, true, false, t -> true, 0, maxEntries),
                now, maxEntries, budgetBytes);
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

            @Override
            public Instant firstOccurredAt() {
                List<TimelineEntry> first = reader.walk(nhs, null, null, false, false, t -> true, 0, 1);
                return first.isEmpty() ? null : first.get(0).getOccurredAt();
            }

            @Override
            public Instant lastOccurredAt() {
                List<TimelineEntry> last = reader.walk(nhs, null, null, true, false, t -> true, 0, 1);
                return last.isEmpty() ? null : last.get(0).getOccurredAt();
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
