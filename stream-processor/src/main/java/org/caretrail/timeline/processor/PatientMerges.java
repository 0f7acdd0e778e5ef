package org.caretrail.timeline.processor;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.ChangeKind;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;
import org.caretrail.timeline.domain.CareItem;
import org.caretrail.timeline.domain.TimelineChanges;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merges of two NHS numbers (design rule 4): a {@code MERGE} (HL7 A40) or {@code SUPERSEDE} identity
 * event, keyed by the superseded NHS number, so it runs in the partition (and task) that holds the
 * superseded patient's timeline, sharing the timeline builder's stores. It
 * <ol>
 *   <li>records {@code superseded → survivor} in {@link TimelineStores#MERGED_INTO}: from then on the
 *       builder sends every entry for the superseded number on to the survivor;
 *   <li>sends every distinct event of the superseded patient's history ({@link TimelineStores#EVENTS}, all
 *       versions and cancellations) to the survivor, keyed by the survivor's NHS number: there the
 *       usual rules (highest version wins, CANCEL withdraws, timeline order) place them, so the survivor's
 *       timeline is the one it would have had had every event named it;
 *   <li>emits one {@code WITHDRAWN} change per entry that was current on the superseded timeline
 *       (changeId {@code eventId|WITHDRAWN|supersededNhs}), deletes the superseded patient's items, order
 *       index, spells, history and summary, and a tombstone for its {@code care.timelines} record.
 * </ol>
 * The superseded patient then holds nothing but the redirect, whether the merge came before or after
 * its events. A second merge of the same number to another survivor re-points the redirect (last one
 * processed wins) but entries already moved stay with the first survivor.
 */
public final class PatientMerges implements Processor<String, PatientIdentity, String, TimelineOutput> {

    private static final Logger LOG = LoggerFactory.getLogger(PatientMerges.class);

    private ProcessorContext<String, TimelineOutput> context;
    private KeyValueStore<String, CareItem> items;
    private KeyValueStore<String, String> order;
    private KeyValueStore<String, TimelineSummary> summaries;
    private KeyValueStore<String, String> pending;
    private KeyValueStore<String, String> spells;
    private KeyValueStore<String, TimelineEntry> events;
    private KeyValueStore<String, String> mergedInto;
    private Sensor merged;
    private Sensor moved;
    private Sensor unsupported;

    /** True for an identity event that merges one NHS number into another (this processor's input). */
    public static boolean mergesNhsNumbers(PatientIdentity id) {
        return id.getKind() != org.caretrail.events.model.IdentityKind.LINK && superseded(id) != null;
    }

    /** The superseded NHS number without spaces, or null. */
    public static String superseded(PatientIdentity id) {
        String s = id.getSupersededNhsNumber();
        return s == null || s.isBlank() ? null : s.replace(" ", "");
    }

    @Override
    public void init(ProcessorContext<String, TimelineOutput> context) {
        this.context = context;
        this.items = context.getStateStore(TimelineStores.ITEMS);
        this.order = context.getStateStore(TimelineStores.ORDER);
        this.summaries = context.getStateStore(TimelineStores.SUMMARIES);
        this.pending = context.getStateStore(TimelineStores.PENDING);
        this.spells = context.getStateStore(TimelineStores.SPELLS);
        this.events = context.getStateStore(TimelineStores.EVENTS);
        this.mergedInto = context.getStateStore(TimelineStores.MERGED_INTO);
        this.merged = context.metrics().addRateTotalSensor(DecodeAndValidate.METRICS_SCOPE, "patient-merges",
                "merged-patients", Sensor.RecordingLevel.INFO);
        this.moved = context.metrics().addRateTotalSensor(DecodeAndValidate.METRICS_SCOPE, "patient-merges",
                "moved-events", Sensor.RecordingLevel.INFO);
        this.unsupported = context.metrics().addRateTotalSensor(DecodeAndValidate.METRICS_SCOPE, "patient-merges",
                "unsupported-identity-events", Sensor.RecordingLevel.INFO);
    }

    @Override
    public void process(Record<String, PatientIdentity> record) {
        PatientIdentity id = record.value();
        String old = record.key();
        String survivor = id.getNhsNumber() == null ? null : id.getNhsNumber().replace(" ", "");
        if (!NhsNumber.isValid(old) || !NhsNumber.isValid(survivor) || old.equals(survivor)) {
            LOG.warn("Identity event {} ({} of {} into {}) is not applied: a merge needs two different valid NHS "
                    + "numbers", id.getHeader().getEventId(), id.getKind(), old, survivor);
            unsupported.record();
            return;
        }
        String previous = mergedInto.get(old);
        if (survivor.equals(previous)) {
            return; // a duplicate: already merged there
        }
        if (previous != null) {
            LOG.warn("NHS number {} was merged into {}, now into {}: later events follow the new survivor; entries "
                    + "already moved stay with {}", old, previous, survivor, previous);
        }
        mergedInto.put(old, survivor);
        merged.record();

        // withdraw what was current, in timeline order, as subscribers saw it
        TimelineSummary summary = summaries.get(old);
        String practice = summary == null ? null : summary.getRegisteredPracticeOdsCode();
        Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
        List<String> orderKeys = keys(order, old);
        for (String key : orderKeys) {
            String value = order.get(key);
            if (value.charAt(0) != 'C') {
                continue;
            }
            CareItem item = items.get(old + "|" + value.substring(2));
            if (item == null) {
                continue;
            }
            TimelineEntry withdrawn = TimelineEntry.newBuilder(item.displayed()).setStatus(EntryStatus.WITHDRAWN)
                    .build();
            TimelineChange change = TimelineChange.newBuilder()
                    .setChangeId(TimelineChanges.changeId(withdrawn, ChangeKind.WITHDRAWN) + "|" + old)
                    .setNhsNumber(old)
                    .setKind(ChangeKind.WITHDRAWN)
                    .setEntry(withdrawn)
                    .setChangedAt(now)
                    .setRegisteredPracticeOdsCode(practice)
                    .build();
            context.forward(new Record<>(old, TimelineOutput.of(change), record.timestamp()));
        }
        // every distinct event goes on to the survivor, where the usual rules place it
        List<String> eventKeys = keys(events, old);
        for (String key : eventKeys) {
            context.forward(new Record<>(survivor, TimelineOutput.moved(events.get(key)), record.timestamp()));
            events.delete(key);
            moved.record();
        }
        orderKeys.forEach(order::delete);
        keys(items, old).forEach(items::delete);
        keys(spells, old).forEach(spells::delete);
        boolean hadTimeline = summary != null;
        summaries.delete(old);
        pending.delete(old);
        if (hadTimeline) {
            context.forward(new Record<>(old, TimelineOutput.tombstone(), record.timestamp()));
        }
        LOG.info("Merged NHS number {} into {} ({} by identity event {}): {} events moved, {} index entries removed",
                old, survivor, id.getKind(), id.getHeader().getEventId(), eventKeys.size(), orderKeys.size());
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
}
