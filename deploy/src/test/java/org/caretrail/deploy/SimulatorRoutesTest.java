package org.caretrail.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.Death;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.Prescription;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Transfer;
import org.caretrail.producers.simulator.EventSink;
import org.caretrail.producers.simulator.PopulationSimulator;
import org.junit.jupiter.api.Test;

/** Which of the simulator's events `caretrail up` sends through which way in. */
class SimulatorRoutesTest {

    private static final class Recording implements EventSink {
        final List<SpecificRecord> received = new ArrayList<>();

        @Override
        public CompletableFuture<?> send(SpecificRecord event) {
            received.add(event);
            return CompletableFuture.completedFuture("AA");
        }
    }

    @Test
    void northgates_whole_hospital_record_goes_over_mllp_and_only_acute_trusts_items_over_fhir() {
        Recording publisher = new Recording();
        Recording mllp = new Recording();
        Recording fhir = new Recording();
        EventSink routes = SimulatorRoutes.through(publisher, mllp, fhir);
        List<SpecificRecord> events = new PopulationSimulator(7, 2_000,
                Clock.fixed(Instant.parse("2026-11-20T12:00:00Z"), ZoneOffset.UTC)).events().toList();
        events.forEach(routes::send);

        assertThat(mllp.received).isNotEmpty().allSatisfy(e ->
                assertThat(CareEvents.header(e).getSource().getOdsCode()).isEqualTo(SimulatorRoutes.HL7_TRUST));
        assertThat(mllp.received).as("the pathways the web view shows from HL7").anyMatch(e -> e instanceof Admission
                        && CareEvents.header(e).getAction() == org.caretrail.events.model.Action.CANCEL)
                .anyMatch(e -> e instanceof Attendance a && "ADMITTED".equals(a.getOutcome()))
                .anyMatch(e -> e instanceof PatientIdentity p && p.getKind() == IdentityKind.MERGE)
                .anyMatch(Transfer.class::isInstance);
        assertThat(publisher.received).as("no Northgate hospital record bypasses its PAS feed")
                .noneMatch(e -> SimulatorRoutes.HL7_TRUST.equals(CareEvents.header(e).getSource().getOdsCode())
                        && (e instanceof Admission || e instanceof Transfer || e instanceof Discharge
                        || e instanceof Attendance || e instanceof Death));
        assertThat(fhir.received).isNotEmpty().allSatisfy(e ->
                assertThat(CareEvents.header(e).getSource().getKind()).isEqualTo(ProviderKind.ACUTE));
        assertThat(publisher.received).as("pharmacies' dispensing keeps its kind")
                .anyMatch(e -> e instanceof Prescription && CareEvents.header(e).getSource().getKind() == ProviderKind.PHARMACY);
        assertThat(publisher.received.size() + mllp.received.size() + fhir.received.size()).isEqualTo(events.size());
    }
}
