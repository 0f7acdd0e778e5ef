package org.caretrail.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.timeline.CareEventFixtures.T0;
import static org.caretrail.timeline.CareEventFixtures.admission;
import static org.caretrail.timeline.CareEventFixtures.attendance;
import static org.caretrail.timeline.CareEventFixtures.id;
import static org.caretrail.timeline.CareEventFixtures.nhs;

import java.nio.file.Path;
import java.util.List;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueStore;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.ChangeKind;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.HospitalSpell;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.timeline.processor.TimelineStores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Design rule 4, merges: a MERGE (HL7 A40) or SUPERSEDE of one NHS number into another moves every
 * entry of the superseded patient into the survivor's timeline, whether the merge comes before or
 * after the events; given/when/then through the whole topology.
 */
class PatientMergeTest {

    private static final String OLD = nhs(11);
    private static final String SURVIVOR = nhs(12);

    @TempDir
    Path stateDir;
    TimelineDriver t;

    @BeforeEach
    void start() {
        t = new TimelineDriver(stateDir);
    }

    @AfterEach
    void stop() {
        t.close();
    }

    static PatientIdentity merge(IdentityKind kind, String superseded, String survivor, String eventName) {
        return PatientIdentity.newBuilder()
                .setHeader(CareEventFixtures.header(survivor, "RJ1", ProviderKind.ACUTE, "merge-" + superseded,
                        Action.NEW, 1, T0, eventName))
                .setKind(kind).setNhsNumber(survivor).setSupersededNhsNumber(superseded)
                .build();
    }

    private static List<String> eventIds(List<TimelineEntry> entries) {
        return entries.stream().map(TimelineEntry::getEventId).toList();
    }

    @Test
    void aMergeAfterTheEventsMovesEveryEntryIntoTheSurvivorsTimelineInOrder() {
        // given two timelines for what turns out to be one patient
        t.publish(admission(OLD, "spell-1", Action.NEW, 1, T0, "AMU", "old-admission"),
                attendance(OLD, "ae-2", T0.plusSeconds(240), "old-attendance"),
                attendance(SURVIVOR, "ae-1", T0.plusSeconds(120), "survivor-attendance"));
        t.changes.readValuesToList();
        t.timelines.readValuesToList();
        // when the superseded NHS number is merged into the survivor (HL7 A40)
        t.publish(merge(IdentityKind.MERGE, OLD, SURVIVOR, "a40"));
        // then the survivor's timeline holds every entry, in timeline order
        assertThat(eventIds(t.current(SURVIVOR))).containsExactly(id("old-admission"), id("survivor-attendance"),
                id("old-attendance"));
        var summary = t.reader().summary(SURVIVOR).orElseThrow();
        assertThat(summary.getCurrentEntries()).isEqualTo(3);
        assertThat(summary.getAttendances()).isEqualTo(2);
        assertThat(summary.getSpells()).extracting(HospitalSpell::getSpellId).containsExactly("spell-1");
        assertThat(summary.getSpells().get(0).getDischargedAt()).isNull(); // in hospital now
        // and the superseded patient's timeline is gone: no entries, no history, no summary
        assertThat(t.history(OLD)).isEmpty();
        assertThat(t.reader().summary(OLD)).isEmpty();
        assertThat(t.reader().asOf(OLD, T0.plusSeconds(86_400))).isEmpty();
        // and subscribers are told: WITHDRAWN for the old patient, ADDED for the survivor
        List<TimelineChange> changes = t.changes.readValuesToList();
        assertThat(changes).filteredOn(c -> c.getNhsNumber().equals(OLD))
                .extracting(TimelineChange::getKind, c -> c.getEntry().getEventId(), TimelineChange::getChangeId)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(ChangeKind.WITHDRAWN, id("old-admission"),
                                id("old-admission") + "|WITHDRAWN|" + OLD + "|" + id("a40")),
                        org.assertj.core.groups.Tuple.tuple(ChangeKind.WITHDRAWN, id("old-attendance"),
                                id("old-attendance") + "|WITHDRAWN|" + OLD + "|" + id("a40")));
        assertThat(changes).filteredOn(c -> c.getNhsNumber().equals(OLD))
                .allMatch(c -> c.getEntry().getStatus() == EntryStatus.WITHDRAWN);
        assertThat(changes).filteredOn(c -> c.getNhsNumber().equals(SURVIVOR))
                .extracting(TimelineChange::getKind, TimelineChange::getChangeId)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple(ChangeKind.ADDED,
                                id("old-admission") + "|ADDED|" + SURVIVOR + "|" + id("a40")),
                        org.assertj.core.groups.Tuple.tuple(ChangeKind.ADDED,
                                id("old-attendance") + "|ADDED|" + SURVIVOR + "|" + id("a40")));
        // and the old patient's care.timelines record is deleted (a tombstone), the survivor's is complete
        List<KeyValue<String, Timeline>> records = t.timelines.readKeyValuesToList();
        assertThat(records).filteredOn(kv -> kv.key.equals(OLD)).extracting(kv -> kv.value).containsOnlyNulls()
                .hasSize(1);
        Map<String, Timeline> latest = new java.util.HashMap<>();
        records.forEach(kv -> latest.put(kv.key, kv.value));
        assertThat(eventIds(latest.get(SURVIVOR).getEntries())).containsExactly(id("old-admission"),
                id("survivor-attendance"), id("old-attendance"));
        // and the redirect is recorded
        KeyValueStore<String, org.caretrail.timeline.processor.Redirects> mergedInto =
                t.driver.getKeyValueStore(TimelineStores.MERGED_INTO);
        assertThat(mergedInto.get(OLD).survivor()).isEqualTo(SURVIVOR);
    }

    @Test
    void eventsForTheSupersededNumberAfterTheMergeFollowItToTheSurvivor() {
        // given a merge that arrives before anything about the old NHS number
        t.publish(merge(IdentityKind.MERGE, OLD, SURVIVOR, "a40"));
        t.publish(attendance(SURVIVOR, "ae-1", T0.plusSeconds(120), "survivor-attendance"));
        // when events for the old NHS number arrive
        t.publish(admission(OLD, "spell-1", Action.NEW, 1, T0, "AMU", "old-admission"),
                attendance(OLD, "ae-2", T0.plusSeconds(240), "old-attendance"));
        // then they are placed on the survivor's timeline, in order, and the old number has no timeline
        assertThat(eventIds(t.current(SURVIVOR))).containsExactly(id("old-admission"), id("survivor-attendance"),
                id("old-attendance"));
        assertThat(t.history(OLD)).isEmpty();
        assertThat(t.reader().summary(OLD)).isEmpty();
        List<KeyValue<String, Timeline>> records = t.timelines.readKeyValuesToList();
        assertThat(records).noneMatch(kv -> kv.key.equals(OLD));
        List<TimelineChange> changes = t.changes.readValuesToList();
        assertThat(changes).noneMatch(c -> c.getNhsNumber().equals(OLD));
        assertThat(changes).filteredOn(c -> c.getNhsNumber().equals(SURVIVOR))
                .extracting(TimelineChange::getKind).containsOnly(ChangeKind.ADDED).hasSize(3);
    }

    @Test
    void aSupersededNhsNumberIsMergedTheSameWayAndTheUsualRulesDecideBetweenVersions() {
        // given the same admission stated under both numbers (v2 under the old one) and a cancel of the
        // survivor's attendance sent under the old number
        t.publish(admission(SURVIVOR, "spell-1", Action.NEW, 1, T0, "AMU", "admit-v1"),
                attendance(SURVIVOR, "ae-1", T0.plusSeconds(120), "survivor-attendance"),
                admission(OLD, "spell-1", Action.UPDATE, 2, T0, "Ward 7", "admit-v2"));
        var cancel = attendance(OLD, "ae-1", T0.plusSeconds(120), "cancel-attendance");
        cancel.getHeader().setAction(Action.CANCEL);
        cancel.getHeader().setVersion(2);
        t.publish(cancel);
        // when the old NHS number is superseded
        t.publish(merge(IdentityKind.SUPERSEDE, OLD, SURVIVOR, "supersede"));
        // then the highest version wins and the cancel withdraws the attendance, as if both were sent to the survivor
        assertThat(eventIds(t.current(SURVIVOR))).containsExactly(id("admit-v2"));
        assertThat(t.current(SURVIVOR).get(0).getDetails().get("ward")).isEqualTo("Ward 7");
        assertThat(t.history(SURVIVOR)).extracting(TimelineEntry::getStatus)
                .containsExactly(EntryStatus.CURRENT, EntryStatus.WITHDRAWN);
        assertThat(t.history(OLD)).isEmpty();
        // and a later event for the superseded number follows
        t.publish(attendance(OLD, "ae-3", T0.plusSeconds(600), "late"));
        assertThat(eventIds(t.current(SURVIVOR))).containsExactly(id("admit-v2"), id("late"));
        assertThat(t.history(OLD)).isEmpty();
    }

    @Test
    void theSurvivorsTimelineIsTheSameWhetherTheMergeComesFirstOrLast(@TempDir Path other) {
        List<org.apache.avro.specific.SpecificRecord> events = List.of(
                admission(OLD, "spell-1", Action.NEW, 1, T0, "AMU", "old-admission"),
                CareEventFixtures.transfer(SURVIVOR, "tr-1", "spell-1", Action.NEW, 1, T0.plusSeconds(3600), "AMU",
                        "Ward 9", "survivor-transfer"),
                attendance(OLD, "ae-2", T0.plusSeconds(240), "old-attendance"),
                attendance(SURVIVOR, "ae-1", T0.plusSeconds(120), "survivor-attendance"));
        PatientIdentity a40 = merge(IdentityKind.MERGE, OLD, SURVIVOR, "a40");
        t.publish(a40);
        t.publish(events);
        try (TimelineDriver last = new TimelineDriver(other)) {
            last.publish(events);
            last.publish(a40);
            assertThat(last.history(SURVIVOR)).isEqualTo(t.history(SURVIVOR));
            assertThat(last.history(OLD)).isEqualTo(t.history(OLD)).isEmpty();
            assertThat(org.caretrail.events.json.CareEventJson.toJson(last.reader().summary(SURVIVOR).orElseThrow())
                    .toString()).isEqualTo(org.caretrail.events.json.CareEventJson.toJson(
                            t.reader().summary(SURVIVOR).orElseThrow()).toString());
            assertThat(last.reader().asOf(SURVIVOR, T0.plusSeconds(86_400)))
                    .isEqualTo(t.reader().asOf(SURVIVOR, T0.plusSeconds(86_400)));
            assertThat(last.reader().summary(SURVIVOR).orElseThrow().getSpells().get(0).getCurrentWard())
                    .isEqualTo("Ward 9");
        }
    }

    @Test
    void aLocalIdentifierLinkedToTheSupersededNumberFollowsTheMerge() {
        // given a merge, then a link of a hospital number to the old NHS number
        t.publish(merge(IdentityKind.MERGE, OLD, SURVIVOR, "a40"));
        t.publish(CareEventFixtures.localOnly(attendance(OLD, "ae-9", T0, "local-only"), "RJ1-MRN", "M77"));
        t.publish(PatientIdentity.newBuilder()
                .setHeader(CareEventFixtures.header(OLD, "RJ1", ProviderKind.ACUTE, "link-M77", Action.NEW, 1, T0,
                        "link"))
                .setKind(IdentityKind.LINK).setNhsNumber(OLD).setLocalId(new LocalIdentifier("RJ1-MRN", "M77"))
                .build());
        // then the released event lands on the survivor
        assertThat(eventIds(t.current(SURVIVOR))).containsExactly(id("local-only"));
        assertThat(t.history(OLD)).isEmpty();
    }

    @Test
    void aMergeOfALocalIdentityAndAnNhsNumberDoesBoth() {
        // given an old NHS number with a timeline and a hospital number with a held event
        t.publish(attendance(OLD, "ae-1", T0, "old-attendance"));
        t.publish(CareEventFixtures.localOnly(attendance(OLD, "ae-2", T0.plusSeconds(60), "held"), "RJ1-MRN", "M5"));
        // when an A40 names both as merged away into the survivor
        PatientIdentity a40 = merge(IdentityKind.MERGE, OLD, SURVIVOR, "a40");
        a40.setLocalId(new LocalIdentifier("RJ1-MRN", "M5"));
        t.publish(a40);
        // then both are on the survivor's timeline
        assertThat(eventIds(t.current(SURVIVOR))).containsExactly(id("old-attendance"), id("held"));
        assertThat(t.history(OLD)).isEmpty();
    }

    @Test
    void aRepeatedMergeChangesNothingMore() {
        t.publish(attendance(OLD, "ae-1", T0, "old-attendance"));
        t.publish(merge(IdentityKind.MERGE, OLD, SURVIVOR, "a40"));
        t.changes.readValuesToList();
        t.timelines.readValuesToList();
        t.publish(merge(IdentityKind.MERGE, OLD, SURVIVOR, "a40"));
        assertThat(t.changes.readValuesToList()).isEmpty();
        assertThat(t.timelines.readValuesToList()).isEmpty();
        assertThat(eventIds(t.current(SURVIVOR))).containsExactly(id("old-attendance"));
    }

    @Test
    void aMergeOfANumberIntoItselfIsIgnored() {
        t.publish(attendance(OLD, "ae-1", T0, "old-attendance"));
        t.publish(merge(IdentityKind.SUPERSEDE, OLD, OLD, "self"));
        assertThat(eventIds(t.current(OLD))).containsExactly(id("old-attendance"));
        assertThat(t.driver.metrics().entrySet().stream()
                .filter(e -> e.getKey().name().equals("unsupported-identity-events-total"))
                .mapToDouble(e -> (Double) e.getValue().metricValue()).sum()).isEqualTo(1.0);
    }

    @Test
    void aChainOfTwoMergesEndsOnTheLastSurvivorAndLaterEventsFollowBothHops() {
        String third = nhs(13);
        // given A merged into B, then B merged into C
        t.publish(attendance(OLD, "ae-1", T0, "a-attendance"),
                attendance(SURVIVOR, "ae-2", T0.plusSeconds(60), "b-attendance"));
        t.publish(merge(IdentityKind.MERGE, OLD, SURVIVOR, "a-into-b"));
        t.publish(merge(IdentityKind.SUPERSEDE, SURVIVOR, third, "b-into-c"));
        // then C holds everything, A and B nothing
        assertThat(eventIds(t.current(third))).containsExactly(id("a-attendance"), id("b-attendance"));
        assertThat(t.history(OLD)).isEmpty();
        assertThat(t.history(SURVIVOR)).isEmpty();
        // when events arrive for A and for B
        t.publish(attendance(OLD, "ae-3", T0.plusSeconds(120), "late-a"),
                attendance(SURVIVOR, "ae-4", T0.plusSeconds(180), "late-b"));
        // then they follow to C (A's over two hops)
        assertThat(eventIds(t.current(third))).containsExactly(id("a-attendance"), id("b-attendance"), id("late-a"),
                id("late-b"));
        assertThat(t.history(OLD)).isEmpty();
        assertThat(t.history(SURVIVOR)).isEmpty();
    }

    @Test
    void aChainOfFourMergesIsFollowedToItsEnd() {
        String c = nhs(40);
        String d = nhs(50);
        String e = nhs(60);
        assertThat(List.of(OLD, SURVIVOR, c, d, e)).doesNotHaveDuplicates();
        // given A → B → C → D → E, each merge known before any event
        t.publish(merge(IdentityKind.MERGE, OLD, SURVIVOR, "a-into-b"),
                merge(IdentityKind.MERGE, SURVIVOR, c, "b-into-c"),
                merge(IdentityKind.SUPERSEDE, c, d, "c-into-d"),
                merge(IdentityKind.MERGE, d, e, "d-into-e"));
        // when events arrive for A and for C
        t.publish(attendance(OLD, "ae-1", T0, "late-a"), attendance(c, "ae-2", T0.plusSeconds(60), "late-c"));
        // then both end on E, over four and two hops, and nothing stays on the way
        assertThat(eventIds(t.current(e))).containsExactly(id("late-a"), id("late-c"));
        for (String mergedAway : List.of(OLD, SURVIVOR, c, d)) {
            assertThat(t.history(mergedAway)).as(mergedAway).isEmpty();
        }
        assertThat(metric("redirected-merged-events-total")).isEqualTo(4.0 + 2.0);
        assertThat(metric("merge-cycle-events-total")).isZero();
    }

    @Test
    void contradictoryMergesThatFormACycleStopAndSaySo() {
        String c = nhs(40);
        assertThat(List.of(OLD, SURVIVOR, c)).doesNotHaveDuplicates();
        // A → B, B → C, C → A: every number is merged away, so an entry would go round for ever
        t.publish(merge(IdentityKind.MERGE, OLD, SURVIVOR, "a-into-b"),
                merge(IdentityKind.MERGE, SURVIVOR, c, "b-into-c"),
                merge(IdentityKind.MERGE, c, OLD, "c-into-a"));
        t.publish(attendance(OLD, "ae-1", T0, "late-a"));
        // then it is placed once, after the hop limit, and counted
        List<String> everywhere = new java.util.ArrayList<>();
        for (String patient : List.of(OLD, SURVIVOR, c)) {
            everywhere.addAll(eventIds(t.current(patient)));
        }
        assertThat(everywhere).containsExactly(id("late-a"));
        assertThat(metric("merge-cycle-events-total")).isEqualTo(1.0);
        assertThat(metric("redirected-merged-events-total"))
                .isEqualTo((double) org.caretrail.timeline.processor.TimelineProcessor.MAX_MERGE_HOPS);
    }

    // ---- merges by hospital number (A40/A34/A36 with MRG-1 = MRN only), unmerges (A37), visit moves ---------

    private static final LocalIdentifier MRN = new LocalIdentifier("RJ1-MRN", "M5001");

    /** A LINK of a hospital number to an NHS number, as every PID-3 pairing them gives (action NEW or CANCEL). */
    static PatientIdentity link(String nhs, LocalIdentifier local, Action action, String eventName) {
        return PatientIdentity.newBuilder()
                .setHeader(CareEventFixtures.header(nhs, "RJ1", ProviderKind.ACUTE, "identity/" + local.getValue(),
                        action, 1, T0, eventName))
                .setKind(IdentityKind.LINK).setNhsNumber(nhs).setLocalId(local)
                .build();
    }

    /** An A40 whose MRG-1 carries only the retiring MRN: a MERGE with only {@code localId}. */
    static PatientIdentity mergeOfMrn(LocalIdentifier retiring, String survivor, String eventName) {
        PatientIdentity a40 = merge(IdentityKind.MERGE, OLD, survivor, eventName);
        a40.setSupersededNhsNumber(null);
        a40.setLocalId(retiring);
        a40.getHeader().setSubjectId("merge/" + retiring.getValue());
        return a40;
    }

    /** An A37: a CANCEL of the merge item, naming the merge it undoes. */
    static PatientIdentity unmerge(PatientIdentity merge, String eventName) {
        PatientIdentity a37 = PatientIdentity.newBuilder(merge).setHeader(CareEventFixtures.header(
                merge.getNhsNumber(), "RJ1", ProviderKind.ACUTE, merge.getHeader().getSubjectId(), Action.CANCEL, 1,
                T0, eventName)).build();
        a37.getHeader().setSupersedes(merge.getHeader().getEventId());
        return a37;
    }

    @Test
    void anA40ByHospitalNumberMovesTheEntriesOfTheNhsNumberTheMrnIsLinkedTo() {
        // given the retiring MRN linked to OLD (a PID-3 pairing them), and OLD's timeline
        t.publish(link(OLD, MRN, Action.NEW, "link"), admission(OLD, "spell-1", Action.NEW, 1, T0, "AMU", "admit"),
                attendance(SURVIVOR, "ae-1", T0.plusSeconds(600), "survivor-ae"));
        // when an A40 merges the MRN (MRG-1 = MRN only) into the survivor
        t.publish(mergeOfMrn(MRN, SURVIVOR, "a40"));
        // then OLD's admission is the survivor's, in hospital now, and OLD has nothing but the redirect
        assertThat(eventIds(t.current(SURVIVOR))).containsExactly(id("admit"), id("survivor-ae"));
        assertThat(t.reader().summary(SURVIVOR).orElseThrow().getSpells()).singleElement()
                .satisfies(s -> assertThat(s.getDischargedAt()).isNull());
        assertThat(t.history(OLD)).isEmpty();
        assertThat(t.reader().mergedInto(OLD)).contains(SURVIVOR);
        // and later events for the MRN alone go to the survivor
        t.publish(CareEventFixtures.localOnly(attendance(OLD, "ae-2", T0.plusSeconds(900), "later"), "RJ1-MRN",
                "M5001"));
        assertThat(eventIds(t.current(SURVIVOR))).containsExactly(id("admit"), id("survivor-ae"), id("later"));
    }

    @Test
    void theLinkMayArriveAfterTheA40ByHospitalNumber() {
        t.publish(admission(OLD, "spell-1", Action.NEW, 1, T0, "AMU", "admit"));
        t.publish(mergeOfMrn(MRN, SURVIVOR, "a40"));
        assertThat(eventIds(t.current(OLD))).as("the MRN is not known to be OLD yet").containsExactly(id("admit"));
        t.publish(link(OLD, MRN, Action.NEW, "link"));
        assertThat(eventIds(t.current(SURVIVOR))).containsExactly(id("admit"));
        assertThat(t.history(OLD)).isEmpty();
    }

    @Test
    void anA37UndoesTheMergeEvenForEntriesThatArrivedAfterIt() {
        PatientIdentity a40 = merge(IdentityKind.MERGE, OLD, SURVIVOR, "a40");
        t.publish(admission(OLD, "spell-1", Action.NEW, 1, T0, "AMU", "old-admit"),
                attendance(SURVIVOR, "ae-1", T0.plusSeconds(60), "survivor-ae"), a40,
                attendance(OLD, "ae-2", T0.plusSeconds(120), "old-after-merge"));
        assertThat(eventIds(t.current(SURVIVOR))).containsExactly(id("old-admit"), id("survivor-ae"),
                id("old-after-merge"));
        t.changes.readValuesToList();
        // when the merge is undone (A37), whatever its clock says
        PatientIdentity a37 = unmerge(a40, "a37");
        a37.getHeader().setVersion(0);
        t.publish(a37);
        // then every entry published for OLD is OLD's again, the survivor keeps its own, and OLD is no longer merged
        assertThat(eventIds(t.current(OLD))).containsExactly(id("old-admit"), id("old-after-merge"));
        assertThat(t.current(OLD)).allMatch(e -> e.getOriginNhsNumber().equals(OLD));
        assertThat(eventIds(t.current(SURVIVOR))).containsExactly(id("survivor-ae"));
        assertThat(t.reader().mergedInto(OLD)).isEmpty();
        assertThat(t.reader().summary(OLD).orElseThrow().getSpells()).hasSize(1);
        // subscribers are told: withdrawn at the survivor, added back at OLD, each with the A37 in its id
        assertThat(t.changes.readValuesToList()).extracting(TimelineChange::getNhsNumber, TimelineChange::getKind,
                TimelineChange::getChangeId).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple(SURVIVOR, ChangeKind.WITHDRAWN,
                        id("old-admit") + "|WITHDRAWN|" + SURVIVOR + "|" + id("a37")),
                org.assertj.core.groups.Tuple.tuple(SURVIVOR, ChangeKind.WITHDRAWN,
                        id("old-after-merge") + "|WITHDRAWN|" + SURVIVOR + "|" + id("a37")),
                org.assertj.core.groups.Tuple.tuple(OLD, ChangeKind.ADDED,
                        id("old-admit") + "|ADDED|" + OLD + "|" + id("a37")),
                org.assertj.core.groups.Tuple.tuple(OLD, ChangeKind.ADDED,
                        id("old-after-merge") + "|ADDED|" + OLD + "|" + id("a37")));
        // and later events for OLD stay with OLD
        t.publish(attendance(OLD, "ae-3", T0.plusSeconds(300), "old-after-unmerge"));
        assertThat(eventIds(t.current(OLD))).containsExactly(id("old-admit"), id("old-after-merge"),
                id("old-after-unmerge"));
    }

    @Test
    void anUnmergeThatArrivesBeforeItsMergeLeavesTheNumbersApart(@TempDir Path other) {
        PatientIdentity a40 = merge(IdentityKind.MERGE, OLD, SURVIVOR, "a40");
        PatientIdentity a37 = unmerge(a40, "a37");
        t.publish(a37, admission(OLD, "spell-1", Action.NEW, 1, T0, "AMU", "old-admit"), a40);
        assertThat(eventIds(t.current(OLD))).containsExactly(id("old-admit"));
        assertThat(t.history(SURVIVOR)).isEmpty();
        // a merge done again after the unmerge (a NEW naming the A37) merges again
        PatientIdentity again = merge(IdentityKind.MERGE, OLD, SURVIVOR, "a40-again");
        again.getHeader().setSupersedes(id("a37"));
        t.publish(again);
        assertThat(eventIds(t.current(SURVIVOR))).containsExactly(id("old-admit"));
        assertThat(t.history(OLD)).isEmpty();
    }

    @Test
    void aChainAIntoBIntoCThenUnmergingAGivesAItsEntriesBack() {
        String c = nhs(13);
        PatientIdentity aIntoB = merge(IdentityKind.MERGE, OLD, SURVIVOR, "a-into-b");
        t.publish(attendance(OLD, "ae-a", T0, "a-ae"), attendance(SURVIVOR, "ae-b", T0.plusSeconds(60), "b-ae"),
                attendance(c, "ae-c", T0.plusSeconds(120), "c-ae"), aIntoB,
                merge(IdentityKind.MERGE, SURVIVOR, c, "b-into-c"));
        assertThat(eventIds(t.current(c))).containsExactly(id("a-ae"), id("b-ae"), id("c-ae"));
        t.publish(unmerge(aIntoB, "unmerge-a"));
        assertThat(eventIds(t.current(OLD))).containsExactly(id("a-ae"));
        assertThat(eventIds(t.current(c))).containsExactly(id("b-ae"), id("c-ae"));
        assertThat(t.history(SURVIVOR)).isEmpty();
    }

    @Test
    void unmergingTheMiddleOfAChainTakesBackWhatWentOnThroughIt() {
        String c = nhs(13);
        PatientIdentity bIntoC = merge(IdentityKind.MERGE, SURVIVOR, c, "b-into-c");
        t.publish(attendance(OLD, "ae-a", T0, "a-ae"), attendance(SURVIVOR, "ae-b", T0.plusSeconds(60), "b-ae"),
                merge(IdentityKind.MERGE, OLD, SURVIVOR, "a-into-b"), bIntoC);
        assertThat(eventIds(t.current(c))).containsExactly(id("a-ae"), id("b-ae"));
        // B is no longer C (A37 of B from C): B's entries and A's (A is still B) come back to B
        t.publish(unmerge(bIntoC, "unmerge-b"));
        assertThat(eventIds(t.current(SURVIVOR))).containsExactly(id("a-ae"), id("b-ae"));
        assertThat(t.history(c)).isEmpty();
        assertThat(t.history(OLD)).isEmpty();
    }

    @Test
    void anA45MovesOneVisitAndEverythingLaterAboutIt() {
        // given OLD with two visits
        t.publish(admission(OLD, "V1", Action.NEW, 1, T0, "AMU", "v1-admit"),
                transfer(OLD, "V1/transfer-1", "V1", T0.plusSeconds(3600), "v1-transfer"),
                admission(OLD, "V2", Action.NEW, 1, T0.plusSeconds(86_400), "Ward 3", "v2-admit"));
        // when A45 moves visit V1 (MRG-5) to the survivor (PID-3)
        PatientIdentity a45 = merge(IdentityKind.MERGE, OLD, SURVIVOR, "a45");
        a45.setVisit("V1");
        t.publish(a45);
        // then V1's admission and transfer are the survivor's, V2 stays
        assertThat(eventIds(t.current(SURVIVOR))).containsExactly(id("v1-admit"), id("v1-transfer"));
        assertThat(eventIds(t.current(OLD))).containsExactly(id("v2-admit"));
        assertThat(t.reader().mergedInto(OLD)).as("no redirect of the whole patient").isEmpty();
        assertThat(t.reader().summary(SURVIVOR).orElseThrow().getSpells()).extracting(HospitalSpell::getSpellId)
                .containsExactly("V1");
        // and a later discharge of V1 sent for OLD follows the visit
        t.publish(CareEventFixtures.discharge(OLD, "V1/discharge", "V1", Action.NEW, 1, T0.plusSeconds(7200), "HOME",
                "v1-discharge"));
        assertThat(eventIds(t.current(SURVIVOR))).containsExactly(id("v1-admit"), id("v1-transfer"),
                id("v1-discharge"));
        assertThat(eventIds(t.current(OLD))).containsExactly(id("v2-admit"));
    }

    @Test
    void anA44ByHospitalNumberMovesTheAccountOfTheNumberTheMrnIsLinkedTo() {
        t.publish(link(OLD, MRN, Action.NEW, "link"), admission(OLD, "ACC9", Action.NEW, 1, T0, "AMU", "acc-admit"),
                admission(OLD, "ACC8", Action.NEW, 1, T0.plusSeconds(60), "AMU", "other-admit"));
        PatientIdentity a44 = mergeOfMrn(MRN, SURVIVOR, "a44");
        a44.setVisit("ACC9");
        t.publish(a44);
        assertThat(eventIds(t.current(SURVIVOR))).containsExactly(id("acc-admit"));
        assertThat(eventIds(t.current(OLD))).containsExactly(id("other-admit"));
    }

    @Test
    void anA29UnlinksTheHospitalNumberAndLaterEventsAreHeldAgain() {
        t.publish(link(OLD, MRN, Action.NEW, "link"));
        t.publish(CareEventFixtures.localOnly(attendance(OLD, "ae-1", T0, "while-linked"), "RJ1-MRN", "M5001"));
        assertThat(eventIds(t.current(OLD))).containsExactly(id("while-linked"));
        // A29 (delete person information): the link is cancelled
        PatientIdentity a29 = link(OLD, MRN, Action.CANCEL, "a29");
        a29.getHeader().setSupersedes(id("link"));
        t.publish(a29);
        t.publish(CareEventFixtures.localOnly(attendance(OLD, "ae-2", T0.plusSeconds(60), "after-unlink"), "RJ1-MRN",
                "M5001"));
        // the entry already placed stays; the later one waits for a new link
        assertThat(eventIds(t.current(OLD))).containsExactly(id("while-linked"));
        assertThat(t.driver.<String, org.caretrail.timeline.processor.HeldEvent>getKeyValueStore(
                TimelineStores.UNRESOLVED).get("RJ1-MRN|M5001|" + id("after-unlink"))).isNotNull();
        // a new link releases it
        PatientIdentity relink = link(OLD, MRN, Action.NEW, "relink");
        relink.getHeader().setSupersedes(id("a29"));
        t.publish(relink);
        assertThat(eventIds(t.current(OLD))).containsExactly(id("while-linked"), id("after-unlink"));
    }

    private static org.caretrail.events.model.Transfer transfer(String nhs, String subject, String spell, Instant at,
            String eventName) {
        return CareEventFixtures.transfer(nhs, subject, spell, Action.NEW, 1, at, "AMU", "Ward 9", eventName);
    }

    private double metric(String name) {
        return t.driver.metrics().entrySet().stream()
                .filter(m -> m.getKey().name().equals(name))
                .mapToDouble(m -> (Double) m.getValue().metricValue()).sum();
    }

    @Test
    void everyMergeNodeAndRepartitionIsNamed() {
        var builder = new org.apache.kafka.streams.StreamsBuilder();
        TimelineTopology.build(builder, new org.caretrail.events.topic.Topics(
                new org.caretrail.events.serde.InMemorySchemaRegistry()), TimelineSettings.defaults());
        String description = builder.build().describe().toString();
        assertThat(description).doesNotContain("KSTREAM-").doesNotContain("KTABLE-")
                .contains(TimelineTopology.MERGE_REPARTITION + "-repartition")
                .contains(TimelineTopology.MOVED_REPARTITION + "-repartition")
                .contains(TimelineTopology.MERGE_MOVES_SOURCE).contains(TimelineTopology.MERGE_MOVES_SINK)
                .contains(org.caretrail.events.topic.CareTopics.TIMELINE_MERGE_MOVES)
                .contains(TimelineTopology.MERGE_APPLIER).contains(TimelineTopology.MERGE_PLACER)
                .contains(TimelineStores.MERGED_INTO);
    }
}
