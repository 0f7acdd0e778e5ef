package org.caretrail.deploy;

import java.net.URI;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Appointment;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.Prescription;
import org.caretrail.events.model.Referral;
import org.caretrail.events.model.Transfer;
import org.caretrail.producers.fhir.FhirEventSink;
import org.caretrail.producers.hl7.MllpEventSink;
import org.caretrail.producers.simulator.EventSink;
import org.caretrail.producers.simulator.RoutingSink;

/**
 * Sends part of the simulator's traffic the way real provider systems would: a fifth of hospital
 * spells (admission, transfers, discharge) and A&E attendances as HL7v2 ADT over MLLP, a fifth of
 * referrals, prescriptions and appointments as FHIR R4 over HTTP, the rest through the publisher
 * library. Routing is by care item (a spell goes one way whole), so an item's cancellation and
 * corrections take the same route as the item and the adapters' subjectIds stay consistent.
 */
final class SimulatorRoutes {

    private static final int SHARE_PERCENT = 20;

    private SimulatorRoutes() {
    }

    static EventSink through(EventSink publisher, String host, int mllpPort, URI fhirBase, String authorization) {
        return RoutingSink.builder()
                .route(hospitalItem().and(share()), new MllpEventSink(host, mllpPort, 2))
                .route(communityItem().and(share()), new FhirEventSink(fhirBase, authorization))
                .otherwise(publisher);
    }

    private static Predicate<SpecificRecord> hospitalItem() {
        return e -> e instanceof Admission || e instanceof Transfer || e instanceof Discharge || e instanceof Attendance;
    }

    private static Predicate<SpecificRecord> communityItem() {
        return e -> e instanceof Referral || e instanceof Prescription || e instanceof Appointment;
    }

    private static Predicate<SpecificRecord> share() {
        return e -> Math.floorMod(itemKey(e).hashCode(), 100) < SHARE_PERCENT;
    }

    /** The care item an event belongs to: the spell for transfers and discharges, else its subject. */
    static String itemKey(SpecificRecord e) {
        if (e instanceof Transfer t) {
            return t.getSpellId();
        }
        if (e instanceof Discharge d) {
            return d.getSpellId();
        }
        return CareEvents.header(e).getSubjectId();
    }
}
