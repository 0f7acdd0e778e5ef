package org.caretrail.producers.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Appointment;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.Prescription;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Referral;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;
import org.caretrail.events.model.Transfer;
import org.caretrail.producers.support.MockPublisher;
import org.junit.jupiter.api.Test;

/** Care events → FHIR over HTTP → the gateway → care events again: the simulator's FHIR route. */
class FhirEventSinkTest {

    static final Instant T0 = Instant.parse("2026-11-20T09:00:00Z");

    private static EventHeader header(Action action, String subject, Instant at, String ods) {
        return EventHeader.newBuilder().setEventId(UUID.randomUUID().toString()).setAction(action)
                .setSubjectId(subject).setVersion(at.toEpochMilli()).setOccurredAt(at).setRecordedAt(at.plusSeconds(1))
                .setSource(new Source(ods, null, ProviderKind.ACUTE, "SIM"))
                .setPatient(new PatientRef(FhirResources.NHS, new LocalIdentifier("RJ1-MRN", "M1")))
                .setSensitivity(Sensitivity.NORMAL).build();
    }

    @Test
    void events_posted_as_fhir_come_back_as_the_same_care_items() throws Exception {
        MockPublisher mock = new MockPublisher();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/fhir/r4", new FhirGateway(mock.publisher));
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.start();
        Instant moved = T0.plusSeconds(3600);
        List<SpecificRecord> sent = List.of(
                Referral.newBuilder().setHeader(header(Action.NEW, "REF1", T0, "A81001")).setToOdsCode("RJ1")
                        .setPriority("URGENT").setSpecialty("Cardiology").setStatus("OPEN").build(),
                Prescription.newBuilder().setHeader(header(Action.NEW, "RX1", T0, "A81001")).setMedication("Ramipril")
                        .setRepeat(true).build(),
                Appointment.newBuilder().setHeader(header(Action.NEW, "AP1", T0, "RJ1"))
                        .setStartsAt(T0.plusSeconds(86400)).setStatus("BOOKED").setService("Clinic").build(),
                Admission.newBuilder().setHeader(header(Action.NEW, "S1", T0, "RJ1")).setWard("WARD 7").build(),
                Transfer.newBuilder().setHeader(header(Action.NEW, "whatever", moved, "RJ1")).setSpellId("S1")
                        .setFromWard("WARD 7").setToWard("WARD 9").build(),
                Discharge.newBuilder().setHeader(header(Action.NEW, "x", T0.plusSeconds(7200), "RJ1")).setSpellId("S1")
                        .setDestination("HOME").build(),
                Attendance.newBuilder().setHeader(header(Action.UPDATE, "AE1", T0, "RJ1"))
                        .setDepartedAt(T0.plusSeconds(600)).build());
        try (FhirEventSink sink = new FhirEventSink(URI.create("http://127.0.0.1:" + server.getAddress().getPort()
                + "/fhir/r4"))) {
            for (SpecificRecord event : sent) {
                assertThat(sink.send(event).get(10, TimeUnit.SECONDS)).isEqualTo(201);
            }
            EventHeader bad = header(Action.NEW, "REF2", T0, "A81001");
            bad.getPatient().setNhsNumber("9990000019");
            assertThat(sink.send(Referral.newBuilder().setHeader(bad).build()))
                    .failsWithin(10, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class)
                    .withMessageContaining("422").withMessageContaining("Modulus 11");
        } finally {
            server.stop(0);
        }
        List<SpecificRecord> received = mock.events();
        assertThat(received).extracting(e -> e.getSchema().getName() + " " + CareEvents.header(e).getAction() + " "
                + CareEvents.header(e).getSubjectId()).containsExactly(
                "Referral NEW REF1",
                "Prescription NEW RX1",
                "Appointment NEW AP1",
                "Admission NEW S1",
                "Transfer NEW S1/transfer/" + moved,
                "Discharge NEW S1/discharge",
                "Attendance UPDATE AE1");
        assertThat(received).allSatisfy(e -> {
            assertThat(CareEvents.header(e).getPatient().getNhsNumber()).isEqualTo(FhirResources.NHS);
            assertThat(CareEvents.header(e).getPatient().getLocalId()).isEqualTo(new LocalIdentifier("RJ1-MRN", "M1"));
        });
        Referral referral = (Referral) received.get(0);
        assertThat(referral.getHeader().getSource().getOdsCode()).isEqualTo("A81001");
        assertThat(referral.getToOdsCode()).isEqualTo("RJ1");
        assertThat(((Prescription) received.get(1)).getRepeat()).isTrue();
        assertThat(((Discharge) received.get(5)).getDestination()).isEqualTo("HOME");
        assertThat(((Attendance) received.get(6)).getDepartedAt()).isEqualTo(T0.plusSeconds(600));
    }

    @Test
    void a_busy_gateway_is_retried_after_the_time_it_asks_for() throws Exception {
        MockPublisher mock = new MockPublisher(false);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/fhir/r4", new FhirGateway(mock.publisher, FhirSettings.defaults().withCapacity(1, 1 << 20)
                .withPublishTimeout(java.time.Duration.ofSeconds(30))));
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
        try (FhirEventSink sink = new FhirEventSink(URI.create("http://127.0.0.1:" + server.getAddress().getPort()
                + "/fhir/r4"))) {
            var first = sink.send(Referral.newBuilder().setHeader(header(Action.NEW, "REF-A", T0, "A81001"))
                    .setStatus("OPEN").build());
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
                    .until(() -> mock.producer.history().size() == 1);
            var second = sink.send(Referral.newBuilder().setHeader(header(Action.NEW, "REF-B", T0, "A81001"))
                    .setStatus("OPEN").build()); // refused 503 Retry-After: 1 while the first holds the one permit
            Thread.sleep(300);
            assertThat(second).as("waiting to retry, not failed").isNotDone();
            mock.producer.completeNext();
            assertThat(first.get(20, TimeUnit.SECONDS)).isEqualTo(201);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
                    .until(() -> mock.producer.history().size() == 2);
            mock.producer.completeNext();
            assertThat(second.get(20, TimeUnit.SECONDS)).isEqualTo(201);
            assertThat(mock.events()).extracting(e -> CareEvents.header(e).getSubjectId())
                    .containsExactly("REF-A", "REF-B");
        } finally {
            server.stop(0);
        }
    }
}
