package org.caretrail.timeline.processor;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.ChangeKind;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;
import org.caretrail.timeline.domain.CareItem;
import org.caretrail.timeline.domain.IdentityItem;
import org.caretrail.timeline.domain.TimelineChanges;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merges, unmerges and visit moves of NHS numbers (design rule 4), keyed by the superseded NHS number, so
 * they run in the partition (and task) that holds the superseded patient's timeline, sharing the timeline
 * builder's stores. Identity events come from {@code care.patient-identities} (MERGE/SUPERSEDE naming
 * {@code supersededNhsNumber}) or are derived from a merge by hospital number ({@link IdentityResolver}).
 *
 * <p><b>Whole merges</b> (HL7 A40, A34/A36; SUPERSEDE) and <b>unmerges</b> (A37: the same with
 * {@code header.action = CANCEL}) of one number are one item ({@link IdentityItem}, {@link TimelineStores#MERGES}):
 * whether it is merged, and into whom, is the winner of that set, whatever order its events arrive in. When
 * that changes:
 * <ul>
 *   <li>merged into S (from not merged): {@link TimelineStores#MERGED_INTO} records the redirect; every event of
 *       every item of the superseded patient goes, keyed by S, to the merge placer, which applies the usual
 *       rules there; one {@code WITHDRAWN} change per entry that was current (changeId
 *       {@code eventId|WITHDRAWN|supersededNhs|mergeEventId}); the superseded patient's stores are emptied and
 *       its care.timelines record gets a tombstone. Later events for the number follow to S;
 *   <li>no longer merged into S (undone, or merged elsewhere since): the redirect is removed (or re-pointed)
 *       and S is asked to give back every event whose {@code originNhsNumber} is the number or one of the
 *       numbers whose entries went on through it ({@link TimelineStores#MERGED_FROM}); given back, they are
 *       placed where they belong now (the number itself, or wherever its own merges lead).
 * </ul>
 * <b>Visit moves</b> (a MERGE naming a {@code visit}: HL7 A44 move account, A45 move visit) move only the
 * items of that visit (subjectId = the visit or below it, the identity event's ODS code) to the survivor, now
 * and for every later event; no redirect of anything else, and no undo.
 */
public final class PatientMerges implements Processor<String, PatientIdentity, String, TimelineOutput> {

    private static final Logger LOG = LoggerFactory.getLogger(PatientMerges.class);

    private final int maxEntries;
    private final long recordBudget;
    private ProcessorContext<String, TimelineOutput> context;
    private PatientTimelines timelines;
    private KeyValueStore<String, Redirects> redirects;
    private KeyValueStore<String, IdentityItem> merges;
    private KeyValueStore<String, String> mergedFrom;
    private Sensor merged;
    private Sensor unmerged;
    private Sensor moved;
    private Sensor visits;
    private Sensor unsupported;

    /** With the default care.timelines record settings ({@code timeline.max.entries}, {@code timeline.record.budget}). */
    public PatientMerges() {
        this(org.caretrail.timeline.TimelineSettings.MAX_TIMELINE_ENTRIES.defaultValue(),
                org.caretrail.timeline.TimelineSettings.RECORD_BUDGET.defaultValue());
    }

    /**
     * @param maxEntries most recent entries in a care.timelines record
     * @param recordBudget bytes a care.timelines record is built to
     */
    public PatientMerges(int maxEntries, long recordBudget) {
        this.maxEntries = maxEntries;
        this.recordBudget = recordBudget;
    }

    /** True for an identity event that merges, unmerges or moves a visit of one NHS number (this processor's input). */
    public static boolean mergesNhsNumbers(PatientIdentity id) {
        return id.getKind() != IdentityKind.LINK && superseded(id) != null;
    }

    /** The superseded NHS number in canonical form, or null. */
    public static String superseded(PatientIdentity id) {
        String s = id.getSupersededNhsNumber();
        return s == null || s.isBlank() ? null : NhsNumber.canonicalOrSame(s);
    }

    @Override
    public void init(ProcessorContext<String, TimelineOutput> context) {
        this.context = context;
        this.timelines = new PatientTimelines(context);
        this.redirects = context.getStateStore(TimelineStores.MERGED_INTO);
        this.merges = context.getStateStore(TimelineStores.MERGES);
        this.mergedFrom = context.getStateStore(TimelineStores.MERGED_FROM);
        this.merged = sensor("merged-patients");
        this.unmerged = sensor("unmerged-patients");
        this.moved = sensor("moved-events");
        this.visits = sensor("moved-visits");
        this.unsupported = sensor("unsupported-identity-events");
    }

    private Sensor sensor(String name) {
        return context.metrics().addRateTotalSensor(DecodeAndValidate.METRICS_SCOPE, "patient-merges", name,
                Sensor.RecordingLevel.INFO);
    }

    @Override
    public void process(Record<String, PatientIdentity> record) {
        PatientIdentity id = record.value();
        String old = record.key();
        String survivor = id.getNhsNumber() == null ? null : NhsNumber.canonicalOrSame(id.getNhsNumber());
        boolean undo = id.getHeader().getAction() == org.caretrail.events.model.Action.CANCEL;
        if (!NhsNumber.isValid(old) || (!undo && (!NhsNumber.isValid(survivor) || old.equals(survivor)))) {
            // an unmerge names the merge it undoes through the superseded number; its survivor does not matter
            LOG.warn("Identity event {} ({} of {} into {}) is not applied: a merge needs two different valid NHS "
                    + "numbers", id.getHeader().getEventId(), id.getKind(), old, survivor);
            unsupported.record();
            return;
        }
        if (id.getVisit() != null && !id.getVisit().isBlank()) {
            if (undo) {
                LOG.warn("Identity event {} cancels a visit move ({} of {}): a visit move is not undone; move it back "
                        + "with another", id.getHeader().getEventId(), id.getVisit(), old);
                unsupported.record();
                return;
            }
            moveVisit(record, old, survivor);
            return;
        }
        IdentityItem known = merges.get(old);
        IdentityItem updated = known == null ? IdentityItem.of(List.of(id)) : known.with(id);
        if (updated == known) {
            return; // a duplicate
        }
        merges.put(old, updated);
        Optional<String> target = updated.mergedInto().filter(s -> NhsNumber.isValid(s) && !s.equals(old));
        String cause = updated.mergeWinner().map(e -> e.getHeader().getEventId()).orElse(null);
        Redirects r = Optional.ofNullable(redirects.get(old)).orElse(Redirects.NONE);
        String current = r.survivor();
        if (target.isPresent() && target.get().equals(current)) {
            if (!java.util.Objects.equals(cause, r.cause())) {
                redirects.put(old, r.withSurvivor(current, cause)); // merged again into the same survivor
            }
            return;
        }
        if (target.isEmpty() && current == null) {
            return; // an unmerge of a merge not (yet) known, or a merge into itself
        }
        if (current != null) {
            askBack(record, old, current, cause);
            r = r.withoutSurvivor();
        }
        if (target.isPresent()) {
            r = r.withSurvivor(target.get(), cause);
            store(old, r);
            mergeInto(record, old, target.get(), cause);
        } else {
            store(old, r);
        }
    }

    private void store(String nhs, Redirects r) {
        if (r.isEmpty()) {
            redirects.delete(nhs);
        } else {
            redirects.put(nhs, r);
        }
    }

    /** The merge of {@code old} into {@code survivor} is undone (or re-pointed): ask the survivor for its entries. */
    private void askBack(Record<String, PatientIdentity> record, String old, String survivor, String cause) {
        Set<String> origins = new TreeSet<>();
        origins.add(old);
        try (KeyValueIterator<String, String> it = mergedFrom.prefixScan(TimelineStores.from(old),
                Serdes.String().serializer())) {
            it.forEachRemaining(kv -> origins.add(kv.key.substring(TimelineStores.from(old).length())));
        }
        context.forward(new Record<>(survivor, TimelineOutput.askingBack(), record.timestamp(),
                MoveHeaders.returning(origins, 1, cause, context.applicationId())));
        unmerged.record();
        LOG.info("NHS number {} is no longer merged into {} (identity event {}): asking for the entries of {} back",
                old, survivor, cause, origins);
    }

    /** Moves every event of {@code old} to {@code survivor} and empties {@code old}'s timeline. */
    private void mergeInto(Record<String, PatientIdentity> record, String old, String survivor, String cause) {
        merged.record();
        TimelineSummary summary = timelines.summary(old).orElse(null);
        String practice = summary == null ? null : summary.getRegisteredPracticeOdsCode();
        // withdraw what was current, in timeline order, as subscribers saw it
        for (TimelineEntry shown : timelines.reader().walk(old, null, null, false, false, t -> true, 0,
                Integer.MAX_VALUE)) {
            withdrawn(record, old, shown, practice, cause);
        }
        int events = 0;
        for (String entryId : timelines.entryIds(old)) {
            for (TimelineEntry e : timelines.item(old, entryId).events()) {
                if (e.getOriginNhsNumber() != null && !e.getOriginNhsNumber().equals(old)) {
                    mergedFrom.put(old + "|" + e.getOriginNhsNumber(), "");
                }
                context.forward(new Record<>(survivor, TimelineOutput.moved(e), record.timestamp(),
                        MoveHeaders.moving(1, cause, context.applicationId())));
                moved.record();
                events++;
            }
        }
        timelines.deletePatient(old);
        if (summary != null) {
            context.forward(new Record<>(old, TimelineOutput.tombstone(), record.timestamp()));
        }
        LOG.info("Merged NHS number {} into {} (identity event {}): {} events moved", old, survivor, cause, events);
    }

    /** HL7 A44/A45: one visit's items go to {@code survivor}, now and whenever more of them arrive. */
    private void moveVisit(Record<String, PatientIdentity> record, String old, String survivor) {
        PatientIdentity id = record.value();
        Redirects.VisitMove move = new Redirects.VisitMove(id.getHeader().getSource().getOdsCode(), id.getVisit(),
                survivor, id.getHeader().getEventId());
        Redirects r = Optional.ofNullable(redirects.get(old)).orElse(Redirects.NONE);
        Redirects updated = r.withVisit(move);
        if (updated == r) {
            return; // a duplicate
        }
        redirects.put(old, updated);
        visits.record();
        boolean hadTimeline = timelines.summary(old).isPresent();
        String practice = timelines.summary(old).map(TimelineSummary::getRegisteredPracticeOdsCode).orElse(null);
        List<String> covered = new ArrayList<>();
        for (String entryId : timelines.entryIds(old)) {
            CareItem item = timelines.item(old, entryId);
            if (!move.covers(item.winner())) {
                continue;
            }
            covered.add(entryId);
            for (TimelineEntry e : item.events()) {
                context.forward(new Record<>(survivor, TimelineOutput.moved(e), record.timestamp(),
                        MoveHeaders.moving(1, move.cause(), context.applicationId())));
                moved.record();
            }
            PatientTimelines.ItemChange change = timelines.replace(old, item, null, now());
            if (change.kind().isPresent()) {
                withdrawn(record, old, change.before(), practice, move.cause());
            }
        }
        if (hadTimeline && timelines.summary(old).isEmpty()) {
            context.forward(new Record<>(old, TimelineOutput.tombstone(), record.timestamp()));
        } else if (!covered.isEmpty()) {
            // written at once, not marked due: the items that left leave no stamp to find them by after a crash
            Timeline timeline = timelines.record(old, now(), maxEntries, recordBudget);
            context.forward(new Record<>(old, timeline == null ? TimelineOutput.tombstone()
                    : TimelineOutput.of(timeline), record.timestamp()));
        }
        LOG.info("Visit {} of {} ({}) moved from NHS number {} to {} (identity event {}): {} items", id.getVisit(),
                move.odsCode(), id.getKind(), old, survivor, move.cause(), covered.size());
    }

    private void withdrawn(Record<String, PatientIdentity> record, String nhs, TimelineEntry shown, String practice,
            String cause) {
        TimelineEntry withdrawn = TimelineEntry.newBuilder(shown).setStatus(EntryStatus.WITHDRAWN).build();
        TimelineChange change = TimelineChange.newBuilder()
                .setChangeId(TimelineChanges.changeId(withdrawn, ChangeKind.WITHDRAWN) + "|" + nhs + "|" + cause)
                .setNhsNumber(nhs)
                .setKind(ChangeKind.WITHDRAWN)
                .setEntry(withdrawn)
                .setChangedAt(now())
                .setRegisteredPracticeOdsCode(practice)
                .build();
        context.forward(new Record<>(nhs, TimelineOutput.of(change), record.timestamp()));
    }

    private Instant now() {
        return Instant.ofEpochMilli(context.currentSystemTimeMs());
    }
}
