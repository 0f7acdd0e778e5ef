package org.caretrail.producers.fhir;

import java.util.IdentityHashMap;
import java.util.Map;
import org.caretrail.events.model.Location;
import org.hl7.fhir.r4.model.DomainResource;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/**
 * Where a patient is, from an Encounter's location reference: the whole place a clinician needs
 * (ward, bay, bed, site), not just the ward.
 *
 * <p>A trust's EPR sends the bed as a FHIR Location whose {@code partOf} is the bay, whose
 * {@code partOf} is the ward, and so on up to the site; each says what it is with
 * {@code physicalType} ({@value FhirCodes#LOCATION_PHYSICAL_TYPE}): {@code bd} bed, {@code ro} room or
 * bay, {@code wa} ward, {@code wi} wing and {@code area} (a department or area: the point of care when
 * there is no ward), {@code lvl} floor, {@code bu} building, {@code si} site. The Locations are
 * contained in the Encounter or are other entries of the same Bundle; the chain is followed up to
 * {@value #MAX_DEPTH} levels. A site is named by its ODS site code ({@value FhirCodes#ODS_SITE_SYSTEM})
 * when the Location has one, else by its name. A Location without a physical type is the point of care.
 * A reference that resolves to nothing but has a display ("WARD 7") is the point of care.
 */
final class FhirLocations {

    static final int MAX_DEPTH = 8;

    private FhirLocations() {
    }

    /** The place {@code reference} names, or null when it names none. */
    static Location of(DomainResource from, Reference reference, FhirMapper.Resolver resolver) {
        if (reference == null || reference.isEmpty()) {
            return null;
        }
        Location location = new Location();
        Resource target = resolver.resolve(from, reference);
        Map<Resource, Boolean> seen = new IdentityHashMap<>();
        int depth = 0;
        while (target instanceof org.hl7.fhir.r4.model.Location place && depth++ < MAX_DEPTH
                && seen.put(place, Boolean.TRUE) == null) {
            place(location, place, depth == 1);
            target = place.hasPartOf() ? resolver.resolve(from, place.getPartOf()) : null;
        }
        if (location.getPointOfCare() == null && depth == 0 && reference.hasDisplay()) {
            location.setPointOfCare(reference.getDisplay());
        }
        return isEmpty(location) ? null : location;
    }

    /** The text for the contract's ward fields: the point of care, else the reference's display. */
    static String ward(Location location, Reference reference) {
        if (location != null && location.getPointOfCare() != null) {
            return location.getPointOfCare();
        }
        return reference == null || !reference.hasDisplay() ? null : reference.getDisplay();
    }

    private static void place(Location location, org.hl7.fhir.r4.model.Location place, boolean referenced) {
        String name = place.hasName() ? place.getName() : null;
        String type = null;
        for (org.hl7.fhir.r4.model.Coding c : place.getPhysicalType().getCoding()) {
            if (FhirCodes.LOCATION_PHYSICAL_TYPE.equals(c.getSystem())) {
                type = c.getCode();
                break;
            }
        }
        if (type == null) {
            if (referenced && location.getPointOfCare() == null) {
                location.setPointOfCare(name);
            }
            return;
        }
        switch (type) {
            case "bd" -> setIfAbsent(location::getBed, location::setBed, name);
            case "ro" -> setIfAbsent(location::getRoom, location::setRoom, name);
            case "wa", "wi", "area" -> setIfAbsent(location::getPointOfCare, location::setPointOfCare, name);
            case "lvl" -> setIfAbsent(location::getFloor, location::setFloor, name);
            case "bu" -> setIfAbsent(location::getBuilding, location::setBuilding, name);
            case "si" -> setIfAbsent(location::getSite, location::setSite, siteName(place, name));
            default -> {
                if (referenced) {
                    setIfAbsent(location::getPointOfCare, location::setPointOfCare, name);
                }
            }
        }
    }

    private static String siteName(org.hl7.fhir.r4.model.Location site, String name) {
        for (Identifier id : site.getIdentifier()) {
            if (FhirCodes.ODS_SITE_SYSTEM.equals(id.getSystem()) && id.hasValue()) {
                return id.getValue();
            }
        }
        return name;
    }

    private static void setIfAbsent(java.util.function.Supplier<String> get, java.util.function.Consumer<String> set,
                                    String value) {
        if (get.get() == null && value != null) {
            set.accept(value);
        }
    }

    private static boolean isEmpty(Location l) {
        return l.getPointOfCare() == null && l.getRoom() == null && l.getBed() == null && l.getSite() == null
                && l.getBuilding() == null && l.getFloor() == null;
    }
}
