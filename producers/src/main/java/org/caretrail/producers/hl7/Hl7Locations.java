package org.caretrail.producers.hl7;

import ca.uhn.hl7v2.model.Segment;
import org.caretrail.events.model.Location;

/**
 * HL7v2 PL (person location: PV1-3 assigned location, PV1-6 prior location, PDA-2 death location)
 * as a {@link Location}: point of care (ward, clinic, department) ^ room (bay) ^ bed ^ facility
 * (site, its namespace id, else its universal id) ^ location status ^ person location type ^
 * building ^ floor. Status and type say nothing a clinician reads on a timeline and are not kept.
 */
final class Hl7Locations {

    private Hl7Locations() {
    }

    /** The location in {@code field} of {@code segment}; null when it has none of the parts kept. */
    static Location of(Segment segment, int field) {
        if (segment == null) {
            return null;
        }
        String pointOfCare = Hl7Fields.get(segment, field, 0, 1, 1);
        String room = Hl7Fields.get(segment, field, 0, 2, 1);
        String bed = Hl7Fields.get(segment, field, 0, 3, 1);
        String site = site(segment, field);
        String building = Hl7Fields.get(segment, field, 0, 7, 1);
        String floor = Hl7Fields.get(segment, field, 0, 8, 1);
        if (pointOfCare == null && room == null && bed == null && site == null && building == null && floor == null) {
            return null;
        }
        return Location.newBuilder().setPointOfCare(pointOfCare).setRoom(room).setBed(bed).setSite(site)
                .setBuilding(building).setFloor(floor).build();
    }

    /** PL-1: the ward (or department), as the events' {@code ward} fields have always held. */
    static String ward(Segment segment, int field) {
        return Hl7Fields.get(segment, field, 0, 1, 1);
    }

    /** PL-4: the site, HD namespace id, else universal id. */
    static String site(Segment segment, int field) {
        return Hl7Fields.firstNonNull(Hl7Fields.get(segment, field, 0, 4, 1), Hl7Fields.get(segment, field, 0, 4, 2));
    }
}
