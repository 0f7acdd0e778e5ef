package org.caretrail.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.timeline.CareEventFixtures.T0;
import static org.caretrail.timeline.CareEventFixtures.admission;
import static org.caretrail.timeline.CareEventFixtures.appointment;
import static org.caretrail.timeline.CareEventFixtures.discharge;
import static org.caretrail.timeline.CareEventFixtures.dmd;
import static org.caretrail.timeline.CareEventFixtures.id;
import static org.caretrail.timeline.CareEventFixtures.location;
import static org.caretrail.timeline.CareEventFixtures.nhs;
import static org.caretrail.timeline.CareEventFixtures.sentAt;
import static org.caretrail.timeline.CareEventFixtures.transfer;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.ChangeKind;
import org.caretrail.events.model.Coding;
import org.caretrail.events.model.Death;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.HospitalSpell;
import org.caretrail.events.model.MedicationLine;
import org.caretrail.events.model.Prescription;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Source;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8, given/when/then: ADT sequences of HL7 v2.5.1 chapter 3 as the care events the HL7 adapter
 * publishes for them (a cancel or correction names the event it follows in {@code supersedes}; the version
 * is the message time, MSH-7, and the senders' clocks disagree), through the whole topology.
 */
class AdtSequencesTest {

    private static final String PATIENT = nhs(41);
    private static final Instant DAY1 = T0;

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

    private TimelineSummary summary() {
        return t.reader().summary(PATIENT).orElseThrow();
    }

    private static Instant at(int day, int hour, int minute) {
        return DAY1.plus(Duration.ofDays(day - 1)).plus(Duration.ofHours(hour - 8)).plus(Duration.ofMinutes(minute));
    }

    private static List<String> eventIds(List<TimelineEntry> entries) {
        return entries.stream().map(TimelineEntry::getEventId).toList();
    }

    // ---- item 1: A11 whose PV1-2 differs from the A01's ------------------------------------------------

    @Test
    void anA11CancelsTheAdmissionItNamesWhateverClassItCarries() {
        // given an inpatient admission (A01, PV1-2 = I)
        var a01 = sentAt(admission(PATIENT, "V100", Action.NEW, 0, at(1, 10, 0), "AMU", "a01"), at(1, 10, 0), null);
        t.publish(a01);
        // when A11 cancels the visit (PV1-19 = V100); the adapter names the A01 event it cancels. Epic sends the
        // cancel's PV1-2 as the class after the cancel (O), which an earlier adapter mapped to an appointment:
        // that cancel of an appointment never shown is sent too, as a misrouting adapter would
        var a11 = sentAt(admission(PATIENT, "V100", Action.CANCEL, 0, at(1, 10, 0), "AMU", "a11"), at(1, 10, 20),
                "a01");
        var misrouted = sentAt(appointment(PATIENT, "RJ1", ProviderKind.ACUTE, "V100", Action.CANCEL, 0,
                at(1, 10, 0), "a11-as-appointment"), at(1, 10, 20), null);
        t.publish(a11, misrouted);
        // then the patient is not in hospital: no spell, no current entry
        assertThat(t.current(PATIENT)).isEmpty();
        assertThat(summary().getSpells()).isEmpty();
        // and history=true shows the admission withdrawn by the A11, as it was stated
        assertThat(t.history(PATIENT)).singleElement().satisfies(e -> {
            assertThat(e.getStatus()).isEqualTo(EntryStatus.WITHDRAWN);
            assertThat(e.getEventId()).isEqualTo(id("a11"));
            assertThat(e.getDetails()).containsEntry("ward", "AMU");
        });
        // and the cancel of an appointment never shown stays invisible: not in history, not counted, not announced
        assertThat(summary().getTotalEntries()).isEqualTo(1);
        assertThat(t.changes.readValuesToList()).extracting(c -> c.getKind() + " " + c.getEntry().getType())
                .containsExactly("ADDED ADMISSION", "WITHDRAWN ADMISSION");
    }

    @Test
    void anA11ArrivingBeforeItsA01MeansTheAdmissionNeverShows(@TempDir Path other) {
        var a01 = sentAt(admission(PATIENT, "V100", Action.NEW, 0, at(1, 10, 0), "AMU", "a01"), at(1, 10, 0), null);
        var a11 = sentAt(admission(PATIENT, "V100", Action.CANCEL, 0, at(1, 10, 0), "AMU", "a11"), at(1, 9, 0),
                "a01");
        t.publish(a11);
        // a cancel of something never shown: no timeline at all yet
        assertThat(t.reader().summary(PATIENT)).isEmpty();
        assertThat(t.history(PATIENT)).isEmpty();
        t.publish(a01);
        assertThat(t.current(PATIENT)).isEmpty();
        assertThat(t.history(PATIENT)).extracting(TimelineEntry::getStatus).containsExactly(EntryStatus.WITHDRAWN);
        assertThat(t.changes.readValuesToList()).as("never on the timeline: nothing to announce").isEmpty();
    }

    // ---- item 2: A12 whose MSH-7 is earlier than the A02's --------------------------------------------

    @Test
    void anA12WhoseClockIsBehindTheA02ItCancelsStillWithdrawsTheTransfer(@TempDir Path other) {
        var a01 = sentAt(admission(PATIENT, "V200", Action.NEW, 0, at(1, 9, 0), "AMU", "a01"), at(1, 9, 0), null);
        var a02 = sentAt(transfer(PATIENT, "V200/transfer-1", "V200", Action.NEW, 0, at(1, 13, 30), "AMU", "Ward 9",
                "a02"), at(1, 13, 30), null);
        // the cancelling system's clock is 45 minutes behind: MSH-7 12:45
        var a12 = sentAt(transfer(PATIENT, "V200/transfer-1", "V200", Action.CANCEL, 0, at(1, 13, 30), "AMU",
                "Ward 9", "a12"), at(1, 12, 45), "a02");
        t.publish(a01, a02, a12);

        assertThat(eventIds(t.current(PATIENT))).containsExactly(id("a01"));
        assertThat(t.history(PATIENT)).extracting(e -> e.getType() + " " + e.getStatus())
                .containsExactly("ADMISSION CURRENT", "TRANSFER WITHDRAWN");
        HospitalSpell spell = summary().getSpells().get(0);
        assertThat(spell.getCurrentWard()).as("the cancelled ward is not current").isEqualTo("AMU");
        assertThat(spell.getTransfers()).isZero();
        assertThat(t.changes.readValuesToList()).extracting(c -> c.getKind() + " " + c.getEntry().getEventId())
                .containsExactly("ADDED " + id("a01"), "ADDED " + id("a02"), "WITHDRAWN " + id("a12"));
        // and in the other order (the cancel first), the same timeline, with nothing said of the transfer
        try (TimelineDriver reversed = new TimelineDriver(other)) {
            reversed.publish(a12, a02, a01);
            assertThat(reversed.history(PATIENT)).isEqualTo(t.history(PATIENT));
            assertThat(reversed.changes.readValuesToList()).extracting(TimelineChange::getKind)
                    .containsExactly(ChangeKind.ADDED);
        }
    }

    // ---- A03, A13, A03 again ----------------------------------------------------------------------

    @Test
    void anA13ReopensTheSpellAndTheSecondA03ClosesItAgainWhateverTheClocks(@TempDir Path other) {
        var a01 = sentAt(admission(PATIENT, "V300", Action.NEW, 0, at(1, 8, 0), "AMU", "a01"), at(1, 8, 0), null);
        var a03 = sentAt(discharge(PATIENT, "V300/discharge", "V300", Action.NEW, 0, at(3, 10, 0), "HOME", "a03"),
                at(3, 10, 0), null);
        var a13 = sentAt(discharge(PATIENT, "V300/discharge", "V300", Action.CANCEL, 0, at(3, 10, 0), "HOME",
                "a13"), at(3, 9, 0), "a03");
        // the patient is discharged again the next day, by a system whose clock is a day behind
        var again = sentAt(discharge(PATIENT, "V300/discharge", "V300", Action.NEW, 0, at(4, 11, 0), "CARE_HOME",
                "a03-again"), at(3, 8, 0), "a13");
        t.publish(a01, a03);
        assertThat(summary().getSpells().get(0).getDischargedAt()).isEqualTo(at(3, 10, 0));
        t.publish(a13);
        assertThat(summary().getSpells().get(0).getDischargedAt()).as("A13: in hospital again").isNull();
        t.publish(again);
        HospitalSpell spell = summary().getSpells().get(0);
        assertThat(spell.getDischargedAt()).isEqualTo(at(4, 11, 0));
        assertThat(spell.getDischargeDestination()).isEqualTo("CARE_HOME");
        assertThat(eventIds(t.current(PATIENT))).containsExactly(id("a01"), id("a03-again"));
        try (TimelineDriver shuffled = new TimelineDriver(other)) {
            shuffled.publish(again, a13, a01, a03, a13);
            assertThat(shuffled.history(PATIENT)).isEqualTo(t.history(PATIENT));
        }
    }

    // ---- item 9: the first message about a visit is not its A01 ---------------------------------------------

    @Test
    void aFeedThatStartsMidStayMakesTheSpellFromTheFirstMessageAndTheLateA01CompletesIt() {
        // given an A02 for a visit whose A01 never arrived
        t.publish(sentAt(transfer(PATIENT, "V400/transfer-1", "V400", Action.NEW, 0, at(1, 14, 0), "ED", "Ward 5",
                "a02"), at(1, 14, 0), null));
        // then the patient is in hospital now, on Ward 5, the spell known only from the transfer
        HospitalSpell spell = summary().getSpells().get(0);
        assertThat(spell.getSpellId()).isEqualTo("V400");
        assertThat(spell.getAdmissionSeen()).isFalse();
        assertThat(spell.getAdmittedAt()).isEqualTo(at(1, 14, 0));
        assertThat(spell.getDischargedAt()).isNull();
        assertThat(spell.getCurrentWard()).isEqualTo("Ward 5");
        // when the discharge comes, it closes that spell
        t.publish(sentAt(discharge(PATIENT, "V400/discharge", "V400", Action.NEW, 0, at(2, 10, 0), "HOME", "a03"),
                at(2, 10, 0), null));
        assertThat(summary().getSpells()).singleElement().satisfies(s -> assertThat(s.getDischargedAt())
                .isEqualTo(at(2, 10, 0)));
        // and when the A01 arrives after all, the spell is completed: admitted at the admission's time
        t.publish(sentAt(admission(PATIENT, "V400", Action.NEW, 0, at(1, 9, 0), "ED", "a01"), at(1, 9, 0), null));
        spell = summary().getSpells().get(0);
        assertThat(summary().getSpells()).hasSize(1);
        assertThat(spell.getAdmissionSeen()).isTrue();
        assertThat(spell.getAdmittedAt()).isEqualTo(at(1, 9, 0));
        assertThat(spell.getTransfers()).isEqualTo(1);
        assertThat(spell.getCurrentWard()).isEqualTo("Ward 5");
    }

    @Test
    void anA08ForAVisitWhoseA01NeverArrivedMakesTheSpellUntilTheA01Comes() {
        // A08 (update patient information) is an UPDATE of the admission; its A01 was lost
        t.publish(sentAt(admission(PATIENT, "V401", Action.UPDATE, 0, at(1, 9, 0), "Ward 3", "a08"), at(1, 16, 0),
                null));
        assertThat(summary().getSpells()).singleElement().satisfies(s -> {
            assertThat(s.getAdmissionSeen()).isFalse();
            assertThat(s.getCurrentWard()).isEqualTo("Ward 3");
        });
        // the A01, sent earlier, arrives now: it changes nothing shown but the spell's admission is seen
        t.publish(sentAt(admission(PATIENT, "V401", Action.NEW, 0, at(1, 9, 0), "AMU", "a01"), at(1, 9, 0), null));
        assertThat(summary().getSpells()).singleElement().satisfies(s -> {
            assertThat(s.getAdmissionSeen()).isTrue();
            assertThat(s.getCurrentWard()).as("the A08 is newer").isEqualTo("Ward 3");
        });
    }

    // ---- A06: from A&E to an inpatient bed -----------------------------------------------------------------

    @Test
    void anA06ShowsTheAttendanceAsAdmittedAndTheSpellOpen() {
        Attendance a04 = sentAt(Attendance.newBuilder()
                .setHeader(CareEventFixtures.header(PATIENT, "RJ1", ProviderKind.ACUTE, "V500", Action.NEW, 0,
                        at(1, 10, 0), "a04"))
                .setDepartment("ED").setChiefComplaint("chest pain").setArrivalMode("AMBULANCE").build(),
                at(1, 10, 0), null);
        t.publish(a04);
        // A06: the adapter updates the attendance (outcome ADMITTED, departed) and admits the same visit
        Attendance updated = sentAt(Attendance.newBuilder(a04)
                .setHeader(CareEventFixtures.header(PATIENT, "RJ1", ProviderKind.ACUTE, "V500", Action.UPDATE, 0,
                        at(1, 10, 0), "a06-attendance"))
                .setOutcome("ADMITTED").setDepartedAt(at(1, 14, 0)).build(), at(1, 14, 0), "a04");
        var admitted = sentAt(admission(PATIENT, "V500", Action.NEW, 0, at(1, 14, 0), "CDU", "a06-admission"),
                at(1, 14, 0), null);
        t.publish(updated, admitted);

        TimelineEntry attendance = t.reader().entry(PATIENT, "ATTENDANCE|RJ1|V500").orElseThrow();
        assertThat(attendance.getStatus()).isEqualTo(EntryStatus.CURRENT);
        assertThat(attendance.getDetails()).containsEntry("outcome", "ADMITTED")
                .containsEntry("departedAt", at(1, 14, 0).toString());
        assertThat(attendance.getSummary()).startsWith("A&E attendance: chest pain (admitted)");
        TimelineSummary s = summary();
        assertThat(s.getAttendances()).isEqualTo(1);
        assertThat(s.getSpells()).singleElement().satisfies(spell -> {
            assertThat(spell.getSpellId()).isEqualTo("V500");
            assertThat(spell.getAdmittedAt()).isEqualTo(at(1, 14, 0));
            assertThat(spell.getDischargedAt()).as("in hospital now").isNull();
            assertThat(spell.getCurrentWard()).isEqualTo("CDU");
        });
    }

    // ---- item 10: the whole location ------------------------------------------------------------------

    @Test
    void bedMovesShowTheWholeLocation() {
        var a01 = admission(PATIENT, "V600", Action.NEW, 0, at(1, 9, 0), "AMU", "a01");
        a01.setLocation(location("AMU", "2", "4", "RJ101"));
        a01.setTreatmentFunctionCode(new Coding("https://fhir.nhs.uk/CodeSystem/NHSDataModelAndDictionary-treatment-function",
                "300", "General internal medicine"));
        a01.setDiagnoses(List.of(new Coding("http://snomed.info/sct", "22298006", "Myocardial infarction")));
        var a02 = transfer(PATIENT, "V600/transfer-1", "V600", Action.NEW, 0, at(1, 15, 0), "AMU", "Ward 12", "a02");
        a02.setFromLocation(location("AMU", "2", "4", "RJ101"));
        a02.setToLocation(location("Ward 12", null, "7", "RJ101"));
        var a17 = transfer(PATIENT, "V600/transfer-2", "V600", Action.NEW, 0, at(1, 18, 0), "Ward 12", "Ward 12",
                "a17");
        a17.setFromLocation(location("Ward 12", null, "7", "RJ101"));
        a17.setToLocation(location("Ward 12", "Side room 1", "1", "RJ101"));
        a17.setReason("SWAPPED_BEDS");
        t.publish(a01, a02, a17);

        TimelineEntry admitted = t.reader().entry(PATIENT, "ADMISSION|RJ1|V600").orElseThrow();
        assertThat(admitted.getSummary()).isEqualTo("Admitted to AMU bay 2 bed 4 (General medicine) - RJ1");
        assertThat(admitted.getDetails()).containsEntry("location.pointOfCare", "AMU")
                .containsEntry("location.room", "2").containsEntry("location.bed", "4")
                .containsEntry("location.site", "RJ101")
                .containsEntry("treatmentFunctionCode",
                        "https://fhir.nhs.uk/CodeSystem/NHSDataModelAndDictionary-treatment-function|300|"
                                + "General internal medicine")
                .containsEntry("diagnoses.0", "http://snomed.info/sct|22298006|Myocardial infarction");
        assertThat(admitted.getDetails().values()).noneMatch(v -> v.contains("{\""));
        assertThat(t.reader().entry(PATIENT, "TRANSFER|RJ1|V600/transfer-1").orElseThrow().getSummary())
                .isEqualTo("Transferred from AMU bay 2 bed 4 to Ward 12 bed 7 - RJ1");
        assertThat(t.reader().entry(PATIENT, "TRANSFER|RJ1|V600/transfer-2").orElseThrow().getSummary())
                .isEqualTo("Transferred from Ward 12 bed 7 to Ward 12 Side room 1 bed 1 (beds swapped) - RJ1");
        HospitalSpell spell = summary().getSpells().get(0);
        assertThat(spell.getCurrentWard()).isEqualTo("Ward 12");
        assertThat(spell.getLocation().getPointOfCare()).isEqualTo("Ward 12");
        assertThat(spell.getLocation().getRoom()).isEqualTo("Side room 1");
        assertThat(spell.getLocation().getBed()).isEqualTo("1");
        assertThat(spell.getLocation().getSite()).isEqualTo("RJ101");
        assertThat(spell.getTransfers()).isEqualTo(2);
    }

    // ---- item 4: death, with who recorded it ------------------------------------------------------------

    @Test
    void aDeathShowsTheDeceasedPatientWithWhenAndWhoRecordedIt() {
        Death died = Death.newBuilder()
                .setHeader(CareEventFixtures.header(PATIENT, "RJ1", ProviderKind.ACUTE, "death", Action.NEW, 0,
                        at(5, 3, 10), "a03-death"))
                .setPlaceOfDeath("Hospital").setVerified(true).setRecordedBy("Dr A Khan").build();
        died.getHeader().setSource(new Source("RJ1", "St Elsewhere Hospital", ProviderKind.ACUTE, "PAS"));
        t.publish(died);
        TimelineSummary s = summary();
        assertThat(s.getDeceased()).isTrue();
        assertThat(s.getDiedAt()).isEqualTo(at(5, 3, 10));
        assertThat(s.getDeathRecordedBy()).isEqualTo("Dr A Khan, St Elsewhere Hospital (RJ1)");
        // a correction that withdraws the death (recorded in error) makes the patient alive again
        Death withdrawn = Death.newBuilder(died).setHeader(CareEventFixtures.header(PATIENT, "RJ1",
                ProviderKind.ACUTE, "death", Action.CANCEL, 0, at(5, 3, 10), "a03-death-withdrawn")).build();
        withdrawn.getHeader().setSupersedes(id("a03-death"));
        t.publish(withdrawn);
        assertThat(summary().getDeceased()).isFalse();
        assertThat(summary().getDeathRecordedBy()).isNull();
    }

    // ---- item 8: one line per medicine ------------------------------------------------------------------

    @Test
    void theCurrentMedicationListHasOneLinePerMedicineWithItsLatestIssueAndWhoIssuedIt() {
        Coding metformin = dmd("39108711000001109", "Metformin 500mg tablets");
        t.publish(
                prescription("rx-gp-1", "A81001", "The Surgery", ProviderKind.GP, "Metformin 500mg", metformin,
                        "1 tablet twice daily", at(1, 9, 0), null),
                prescription("rx-hosp-1", "RJ1", "St Elsewhere Hospital", ProviderKind.ACUTE, "metformin  500 mg",
                        null, "500mg twice daily", at(5, 9, 0), null),
                prescription("rx-pharm-1", "FA123", "High Street Pharmacy", ProviderKind.PHARMACY,
                        "Metformin 500mg tablets", metformin, "1 tablet twice daily", at(6, 12, 0), null),
                prescription("rx-gp-2", "A81001", "The Surgery", ProviderKind.GP, "Atorvastatin 20mg", null,
                        "1 tablet at night", at(2, 9, 0), null),
                prescription("rx-ended", "A81001", "The Surgery", ProviderKind.GP, "Amoxicillin 500mg", null,
                        "3 times a day", at(1, 9, 0), at(8, 9, 0)));
        Prescription cancelled = prescription("rx-cancelled", "A81001", "The Surgery", ProviderKind.GP,
                "Ramipril 5mg", null, "once daily", at(3, 9, 0), null);
        Prescription cancel = Prescription.newBuilder(cancelled).setHeader(CareEventFixtures.header(PATIENT, "A81001",
                ProviderKind.GP, "rx-cancelled", Action.CANCEL, 2, at(3, 9, 0), "rx-cancelled-cancel")).build();
        t.publish(cancelled, cancel);

        List<MedicationLine> lines = summary().getMedications();
        assertThat(lines).extracting(MedicationLine::getMedication)
                .containsExactly("Atorvastatin 20mg", "Metformin 500mg tablets");
        MedicationLine m = lines.get(1);
        assertThat(m.getIssues()).as("GP issue, hospital prescription, pharmacy dispensing").isEqualTo(3);
        assertThat(m.getCode().getCode()).isEqualTo("39108711000001109");
        assertThat(m.getLastIssuedAt()).isEqualTo(at(6, 12, 0));
        assertThat(m.getLastIssuedBy().getOdsCode()).isEqualTo("FA123");
        assertThat(m.getLastIssuedBy().getKind()).isEqualTo(ProviderKind.PHARMACY);
        assertThat(m.getDose()).isEqualTo("1 tablet twice daily");
        assertThat(summary().getCurrentPrescriptions()).as("kept as before: every current entry").hasSize(4);
    }

    private static Prescription prescription(String subject, String ods, String name, ProviderKind kind,
            String medication, Coding code, String dose, Instant at, Instant endsAt) {
        Prescription p = Prescription.newBuilder()
                .setHeader(CareEventFixtures.header(PATIENT, ods, kind, subject, Action.NEW, 1, at, subject))
                .setMedication(medication).setMedicationCode(code).setDose(dose).setRepeat(true).setEndsAt(endsAt)
                .build();
        p.getHeader().setSource(new Source(ods, name, kind, "test"));
        return p;
    }
}
