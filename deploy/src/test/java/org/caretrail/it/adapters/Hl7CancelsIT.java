package org.caretrail.it.adapters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.producers.hl7.AdtMessageBuilder.adt;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.HospitalSpell;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.producers.hl7.AdtMessageBuilder;
import org.caretrail.timeline.query.TimelinePage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Cancels over MLLP, end to end (HAPI's MLLP client → listener → real broker and registry → the
 * timeline): a cancel withdraws the item it cancels, whatever patient class it carries and
 * whatever its MSH-7 says (HL7 v2.5.1 3.3.11 A11, 3.3.12 A12; issue 8 items 1 and 2).
 */
@Tag("integration")
class Hl7CancelsIT {

    static Hl7TimelineFixture hl7;
    static final Instant DAY = Instant.now().minus(3, ChronoUnit.DAYS).truncatedTo(ChronoUnit.DAYS);

    @BeforeAll
    static void start() throws Exception {
        hl7 = new Hl7TimelineFixture("hl7-cancels");
    }

    @AfterAll
    static void stop() throws Exception {
        if (hl7 != null) {
            hl7.close();
        }
    }

    private static AdtMessageBuilder inpatient(String nhs, String mrn, String trigger, String id, Instant at, String visit) {
        return adt(trigger, id, at).facility("RJ1").nhsNumber(nhs).localId(mrn, "MRENTR").visitNumber(visit)
                .patientClass("I").location("WARD 7", "RJ100");
    }

    @Test
    void an_admission_cancelled_by_an_a11_carrying_the_outpatient_class_leaves_no_one_in_hospital() throws Exception {
        String nhs = Hl7TimelineFixture.nhsNumber(100110);
        Instant admitted = DAY.plusSeconds(9 * 3600);
        hl7.accepted(inpatient(nhs, "41000101", "A01", "CX-A01", admitted, "VC1").admitTime(admitted).build());
        // Epic sends A11 with PV1-2 = O: the class after the cancel
        hl7.accepted(inpatient(nhs, "41000101", "A11", "CX-A11", admitted.plusSeconds(900), "VC1")
                .patientClass("O").build());

        TimelinePage page = hl7.timelineOf(nhs, p -> p.entries().stream()
                .anyMatch(e -> e.getType() == EventType.ADMISSION && e.getStatus() == EntryStatus.WITHDRAWN)
                && p.summary().getSpells().isEmpty());

        assertThat(page.entries()).extracting(e -> e.getType() + " " + e.getStatus())
                .containsExactly("ADMISSION WITHDRAWN");
        assertThat(page.summary().getSpells()).as("no spell: nobody in hospital").isEmpty();
    }

    @Test
    void a_transfer_cancelled_by_an_a12_stamped_before_it_is_withdrawn_and_the_ward_reverts() throws Exception {
        // issue 8 item 2, exactly: A02 at MSH-7 13:30, then the A12 cancelling it at MSH-7 12:45
        String nhs = Hl7TimelineFixture.nhsNumber(100120);
        Instant admitted = DAY.plusSeconds(8 * 3600);
        Instant at1330 = DAY.plusSeconds(13 * 3600 + 30 * 60);
        Instant at1245 = DAY.plusSeconds(12 * 3600 + 45 * 60);
        hl7.accepted(inpatient(nhs, "41000102", "A01", "SK-A01", admitted, "VC2").admitTime(admitted).build());
        hl7.accepted(inpatient(nhs, "41000102", "A02", "SK-A02", at1330, "VC2").location("WARD 9", "RJ100")
                .priorWard("WARD 7").build());
        hl7.accepted(inpatient(nhs, "41000102", "A12", "SK-A12", at1245, "VC2").location("WARD 7", "RJ100")
                .priorWard("WARD 9").build());

        TimelinePage page = hl7.timelineOf(nhs, p -> p.entries().stream()
                .anyMatch(e -> e.getType() == EventType.TRANSFER && e.getStatus() == EntryStatus.WITHDRAWN)
                && !p.summary().getSpells().isEmpty() && p.summary().getSpells().get(0).getTransfers() == 0);

        TimelineEntry transfer = page.entries().stream().filter(e -> e.getType() == EventType.TRANSFER)
                .findFirst().orElseThrow();
        assertThat(transfer.getStatus()).as("visible with history=true, withdrawn").isEqualTo(EntryStatus.WITHDRAWN);
        HospitalSpell spell = page.summary().getSpells().get(0);
        assertThat(spell.getCurrentWard()).as("the ward reverts").isEqualTo("WARD 7");
        assertThat(spell.getTransfers()).isZero();
    }

    @Test
    void an_a12_naming_its_transfer_by_evn_6_withdraws_it() throws Exception {
        String nhs = Hl7TimelineFixture.nhsNumber(100130);
        Instant admitted = DAY.plusSeconds(7 * 3600);
        Instant moved = DAY.plusSeconds(10 * 3600);
        hl7.accepted(inpatient(nhs, "41000103", "A01", "EV-A01", admitted, "VC3").admitTime(admitted).build());
        hl7.accepted(inpatient(nhs, "41000103", "A02", "EV-A02", moved, "VC3").eventOccurred(moved)
                .location("WARD 9", "RJ100").priorWard("WARD 7").build());
        hl7.accepted(inpatient(nhs, "41000103", "A12", "EV-A12", moved.plusSeconds(1200), "VC3").eventOccurred(moved)
                .build());

        // entries and summary are read from two stores: wait for both
        TimelinePage page = hl7.timelineOf(nhs, p -> p.entries().stream()
                .anyMatch(e -> e.getType() == EventType.TRANSFER && e.getStatus() == EntryStatus.WITHDRAWN)
                && !p.summary().getSpells().isEmpty() && p.summary().getSpells().get(0).getTransfers() == 0);
        assertThat(page.entries()).as(page.entries().toString()).filteredOn(e -> e.getType() == EventType.TRANSFER)
                .extracting(TimelineEntry::getStatus).containsExactly(EntryStatus.WITHDRAWN);
        assertThat(page.summary().getSpells().get(0).getCurrentWard()).as(page.summary().toString()).isEqualTo("WARD 7");
    }

    @Test
    void a_cancel_of_a_visit_this_adapter_never_saw_leaves_no_trace_of_its_candidates() throws Exception {
        // the A11 arrives for a visit this adapter never saw (a feed started after the A01): it cancels each
        // candidate (admission, attendance, outpatient visit); none was ever stated, so none may show
        String nhs = Hl7TimelineFixture.nhsNumber(100140);
        Instant t = DAY.plusSeconds(11 * 3600);
        hl7.accepted(inpatient(nhs, "41000140", "A11", "UNK-A11", t, "VC4").patientClass("O").build());
        hl7.accepted(inpatient(nhs, "41000140", "A01", "UNK-A01", t.plusSeconds(600), "VC5").admitTime(t).build());
        TimelinePage page = hl7.timelineOf(nhs, p -> !p.summary().getSpells().isEmpty());
        assertThat(page.entries()).as("with history=true: only the admission of VC5")
                .extracting(e -> e.getType() + " " + e.getSubjectId() + " " + e.getStatus())
                .containsExactly("ADMISSION VC5 CURRENT");
    }
}
