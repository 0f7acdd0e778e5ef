package org.caretrail.it.adapters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.producers.hl7.AdtMessageBuilder.adt;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.producers.hl7.AdtMessageBuilder;
import org.caretrail.timeline.query.TimelinePage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Facts about the patient that any ADT message carries, end to end over MLLP: death in PID-29
 * (date/time of death) and PID-30 (death indicator) (HL7 v2.5.1 3.4.2; issue 8 item 4), and
 * confidentiality markers PV1-16 (VIP indicator) and PD1-12 (protection indicator) making the
 * entries RESTRICTED (issue 10 item 2).
 */
@Tag("integration")
class Hl7DeathAndConfidentialityIT {

    static Hl7TimelineFixture hl7;
    static final Instant DAY = Instant.now().minus(5, ChronoUnit.DAYS).truncatedTo(ChronoUnit.DAYS);

    @BeforeAll
    static void start() throws Exception {
        hl7 = new Hl7TimelineFixture("hl7-death");
    }

    @AfterAll
    static void stop() throws Exception {
        if (hl7 != null) {
            hl7.close();
        }
    }

    private static AdtMessageBuilder inpatient(String nhs, String mrn, String trigger, String id, Instant at) {
        return adt(trigger, id, at).facility("RJ1").nhsNumber(nhs).localId(mrn, "MRENTR").visitNumber("D-" + mrn)
                .patientClass("I").location("WARD 10", "RJ100");
    }

    @Test
    void a_patient_who_died_in_hospital_is_shown_deceased_and_a_corrected_death_is_withdrawn() throws Exception {
        String nhs = Hl7TimelineFixture.nhsNumber(400110);
        Instant admitted = DAY.plusSeconds(2 * 3600);
        Instant died = DAY.plusSeconds(30 * 3600);
        hl7.accepted(inpatient(nhs, "44000110", "A01", "DTH-A01", admitted).admitTime(admitted).build());
        hl7.accepted(inpatient(nhs, "44000110", "A03", "DTH-A03", died.plusSeconds(1800)).dischargeTime(died)
                .dischargeDisposition("4").pv1(37, "79").pid(29, AdtMessageBuilder.hl7Time(died)).pid(30, "Y")
                .evn(5, "C9999^NURSE^MARY").build());

        TimelinePage page = hl7.timelineOf(nhs, p -> p.summary().getDeceased());
        assertThat(page.summary().getDiedAt()).isEqualTo(died);
        assertThat(page.summary().getSpells().get(0).getDischargeDestination()).isEqualTo("DIED");
        TimelineEntry death = page.entries().stream().filter(e -> e.getType() == EventType.DEATH).findFirst()
                .orElseThrow();
        assertThat(death.getDetails().get("recordedBy")).isEqualTo("MARY NURSE");

        // the death was recorded on the wrong patient: PID-30 = N on a later update
        hl7.accepted(inpatient(nhs, "44000110", "A08", "DTH-A08", died.plusSeconds(7200)).admitTime(admitted)
                .pid(30, "N").build());
        TimelinePage corrected = hl7.timelineOf(nhs, p -> !p.summary().getDeceased());
        assertThat(corrected.entries()).filteredOn(e -> e.getType() == EventType.DEATH)
                .extracting(TimelineEntry::getStatus).containsExactly(EntryStatus.WITHDRAWN);
    }

    @Test
    void a_death_given_on_a_person_update_a31_is_a_death_too() throws Exception {
        String nhs = Hl7TimelineFixture.nhsNumber(400120);
        Instant died = DAY.plusSeconds(20 * 3600);
        hl7.accepted(inpatient(nhs, "44000120", "A31", "DTH-A31", died.plusSeconds(3600)).withoutPv1()
                .pid(29, AdtMessageBuilder.hl7Time(died)).pid(30, "Y").build());
        TimelinePage page = hl7.timelineOf(nhs, p -> p.summary().getDeceased());
        assertThat(page.summary().getDiedAt()).isEqualTo(died);
    }

    @Test
    void a_vip_or_protected_patients_entries_are_restricted() throws Exception {
        String vip = Hl7TimelineFixture.nhsNumber(400130);
        String protectedPatient = Hl7TimelineFixture.nhsNumber(400140);
        Instant admitted = DAY.plusSeconds(12 * 3600);
        hl7.accepted(inpatient(vip, "44000130", "A01", "VIP-A01", admitted).pv1(16, "Y").build());
        hl7.accepted(inpatient(protectedPatient, "44000140", "A01", "PROT-A01", admitted)
                .segment("PD1||||||||||||Y").build());

        for (String nhs : new String[] {vip, protectedPatient}) {
            TimelinePage page = hl7.timelineOf(nhs, p -> !p.entries().isEmpty());
            assertThat(page.entries()).as(nhs).extracting(TimelineEntry::getSensitivity)
                    .containsOnly(Sensitivity.RESTRICTED);
        }
    }
}
