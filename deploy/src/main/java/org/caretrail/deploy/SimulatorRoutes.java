package org.caretrail.deploy;

import java.net.URI;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Appointment;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.Death;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.Prescription;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Referral;
import org.caretrail.events.model.Transfer;
import org.caretrail.producers.fhir.FhirEventSink;
import org.caretrail.producers.hl7.MllpEventSink;
import org.caretrail.producers.simulator.EventSink;
import org.caretrail.producers.simulator.RoutingSink;

/**
 * Sends part of the simulator's traffic the way real provider systems would. Northgate Hospitals
 * ({@value #HL7_TRUST}) sends everything its PAS records as HL7v2 ADT over MLLP, as trusts do: A&amp;E
 * attendances, admissions, transfers, discharges, deaths in hospital (in the discharge's PID-29/30),
 * identity links and merges (so its ED admissions arrive as A06, its admissions entered in error as
 * A11 with PV1-2 = O, its temporary hospital numbers are merged by A40 with MRG-1 = the retiring
 * number only). A fifth of the acute trusts' referrals, prescriptions and appointments go as FHIR R4
 * over HTTP; the rest through the publisher library. The FHIR gateway stamps its own provider kind
 * (ACUTE) on what it receives, so only acute trusts' items take that route: a GP's referral or a
 * pharmacy's dispensing keeps its own kind (GP, PHARMACY) through the publisher. Routing is by
 * organisation and care item, so an item's cancellation and corrections take the same route as the item.
 */
final class SimulatorRoutes {

    /** The trust whose PAS sends HL7v2: every hospital event it records goes over MLLP. */
    static final String HL7_TRUST = "R9A";
    private static final int SHARE_PERCENT = 20;

    private SimulatorRoutes() {
    }

    static EventSink through(EventSink publisher, String host, int mllpPort, URI fhirBase, String authorization) {
        return through(publisher, new MllpEventSink(host, mllpPort, 2), new FhirEventSink(fhirBase, authorization));
    }

    static EventSink through(EventSink publisher, EventSink mllp, EventSink fhir) {
        return RoutingSink.builder()
                .route(hl7Trust().and(hospitalRecord()), mllp)
                .route(communityItem().and(fromAcuteTrust()).and(share()), fhir)
                .otherwise(publisher);
    }

    private static Predicate<SpecificRecord> hl7Trust() {
        return e -> HL7_TRUST.equals(CareEvents.header(e).getSource().getOdsCode());
    }

    /** What a PAS sends as ADT: visits, their moves and ends, deaths in hospital, identity links and merges. */
    private static Predicate<SpecificRecord> hospitalRecord() {
        return e -> e instanceof Admission || e instanceof Transfer || e instanceof Discharge || e instanceof Attendance
                || e instanceof Death
                || e instanceof PatientIdentity p && (p.getKind() == IdentityKind.LINK || p.getKind() == IdentityKind.MERGE);
    }

    private static Predicate<SpecificRecord> communityItem() {
        return e -> e instanceof Referral || e instanceof Prescription || e instanceof Appointment;
    }

    private static Predicate<SpecificRecord> fromAcuteTrust() {
        return e -> CareEvents.header(e).getSource().getKind() == ProviderKind.ACUTE;
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
