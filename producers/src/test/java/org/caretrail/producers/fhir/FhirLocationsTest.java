package org.caretrail.producers.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.producers.fhir.FhirResources.T0;

import java.time.Instant;
import java.util.Date;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Location;
import org.caretrail.events.model.Transfer;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.Test;

/**
 * Locations as a trust's EPR sends them: the bed a Location whose partOf is the bay, then the ward,
 * then the site (FHIR R4 Location.partOf, physicalType from
 * http://terminology.hl7.org/CodeSystem/location-physical-type), so a move between beds of one ward
 * is not "from WARD 7 to WARD 7".
 */
class FhirLocationsTest {

    private final FhirMapper mapper = new FhirMapper(FhirSettings.defaults());

    private static org.hl7.fhir.r4.model.Location place(String name, String physicalType, String partOf) {
        org.hl7.fhir.r4.model.Location l = new org.hl7.fhir.r4.model.Location().setName(name);
        l.setPhysicalType(new CodeableConcept().addCoding(new org.hl7.fhir.r4.model.Coding(
                FhirCodes.LOCATION_PHYSICAL_TYPE, physicalType, null)));
        if (partOf != null) {
            l.setPartOf(new Reference(partOf));
        }
        return l;
    }

    /** Riverside General (ODS site RX101) > Ward 7 > Bay B > beds 3 and 4. */
    private static Bundle hospital() {
        Bundle b = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        org.hl7.fhir.r4.model.Location site = place("Riverside General", "si", null);
        site.addIdentifier().setSystem(FhirCodes.ODS_SITE_SYSTEM).setValue("RX101");
        b.addEntry().setFullUrl("urn:uuid:site").setResource(site);
        b.addEntry().setFullUrl("urn:uuid:ward7").setResource(place("Ward 7", "wa", "urn:uuid:site"));
        b.addEntry().setFullUrl("urn:uuid:bayB").setResource(place("Bay B", "ro", "urn:uuid:ward7"));
        b.addEntry().setFullUrl("urn:uuid:bed3").setResource(place("Bed 3", "bd", "urn:uuid:bayB"));
        b.addEntry().setFullUrl("urn:uuid:bed4").setResource(place("Bed 4", "bd", "urn:uuid:bayB"));
        return b;
    }

    @Test
    void an_admission_to_a_bed_keeps_ward_bay_bed_and_site() {
        Bundle b = hospital();
        Encounter e = FhirResources.inpatient("V-LOC", T0);
        e.getLocationFirstRep().setLocation(new Reference("urn:uuid:bed3"));
        b.addEntry().setResource(e);

        Admission a = (Admission) mapper.map(e, FhirMapper.Resolver.of(b), T0, "Bundle.entry[5].resource").get(0);

        assertThat(a.getLocation()).isEqualTo(Location.newBuilder().setPointOfCare("Ward 7").setRoom("Bay B")
                .setBed("Bed 3").setSite("RX101").build());
        assertThat(a.getWard()).isEqualTo("Ward 7");
        assertThat(a.getSite()).isEqualTo("RX101");
    }

    @Test
    void a_bed_move_within_a_ward_is_a_transfer_between_beds_not_from_the_ward_to_itself() {
        Bundle b = hospital();
        Instant moved = T0.plusSeconds(5400);
        Encounter e = FhirResources.inpatient("V-LOC", T0);
        e.getLocationFirstRep().setLocation(new Reference("urn:uuid:bed3"))
                .setStatus(Encounter.EncounterLocationStatus.COMPLETED).getPeriod().setEnd(Date.from(moved));
        e.addLocation().setLocation(new Reference("urn:uuid:bed4")).setStatus(Encounter.EncounterLocationStatus.ACTIVE)
                .getPeriod().setStart(Date.from(moved));
        b.addEntry().setResource(e);

        Transfer t = (Transfer) mapper.map(e, FhirMapper.Resolver.of(b), T0, "Bundle.entry[5].resource").get(0);

        assertThat(t.getFromLocation().getBed()).isEqualTo("Bed 3");
        assertThat(t.getToLocation().getBed()).isEqualTo("Bed 4");
        assertThat(t.getToLocation().getRoom()).isEqualTo("Bay B");
        assertThat(t.getFromWard()).isEqualTo("Ward 7");
        assertThat(t.getToWard()).isEqualTo("Ward 7");
        assertThat(t.getToSite()).as("the same site: no site change to report").isNull();
    }

    @Test
    void a_display_only_location_is_the_point_of_care_and_a_cycle_of_part_of_ends() {
        Encounter display = FhirResources.inpatient("V-DISP", T0);
        Admission a = (Admission) mapper.map(display, FhirMapper.Resolver.of(null), T0, "Encounter").get(0);
        assertThat(a.getLocation()).isEqualTo(Location.newBuilder().setPointOfCare("WARD 7").build());

        Bundle loop = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        loop.addEntry().setFullUrl("urn:uuid:a").setResource(place("Bed 1", "bd", "urn:uuid:b"));
        loop.addEntry().setFullUrl("urn:uuid:b").setResource(place("Bay 1", "ro", "urn:uuid:a"));
        Encounter e = FhirResources.inpatient("V-LOOP", T0);
        e.getLocationFirstRep().setLocation(new Reference("urn:uuid:a").setDisplay("Bed 1"));
        loop.addEntry().setResource(e);
        Admission looped = (Admission) mapper.map(e, FhirMapper.Resolver.of(loop), T0, "Bundle.entry[2].resource")
                .get(0);
        assertThat(looped.getLocation().getBed()).isEqualTo("Bed 1");
        assertThat(looped.getLocation().getRoom()).isEqualTo("Bay 1");
        assertThat(looped.getWard()).as("no ward in the chain: the reference's display").isEqualTo("Bed 1");
    }
}
