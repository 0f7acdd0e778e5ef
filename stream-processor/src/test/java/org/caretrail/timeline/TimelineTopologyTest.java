package org.caretrail.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.timeline.CareEventFixtures.T0;
import static org.caretrail.timeline.CareEventFixtures.admission;
import static org.caretrail.timeline.CareEventFixtures.appointment;
import static org.caretrail.timeline.CareEventFixtures.attendance;
import static org.caretrail.timeline.CareEventFixtures.discharge;
import static org.caretrail.timeline.CareEventFixtures.id;
import static org.caretrail.timeline.CareEventFixtures.nhs;
import static org.caretrail.timeline.CareEventFixtures.transfer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.streams.test.TestRecord;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
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
import org.caretrail.events.topic.CareTopics;
import org.caretrail.timeline.errors.DeadLetters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Timeline rules, given/when/then, through the whole topology in a TopologyTestDriver. */
class TimelineTopologyTest {

    private static final String PATIENT = nhs(1);
    private static final String OTHER = nhs(2);

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

    private static List<String> eventIds(List<TimelineEntry> entries) {
        return entries.stream().map(TimelineEntry::getEventId).toList();
    }

    @Test
    void entriesAreOrderedByOccurredAtWhateverTheArrivalOrder() {
        // given events from three providers, published newest first
        var gp = appointment(PATIENT, "A81001", ProviderKind.GP, "appt-1", Action.NEW, 1, T0, "gp");
        var ae = attendance(PATIENT, "ae-1", T0.plus(Duration.ofDays(1)), "ae");
        var adm = admission(PATIENT, "spell-1", Action.NEW, 1, T0.plus(Duration.ofDays(2)), "Ward 7", "adm");
        // when
        t.publish(adm, ae, gp);
        // then
        assertThat(eventIds(t.current(PATIENT))).containsExactly(id("gp"), id("ae"), id("adm"));
        Timeline last = t.timelines.readKeyValuesToMap().get(PATIENT);
        assertThat(eventIds(last.getEntries())).containsExactly(id("gp"), id("ae"), id("adm"));
        assertThat(last.getSummary().getProviderKinds()).containsExactly(ProviderKind.GP, ProviderKind.ACUTE);
        assertThat(last.getSummary().getAttendances()).isEqualTo(1);
        assertThat(last.getTruncated()).isFalse();
    }

    @Test
    void equalOccurredAtIsOrderedByRecordedAtThenEventId() {
        var a = appointment(PATIENT, "A81001", ProviderKind.GP, "appt-a", Action.NEW, 1, T0, "a");
        var b = appointment(PATIENT, "A81001", ProviderKind.GP, "appt-b", Action.NEW, 1, T0, "b");
        var c = appointment(PATIENT, "A81001", ProviderKind.GP, "appt-c", Action.NEW, 1, T0, "c");
        c.getHeader().setRecordedAt(T0); // recorded earlier than a and b
        t.publish(a, b, c);
        List<String> ab = id("a").compareTo(id("b")) < 0 ? List.of(id("a"), id("b")) : List.of(id("b"), id("a"));
        assertThat(eventIds(t.current(PATIENT))).containsExactly(id("c"), ab.get(0), ab.get(1));
    }

    @Test
    void aDuplicateEventIdAppearsOnceAndEmitsNoSecondChange() {
        var adm = admission(PATIENT, "spell-1", Action.NEW, 1, T0, "Ward 7", "adm");
        t.publish(adm, adm, adm);
        assertThat(t.current(PATIENT)).hasSize(1);
        List<TimelineChange> changes = t.changes.readValuesToList();
        assertThat(changes).extracting(TimelineChange::getKind).containsExactly(ChangeKind.ADDED);
        assertThat(changes.get(0).getChangeId()).isEqualTo(id("adm") + "|ADDED");
    }

    @Test
    void anInvalidNhsNumberGoesToDeadLetterWithItsReasonAndNothingElseIsAffected() {
        // given a good patient's admission
        t.publish(admission(PATIENT, "spell-1", Action.NEW, 1, T0, "Ward 7", "good"));
        t.changes.readValuesToList();
        // when an event with a bad check digit arrives
        String bad = PATIENT.substring(0, 9) + ((PATIENT.charAt(9) - '0' + 1) % 10);
        t.publish(admission(bad, "spell-9", Action.NEW, 1, T0, "Ward 1", "bad"));
        // then it is dead-lettered with the reason and its origin
        List<TestRecord<byte[], byte[]>> dead = t.deadLetters.readRecordsToList();
        assertThat(dead).hasSize(1);
        var headers = dead.get(0).headers();
        assertThat(DeadLetters.header(headers, CareTopics.HEADER_REASON))
                .contains("header.patient.nhsNumber").contains("Modulus 11");
        assertThat(DeadLetters.header(headers, CareTopics.HEADER_SOURCE_TOPIC)).isEqualTo("care.admissions");
        assertThat(DeadLetters.header(headers, CareTopics.HEADER_SOURCE_PARTITION)).isEqualTo("0");
        assertThat(DeadLetters.header(headers, CareTopics.HEADER_SOURCE_OFFSET)).isEqualTo("1");
        // the original bytes, decodable as the event that was sent
        Admission original = (Admission) t.topics.events(org.caretrail.events.CareEventType.ADMISSION).valueSerde()
                .deserializer().deserialize("care.admissions", dead.get(0).value());
        assertThat(original.getHeader().getEventId()).isEqualTo(id("bad"));
        // and nothing else changed
        assertThat(t.changes.readValuesToList()).isEmpty();
        assertThat(eventIds(t.current(PATIENT))).containsExactly(id("good"));
        assertThat(t.reader().summary(bad)).isEmpty();
        // and the pipeline goes on
        t.publish(attendance(PATIENT, "ae-1", T0.plusSeconds(3600), "after"));
        assertThat(eventIds(t.current(PATIENT))).containsExactly(id("good"), id("after"));
    }

    @Test
    void garbageBytesGoToDeadLetterAndThePipelineGoesOn() {
        byte[] garbage = "this is not avro".getBytes(StandardCharsets.UTF_8);
        t.publishBytes("care.transfers", PATIENT.getBytes(StandardCharsets.UTF_8), garbage);
        byte[] unknownSchema = {0, 0, 0, 0x7f, 0x7f, 1, 2, 3};
        t.publishBytes("care.transfers", PATIENT.getBytes(StandardCharsets.UTF_8), unknownSchema);
        t.publish(admission(PATIENT, "spell-1", Action.NEW, 1, T0, "Ward 7", "adm"));

        List<TestRecord<byte[], byte[]>> dead = t.deadLetters.readRecordsToList();
        assertThat(dead).hasSize(2);
        assertThat(dead.get(0).value()).isEqualTo(garbage);
        assertThat(DeadLetters.header(dead.get(0).headers(), CareTopics.HEADER_REASON))
                .contains("not a Confluent-framed Avro record");
        assertThat(dead.get(1).value()).isEqualTo(unknownSchema);
        assertThat(DeadLetters.header(dead.get(1).headers(), CareTopics.HEADER_REASON))
                .contains("unknown schema id");
        assertThat(DeadLetters.header(dead.get(1).headers(), CareTopics.HEADER_SOURCE_OFFSET)).isEqualTo("1");
        assertThat(eventIds(t.current(PATIENT))).containsExactly(id("adm"));
        assertThat(metric("rejected-events-total")).isEqualTo(2.0);
    }

    private double metric(String name) {
        return t.driver.metrics().entrySet().stream()
                .filter(e -> e.getKey().name().equals(name) && e.getKey().group().equals("stream-caretrail-timeline-metrics"))
                .mapToDouble(e -> (Double) e.getValue().metricValue()).sum();
    }

    @Test
    void anEventKnownOnlyByALocalIdentifierIsHeldNotPlaced() {
        var adm = CareEventFixtures.localOnly(admission(PATIENT, "spell-1", Action.NEW, 1, T0, "AMU", "local"),
                "RJ1-MRN", "M123");
        t.publish(adm);
        assertThat(t.deadLetters.readRecordsToList()).isEmpty();
        assertThat(t.changes.readValuesToList()).isEmpty();
        assertThat(t.driver.<String, org.caretrail.timeline.processor.HeldEvent>getKeyValueStore(
                org.caretrail.timeline.processor.TimelineStores.UNRESOLVED).get("RJ1-MRN|M123|" + id("local")))
                .isNotNull();
        assertThat(metric("held-unresolved-events-total")).isEqualTo(1.0);
    }

    @Test
    void anEventStillUnresolvedAfterTheTimeoutIsDeadLetteredAsItArrived(@TempDir Path dir) {
        try (TimelineDriver d = new TimelineDriver(dir, TimelineSettings.defaults()
                .with(TimelineSettings.UNRESOLVED_TIMEOUT, Duration.ofSeconds(4)))) {
            var adm = CareEventFixtures.localOnly(admission(PATIENT, "spell-1", Action.NEW, 1, T0, "AMU", "lonely"),
                    "RJ1-MRN", "M404");
            d.publish(adm);
            d.driver.advanceWallClockTime(Duration.ofSeconds(2));
            assertThat(d.deadLetters.readRecordsToList()).isEmpty();
            d.driver.advanceWallClockTime(Duration.ofSeconds(3));
            List<TestRecord<byte[], byte[]>> dead = d.deadLetters.readRecordsToList();
            assertThat(dead).hasSize(1);
            assertThat(DeadLetters.header(dead.get(0).headers(), CareTopics.HEADER_REASON))
                    .contains("unresolved identity").contains("RJ1-MRN|M404");
            assertThat(DeadLetters.header(dead.get(0).headers(), CareTopics.HEADER_SOURCE_TOPIC))
                    .isEqualTo("care.admissions");
            assertThat(DeadLetters.header(dead.get(0).headers(), CareTopics.HEADER_SOURCE_OFFSET)).isEqualTo("0");
            Admission original = (Admission) d.topics.events(org.caretrail.events.CareEventType.ADMISSION)
                    .valueSerde().deserializer().deserialize("care.admissions", dead.get(0).value());
            assertThat(original.getHeader().getEventId()).isEqualTo(id("lonely"));
            // and a link arriving afterwards finds nothing left to place
            d.publish(link(PATIENT, "RJ1-MRN", "M404", "late-link"));
            assertThat(d.current(PATIENT)).isEmpty();
        }
    }

    private static PatientIdentity link(String nhs, String system, String value, String eventName) {
        return PatientIdentity.newBuilder()
                .setHeader(CareEventFixtures.header(nhs, "RJ1", ProviderKind.ACUTE, "link-" + value, Action.NEW, 1, T0,
                        eventName))
                .setKind(IdentityKind.LINK).setNhsNumber(nhs).setLocalId(new LocalIdentifier(system, value))
                .build();
    }

    @Test
    void heldEventsArePlacedInOrderWhenALinkArrives() {
        // given a timeline, and two events known only by the hospital number
        t.publish(attendance(PATIENT, "ae-1", T0.plusSeconds(120), "known"));
        t.publish(CareEventFixtures.localOnly(admission(PATIENT, "spell-1", Action.NEW, 1, T0, "AMU", "early"),
                "RJ1-MRN", "M123"),
                CareEventFixtures.localOnly(attendance(PATIENT, "ae-2", T0.plusSeconds(240), "late"), "RJ1-MRN", "M123"));
        assertThat(eventIds(t.current(PATIENT))).containsExactly(id("known"));
        // when the link arrives
        t.publish(link(PATIENT, "RJ1-MRN", "M123", "link"));
        // then they are placed, in timeline order, and nothing is held any more
        assertThat(eventIds(t.current(PATIENT))).containsExactly(id("early"), id("known"), id("late"));
        assertThat(metric("released-events-total")).isEqualTo(2.0);
        // and later local-only events follow the link at once
        t.publish(CareEventFixtures.localOnly(attendance(PATIENT, "ae-3", T0.plusSeconds(360), "after-link"),
                "RJ1-MRN", "M123"));
        assertThat(eventIds(t.current(PATIENT))).containsExactly(id("early"), id("known"), id("late"),
                id("after-link"));
    }

    @Test
    void aLinkToAnInvalidNhsNumberIsDeadLettered() {
        String bad = PATIENT.substring(0, 9) + ((PATIENT.charAt(9) - '0' + 1) % 10);
        PatientIdentity badLink = link(PATIENT, "RJ1-MRN", "M9", "bad-link");
        badLink.setNhsNumber(bad);
        t.publish(badLink);
        var dead = t.deadLetters.readRecordsToList();
        assertThat(dead).hasSize(1);
        assertThat(DeadLetters.header(dead.get(0).headers(), CareTopics.HEADER_SOURCE_TOPIC))
                .isEqualTo("care.patient-identities");
        assertThat(DeadLetters.header(dead.get(0).headers(), CareTopics.HEADER_REASON)).contains("nhsNumber");
    }

    @Test
    void theHighestVersionWinsAndALowerVersionArrivingLaterChangesNothing() {
        var v1 = admission(PATIENT, "spell-1", Action.NEW, 1, T0, "Ward 1", "v1");
        var v3 = admission(PATIENT, "spell-1", Action.UPDATE, 3, T0, "Ward 3", "v3");
        var v2 = admission(PATIENT, "spell-1", Action.UPDATE, 2, T0, "Ward 2", "v2");
        t.publish(v1, v3);
        t.changes.readValuesToList();
        t.timelines.readValuesToList();
        t.publish(v2);
        List<TimelineEntry> current = t.current(PATIENT);
        assertThat(current).singleElement().satisfies(e -> {
            assertThat(e.getEventId()).isEqualTo(id("v3"));
            assertThat(e.getDetails()).containsEntry("ward", "Ward 3");
            assertThat(e.getVersion()).isEqualTo(3);
        });
        assertThat(t.changes.readValuesToList()).isEmpty();
        assertThat(t.timelines.readValuesToList()).as("nothing shown changed: no new care.timelines record").isEmpty();
        // v2 is kept in the item's history (as of a moment when only v1 and v2 were recorded, v2 showed)
        assertThat(metric("unchanged-events-total")).isZero();
        t.publish(v2);
        assertThat(metric("unchanged-events-total")).as("the same event again changes nothing at all").isEqualTo(1.0);
    }

    @Test
    void aCancelThatArrivesBeforeTheItemWithdrawsIt() {
        var cancel = admission(PATIENT, "spell-1", Action.CANCEL, 2, T0, "Ward 1", "cancel");
        var adm = admission(PATIENT, "spell-1", Action.NEW, 1, T0, "Ward 1", "adm");
        t.publish(cancel, adm);
        assertThat(t.current(PATIENT)).isEmpty();
        assertThat(t.history(PATIENT)).singleElement().satisfies(e -> {
            assertThat(e.getStatus()).isEqualTo(EntryStatus.WITHDRAWN);
            assertThat(e.getDetails()).containsEntry("ward", "Ward 1");
        });
        assertThat(t.changes.readValuesToList()).isEmpty(); // never on the timeline, nothing to tell
        assertThat(t.reader().summary(PATIENT).orElseThrow().getWithdrawnEntries()).isEqualTo(1);
    }

    @Test
    void aCancelAtTheSameVersionBeatsTheItem() {
        t.publish(admission(PATIENT, "spell-1", Action.NEW, 1, T0, "Ward 1", "adm"),
                admission(PATIENT, "spell-1", Action.CANCEL, 1, T0, "Ward 1", "cancel"));
        assertThat(t.current(PATIENT)).isEmpty();
        assertThat(t.changes.readValuesToList()).extracting(TimelineChange::getKind)
                .containsExactly(ChangeKind.ADDED, ChangeKind.WITHDRAWN);
    }

    @Test
    void admitTransferCancelTransferDischargeCancelDischargeDischarge() {
        Duration h = Duration.ofHours(1);
        t.publish(
                admission(PATIENT, "spell-1", Action.NEW, 1, T0, "AMU", "admit"),
                transfer(PATIENT, "tr-1", "spell-1", Action.NEW, 1, T0.plus(h), "AMU", "Ward 9", "transfer"),
                transfer(PATIENT, "tr-1", "spell-1", Action.CANCEL, 2, T0.plus(h), "AMU", "Ward 9", "cancel-transfer"),
                discharge(PATIENT, "dis-1", "spell-1", Action.NEW, 1, T0.plus(h.multipliedBy(5)), "Home", "discharge"),
                discharge(PATIENT, "dis-1", "spell-1", Action.CANCEL, 2, T0.plus(h.multipliedBy(5)), "Home",
                        "cancel-discharge"),
                discharge(PATIENT, "dis-2", "spell-1", Action.NEW, 1, T0.plus(h.multipliedBy(30)), "Care home",
                        "discharge-again"));

        assertThat(eventIds(t.current(PATIENT))).containsExactly(id("admit"), id("discharge-again"));
        assertThat(t.history(PATIENT)).extracting(TimelineEntry::getStatus).containsExactly(
                EntryStatus.CURRENT, EntryStatus.WITHDRAWN, EntryStatus.WITHDRAWN, EntryStatus.CURRENT);
        HospitalSpell spell = t.reader().summary(PATIENT).orElseThrow().getSpells().get(0);
        assertThat(spell.getTransfers()).isZero();
        assertThat(spell.getCurrentWard()).isEqualTo("AMU");
        assertThat(spell.getDischargedAt()).isEqualTo(T0.plus(h.multipliedBy(30)));
        assertThat(spell.getDischargeDestination()).isEqualTo("Care home");
        assertThat(t.changes.readValuesToList()).extracting(c -> c.getKind() + " " + c.getEntry().getEventId())
                .containsExactly("ADDED " + id("admit"), "ADDED " + id("transfer"),
                        "WITHDRAWN " + id("cancel-transfer"), "ADDED " + id("discharge"),
                        "WITHDRAWN " + id("cancel-discharge"), "ADDED " + id("discharge-again"));
    }

    @Test
    void anOpenSpellSaysInHospitalNowAndWhere() {
        t.publish(admission(PATIENT, "spell-1", Action.NEW, 1, T0, "AMU", "admit"),
                transfer(PATIENT, "tr-1", "spell-1", Action.NEW, 1, T0.plusSeconds(3600), "AMU", "Ward 9", "tr"));
        HospitalSpell spell = t.reader().summary(PATIENT).orElseThrow().getSpells().get(0);
        assertThat(spell.getDischargedAt()).isNull();
        assertThat(spell.getCurrentWard()).isEqualTo("Ward 9");
        assertThat(spell.getTransfers()).isEqualTo(1);
    }

    @Test
    void twoAdmissionsOneCancelled() {
        t.publish(admission(PATIENT, "spell-1", Action.NEW, 1, T0, "Ward 1", "first"),
                admission(PATIENT, "spell-2", Action.NEW, 1, T0.plusSeconds(60), "Ward 2", "second"),
                admission(PATIENT, "spell-1", Action.CANCEL, 2, T0, "Ward 1", "cancel-first"));
        assertThat(eventIds(t.current(PATIENT))).containsExactly(id("second"));
        assertThat(t.history(PATIENT)).hasSize(2);
        var summary = t.reader().summary(PATIENT).orElseThrow();
        assertThat(summary.getSpells()).extracting(HospitalSpell::getSpellId).containsExactly("spell-2");
        assertThat(summary.getCurrentEntries()).isEqualTo(1);
        assertThat(summary.getWithdrawnEntries()).isEqualTo(1);
        assertThat(summary.getTotalEntries()).isEqualTo(2);
    }

    @Test
    void patientsAreSeparate() {
        t.publish(admission(PATIENT, "spell-1", Action.NEW, 1, T0, "Ward 1", "p1"),
                admission(OTHER, "spell-1", Action.NEW, 1, T0, "Ward 1", "p2"));
        assertThat(eventIds(t.current(PATIENT))).containsExactly(id("p1"));
        assertThat(eventIds(t.current(OTHER))).containsExactly(id("p2"));
    }

    @Test
    void theTimelinesRecordIsBoundedAndSaysSo(@TempDir Path dir) {
        try (TimelineDriver small = new TimelineDriver(dir,
                TimelineSettings.defaults().with(TimelineSettings.MAX_TIMELINE_ENTRIES, 3))) {
            for (int i = 0; i < 5; i++) {
                small.publish(attendance(PATIENT, "ae-" + i, T0.plusSeconds(i * 60L), "ae" + i));
            }
            Timeline last = small.timelines.readKeyValuesToMap().get(PATIENT);
            assertThat(eventIds(last.getEntries())).containsExactly(id("ae2"), id("ae3"), id("ae4"));
            assertThat(last.getTruncated()).isTrue();
            assertThat(last.getSummary().getCurrentEntries()).isEqualTo(5);
        }
    }
}
