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
 * Moves over MLLP, end to end: a change of class within the visit (HL7 v2.5.1 3.3.6 A06, an A&amp;E
 * patient admitted), two patients swapping beds (3.3.17 A17), and a patient first seen mid-spell
 * (a feed that starts mid-stay: A02, A03 or A08 for a visit whose A01 never arrived; issue 8 item 9).
 */
@Tag("integration")
class Hl7MovesIT {

    static Hl7TimelineFixture hl7;
    static final Instant DAY = Instant.now().minus(2, ChronoUnit.DAYS).truncatedTo(ChronoUnit.DAYS);

    @BeforeAll
    static void start() throws Exception {
        hl7 = new Hl7TimelineFixture("hl7-moves");
    }

    @AfterAll
    static void stop() throws Exception {
        if (hl7 != null) {
            hl7.close();
        }
    }

    private static AdtMessageBuilder visit(String nhs, String mrn, String trigger, String id, Instant at, String visit) {
        return adt(trigger, id, at).facility("RJ1").nhsNumber(nhs).localId(mrn, "MRENTR").visitNumber(visit)
                .patientClass("I").location("WARD 7", "RJ100");
    }

    @Test
    void an_ae_patient_admitted_by_a06_has_the_attendance_ended_admitted_and_an_open_spell() throws Exception {
        String nhs = Hl7TimelineFixture.nhsNumber(200110);
        Instant arrived = DAY.plusSeconds(10 * 3600);
        Instant admitted = arrived.plusSeconds(4 * 3600);
        hl7.accepted(visit(nhs, "42000110", "A04", "ED-A04", arrived, "ED1").patientClass("E")
                .location("ED MAJORS", "RJ100").admitTime(arrived).build());
        hl7.accepted(visit(nhs, "42000110", "A06", "ED-A06", admitted, "ED1").eventOccurred(admitted)
                .pv1(3, "AMU^BAY 3^BED 12^RJ100").priorWard("ED MAJORS").admitTime(admitted).build());

        TimelinePage page = hl7.timelineOf(nhs, p -> p.entries().size() == 2 && p.entries().stream()
                .anyMatch(e -> "ADMITTED".equals(e.getDetails().get("outcome"))));

        TimelineEntry attendance = page.entries().stream().filter(e -> e.getType() == EventType.ATTENDANCE)
                .findFirst().orElseThrow();
        assertThat(attendance.getStatus()).isEqualTo(EntryStatus.CURRENT);
        assertThat(attendance.getOccurredAt()).as("the attendance still starts at arrival").isEqualTo(arrived);
        assertThat(attendance.getDetails().get("departedAt")).isNotNull();
        HospitalSpell spell = page.summary().getSpells().get(0);
        assertThat(spell.getSpellId()).isEqualTo("ED1");
        assertThat(spell.getAdmittedAt()).isEqualTo(admitted);
        assertThat(spell.getDischargedAt()).as("in hospital now").isNull();
        assertThat(spell.getCurrentWard()).isEqualTo("AMU");
    }

    @Test
    void two_patients_swapping_beds_by_a17_each_get_a_transfer() throws Exception {
        String first = Hl7TimelineFixture.nhsNumber(200120);
        String second = Hl7TimelineFixture.nhsNumber(200130);
        Instant t0 = DAY.plusSeconds(8 * 3600);
        hl7.accepted(visit(first, "42000120", "A01", "SW-A01a", t0, "SW1").admitTime(t0).build());
        hl7.accepted(visit(second, "42000130", "A01", "SW-A01b", t0.plusSeconds(60), "SW2")
                .admitTime(t0.plusSeconds(60)).location("WARD 8", "RJ100").build());
        String a17 = String.join("\r",
                "MSH|^~\\&|PAS|RJ1|CARETRAIL|CARETRAIL|" + AdtMessageBuilder.hl7Time(t0.plusSeconds(3600))
                        + "||ADT^A17^ADT_A17|SW-A17|P|2.5.1",
                "EVN|A17|" + AdtMessageBuilder.hl7Time(t0.plusSeconds(3600)),
                "PID|||" + first + "^^^NHS^NH~42000120^^^MRENTR^MEDREC||SMITH^ANN||19500101|F",
                "PV1||I|WARD 8^^^RJ100|||WARD 7^^^RJ100|||||||||||||SW1",
                "PID|||" + second + "^^^NHS^NH~42000130^^^MRENTR^MEDREC||JONES^BOB||19500101|M",
                "PV1||I|WARD 7^^^RJ100|||WARD 8^^^RJ100|||||||||||||SW2") + "\r";
        hl7.accepted(a17);

        for (String[] expected : new String[][] {{first, "WARD 8"}, {second, "WARD 7"}}) {
            TimelinePage page = hl7.timelineOf(expected[0], p -> !p.summary().getSpells().isEmpty()
                    && p.summary().getSpells().get(0).getTransfers() == 1);
            HospitalSpell spell = page.summary().getSpells().get(0);
            assertThat(spell.getCurrentWard()).as(expected[0]).isEqualTo(expected[1]);
            TimelineEntry transfer = page.entries().stream().filter(e -> e.getType() == EventType.TRANSFER)
                    .findFirst().orElseThrow();
            assertThat(transfer.getDetails().get("reason")).isEqualTo("SWAPPED_BEDS");
        }
    }

    @Test
    void a_patient_first_seen_at_an_a08_of_an_inpatient_visit_is_in_hospital() throws Exception {
        String nhs = Hl7TimelineFixture.nhsNumber(200140);
        Instant admitted = DAY.plusSeconds(6 * 3600);
        hl7.accepted(visit(nhs, "42000140", "A08", "MID-A08", admitted.plusSeconds(7200), "MID1").admitTime(admitted)
                .build());
        TimelinePage page = hl7.timelineOf(nhs, p -> !p.summary().getSpells().isEmpty());
        HospitalSpell spell = page.summary().getSpells().get(0);
        assertThat(spell.getSpellId()).isEqualTo("MID1");
        assertThat(spell.getAdmittedAt()).isEqualTo(admitted);
        assertThat(spell.getDischargedAt()).isNull();
    }

    @Test
    void a_patient_first_seen_at_a_transfer_is_in_hospital_and_the_discharge_closes_that_spell() throws Exception {
        String nhs = Hl7TimelineFixture.nhsNumber(200150);
        Instant moved = DAY.plusSeconds(9 * 3600);
        hl7.accepted(visit(nhs, "42000150", "A02", "MID-A02", moved, "MID2").location("WARD 9", "RJ100")
                .priorWard("WARD 7").build());
        TimelinePage inHospital = hl7.timelineOf(nhs, p -> !p.summary().getSpells().isEmpty());
        HospitalSpell spell = inHospital.summary().getSpells().get(0);
        assertThat(spell.getSpellId()).isEqualTo("MID2");
        assertThat(spell.getCurrentWard()).isEqualTo("WARD 9");
        assertThat(spell.getAdmissionSeen()).isFalse();
        assertThat(spell.getDischargedAt()).isNull();

        Instant discharged = moved.plusSeconds(24 * 3600);
        hl7.accepted(visit(nhs, "42000150", "A03", "MID-A03", discharged, "MID2").location("WARD 9", "RJ100")
                .dischargeTime(discharged).dischargeDisposition("1").pv1(37, "19").build());
        TimelinePage closed = hl7.timelineOf(nhs, p -> p.summary().getSpells().get(0).getDischargedAt() != null);
        assertThat(closed.summary().getSpells().get(0).getDischargedAt()).isEqualTo(discharged);
        assertThat(closed.summary().getSpells().get(0).getDischargeDestination()).isEqualTo("HOME");
    }

    @Test
    void a_patient_first_seen_at_discharge_has_a_closed_spell() throws Exception {
        String nhs = Hl7TimelineFixture.nhsNumber(200160);
        Instant discharged = DAY.plusSeconds(15 * 3600);
        hl7.accepted(visit(nhs, "42000160", "A03", "MID-A03b", discharged, "MID3").dischargeTime(discharged)
                .dischargeDisposition("1").pv1(37, "54").build());
        TimelinePage page = hl7.timelineOf(nhs, p -> !p.summary().getSpells().isEmpty());
        assertThat(page.summary().getSpells().get(0).getDischargedAt()).isEqualTo(discharged);
        assertThat(page.summary().getSpells().get(0).getDischargeDestination()).isEqualTo("CARE_HOME");
    }
}
