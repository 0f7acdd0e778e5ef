package org.caretrail.producers.hl7;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.Death;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.Prescription;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;
import org.caretrail.events.model.Transfer;
import org.caretrail.producers.support.MockPublisher;
import org.junit.jupiter.api.Test;

/** Care events → ADT over MLLP → the listener → care events again: what the simulator's HL7 route does. */
class MllpEventSinkTest {

    static final Instant T0 = Instant.parse("2026-11-20T09:00:00Z");

    private static EventHeader header(Action action, String subject, Instant at) {
        return EventHeader.newBuilder().setEventId(UUID.randomUUID().toString()).setAction(action)
                .setSubjectId(subject).setVersion(at.toEpochMilli()).setOccurredAt(at).setRecordedAt(at)
                .setSource(new Source("RJ1", "St Thomas' | Guy's", ProviderKind.ACUTE, "SIM"))
                .setPatient(new PatientRef(AdtMapperTest.NHS, new LocalIdentifier("RJ1-MRN", "M^1")))
                .setSensitivity(Sensitivity.NORMAL).build();
    }

    @Test
    void events_sent_as_adt_come_back_as_the_same_care_items() throws Exception {
        MockPublisher mock = new MockPublisher();
        Instant moved = T0.plusSeconds(3600);
        List<SpecificRecord> sent = List.of(
                Admission.newBuilder().setHeader(header(Action.NEW, "S1", T0)).setWard("WARD | 7").setSite("MAIN")
                        .setAdmissionMethod("EMERGENCY").build(),
                Transfer.newBuilder().setHeader(header(Action.NEW, "S1-T1", moved)).setSpellId("S1")
                        .setFromWard("WARD | 7").setToWard("WARD 9").build(),
                Transfer.newBuilder().setHeader(header(Action.CANCEL, "S1-T1", moved)).setSpellId("S1").build(),
                Discharge.newBuilder().setHeader(header(Action.NEW, "S1-D", T0.plusSeconds(7200))).setSpellId("S1")
                        .setDestination("CARE_HOME").build(),
                Attendance.newBuilder().setHeader(header(Action.NEW, "AE9", T0)).setDepartment("ED").build());
        try (MllpAdapter adapter = MllpAdapterTest.adapter(mock, Hl7Settings.defaults().withPort(0)).start();
             MllpEventSink sink = new MllpEventSink("127.0.0.1", adapter.port(), 2)) {
            for (SpecificRecord event : sent) {
                assertThat(sink.send(event).get(10, TimeUnit.SECONDS)).isEqualTo("AA");
            }
            CompletableFuture<String> notHl7 = sink.send(Prescription.newBuilder()
                    .setHeader(header(Action.NEW, "RX", T0)).setMedication("x").build());
            assertThat(notHl7).failsWithin(1, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class)
                    .withMessageContaining("not sent over HL7v2");
        }
        List<SpecificRecord> received = MllpAdapterTest.careEvents(mock);
        assertThat(received).extracting(e -> e.getSchema().getName() + " " + CareEvents.header(e).getAction() + " "
                + CareEvents.header(e).getSubjectId()).containsExactly(
                "Admission NEW S1",
                "Transfer NEW S1/transfer/" + moved,
                "Transfer CANCEL S1/transfer/" + moved,
                "Discharge NEW S1/discharge",
                "Attendance NEW AE9");
        Admission admission = (Admission) received.get(0);
        assertThat(admission.getWard()).isEqualTo("WARD | 7");
        assertThat(admission.getAdmissionMethod()).isEqualTo("EMERGENCY");
        assertThat(admission.getHeader().getPatient().getLocalId()).isEqualTo(new LocalIdentifier("RJ1-MRN", "M^1"));
        assertThat(admission.getHeader().getOccurredAt()).isEqualTo(T0);
        assertThat(((Discharge) received.get(3)).getDestination()).isEqualTo("CARE_HOME");
    }

    @Test
    void a_rejection_fails_the_send_with_the_listeners_reason() throws Exception {
        MockPublisher mock = new MockPublisher();
        EventHeader bad = header(Action.NEW, "S2", T0);
        bad.getPatient().setNhsNumber("9990000019");
        try (MllpAdapter adapter = MllpAdapterTest.adapter(mock, Hl7Settings.defaults().withPort(0)).start();
             MllpEventSink sink = new MllpEventSink("127.0.0.1", adapter.port(), 1)) {
            assertThat(sink.send(Admission.newBuilder().setHeader(bad).build()))
                    .failsWithin(10, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class)
                    .withMessageContaining("AE: ").withMessageContaining("Modulus 11");
        }
    }

    @Test
    void the_simulators_hospital_pathways_come_out_of_the_adapter_as_the_care_they_describe() throws Exception {
        MockPublisher mock = new MockPublisher();
        Instant arrived = T0;
        Instant admitted = T0.plusSeconds(4 * 3600);
        Instant died = T0.plusSeconds(40 * 3600);
        EventHeader cancelledSpell = header(Action.NEW, "S7", T0);
        LocalIdentifier temporary = new LocalIdentifier("RJ1-MRN", "TEMP1");
        List<SpecificRecord> sent = List.of(
                // A&E → admitted: one A06
                Attendance.newBuilder().setHeader(header(Action.NEW, "AE9", arrived)).setDepartment("ED").build(),
                Attendance.newBuilder().setHeader(header(Action.UPDATE, "AE9", arrived)).setDepartment("ED")
                        .setOutcome("ADMITTED").setDepartedAt(admitted).build(),
                Admission.newBuilder().setHeader(header(Action.NEW, "S5", admitted)).setWard("AMU")
                        .setAdmissionMethod("EMERGENCY").build(),
                // admitted in error and cancelled (A01, then A11 with PV1-2 = O)
                Admission.newBuilder().setHeader(cancelledSpell).setWard("DAY SURGERY").build(),
                Admission.newBuilder().setHeader(header(Action.CANCEL, "S7", T0.plusSeconds(600))).build(),
                // died in hospital: the death travels in the A03
                Discharge.newBuilder().setHeader(header(Action.NEW, "S5-D", died)).setSpellId("S5")
                        .setDestination("DIED").setDischargeMethod("DIED").build(),
                Death.newBuilder().setHeader(header(Action.NEW, "S5-DEATH", died)).setPlaceOfDeath("HOSPITAL")
                        .setVerified(true).build(),
                // a temporary hospital number merged into the patient's own by MRG-1 alone
                PatientIdentity.newBuilder().setHeader(header(Action.NEW, "MERGE-TEMP1", died.plusSeconds(60)))
                        .setKind(IdentityKind.MERGE).setNhsNumber(AdtMapperTest.NHS).setLocalId(temporary).build());
        try (MllpAdapter adapter = MllpAdapterTest.adapter(mock, Hl7Settings.defaults().withPort(0)).start();
             MllpEventSink sink = new MllpEventSink("127.0.0.1", adapter.port(), 2)) {
            for (SpecificRecord event : sent) {
                assertThat(sink.send(event).get(10, TimeUnit.SECONDS)).isEqualTo("AA");
            }
            assertThat(sink.send(sent.get(2)).get(10, TimeUnit.SECONDS)).as("a resent event").isEqualTo("AA");
        }
        List<SpecificRecord> received = MllpAdapterTest.careEvents(mock);
        assertThat(received).extracting(e -> e.getSchema().getName() + " " + CareEvents.header(e).getAction() + " "
                + CareEvents.header(e).getSubjectId()).containsExactly(
                "Attendance NEW AE9",
                "Attendance UPDATE AE9",
                "Admission NEW S5",
                "Admission NEW S7",
                "Admission CANCEL S7",
                "Discharge NEW S5/discharge",
                "Death NEW death/RJ1-MRN|M^1");
        assertThat(((Attendance) received.get(1)).getOutcome()).isEqualTo("ADMITTED");
        assertThat(((Attendance) received.get(1)).getDepartedAt()).isEqualTo(admitted);
        assertThat(CareEvents.header(received.get(4)).getSupersedes())
                .isEqualTo(CareEvents.header(received.get(3)).getEventId());
        assertThat(((Discharge) received.get(5)).getDestination()).isEqualTo("DIED");
        assertThat(CareEvents.header(received.get(6)).getOccurredAt()).isEqualTo(died);
        PatientIdentity merge = mock.events().stream().filter(PatientIdentity.class::isInstance)
                .map(PatientIdentity.class::cast).filter(p -> p.getKind() == IdentityKind.MERGE).findFirst().orElseThrow();
        assertThat(merge.getLocalId()).isEqualTo(temporary);
        assertThat(merge.getSupersededNhsNumber()).isNull();
        assertThat(merge.getNhsNumber()).isEqualTo(AdtMapperTest.NHS);
    }

    @Test
    void an_admission_sent_before_the_attendance_it_ended_still_ends_that_attendance() throws Exception {
        MockPublisher mock = new MockPublisher();
        Instant admitted = T0.plusSeconds(3 * 3600);
        try (MllpAdapter adapter = MllpAdapterTest.adapter(mock, Hl7Settings.defaults().withPort(0)).start();
             MllpEventSink sink = new MllpEventSink("127.0.0.1", adapter.port(), 1)) {
            for (SpecificRecord event : List.<SpecificRecord>of(
                    Attendance.newBuilder().setHeader(header(Action.NEW, "AE10", T0)).setDepartment("ED").build(),
                    Admission.newBuilder().setHeader(header(Action.NEW, "S10", admitted)).setWard("AMU").build(),
                    Attendance.newBuilder().setHeader(header(Action.UPDATE, "AE10", T0)).setDepartment("ED")
                            .setOutcome("ADMITTED").setDepartedAt(admitted).build())) {
                assertThat(sink.send(event).get(10, TimeUnit.SECONDS)).isEqualTo("AA");
            }
        }
        List<SpecificRecord> received = MllpAdapterTest.careEvents(mock);
        assertThat(received).extracting(e -> e.getSchema().getName() + " " + CareEvents.header(e).getAction() + " "
                + CareEvents.header(e).getSubjectId()).containsExactly(
                "Attendance NEW AE10", "Admission NEW S10", "Attendance UPDATE AE10", "Admission NEW S10");
        assertThat(((Attendance) received.get(2)).getOutcome()).isEqualTo("ADMITTED");
    }
}
