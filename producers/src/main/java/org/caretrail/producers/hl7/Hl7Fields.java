package org.caretrail.producers.hl7;

import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.model.Group;
import ca.uhn.hl7v2.model.Segment;
import ca.uhn.hl7v2.model.Structure;
import ca.uhn.hl7v2.util.Terser;
import java.util.ArrayList;
import java.util.List;

/**
 * Reading values out of parsed HL7v2 segments: trimmed text, null when empty or absent. Segments
 * are found by name in message order, whatever group the message structure put them in, so two
 * PIDs of an A17, the PATIENT groups of an A40 and a DG1 after a non-standard segment are all read
 * the same way.
 */
final class Hl7Fields {

    private Hl7Fields() {
    }

    /** Component 1 of the first repetition of {@code field}. */
    static String get(Segment segment, int field) {
        return get(segment, field, 0, 1, 1);
    }

    /** {@code component} of the first repetition of {@code field}. */
    static String get(Segment segment, int field, int component) {
        return get(segment, field, 0, component, 1);
    }

    /** One subcomponent; null when empty, absent, or the segment is null. */
    static String get(Segment segment, int field, int repetition, int component, int subcomponent) {
        if (segment == null) {
            return null;
        }
        try {
            if (field > segment.numFields()) {
                return null;
            }
            return blankToNull(Terser.get(segment, field, repetition, component, subcomponent));
        } catch (HL7Exception | RuntimeException e) {
            return null;
        }
    }

    /** How many repetitions {@code field} has (0 when absent). */
    static int repetitions(Segment segment, int field) {
        if (segment == null) {
            return 0;
        }
        try {
            return field > segment.numFields() ? 0 : segment.getField(field).length;
        } catch (HL7Exception | RuntimeException e) {
            return 0;
        }
    }

    /** Every non-empty segment named {@code name} (PID, PV1, MRG, DG1...), in message order. */
    static List<Segment> segments(Group group, String name) {
        List<Segment> found = new ArrayList<>();
        collect(group, name, found);
        return found;
    }

    /** The first non-empty segment named {@code name}, or null. */
    static Segment first(Group group, String name) {
        List<Segment> all = segments(group, name);
        return all.isEmpty() ? null : all.get(0);
    }

    private static void collect(Group group, String name, List<Segment> found) {
        for (String child : group.getNames()) {
            Structure[] reps;
            try {
                reps = group.getAll(child);
            } catch (HL7Exception | RuntimeException e) {
                continue;
            }
            for (Structure s : reps) {
                if (s instanceof Segment segment) {
                    if (segment.getName().equals(name) && !isEmpty(segment)) {
                        found.add(segment);
                    }
                } else if (s instanceof Group inner) {
                    collect(inner, name, found);
                }
            }
        }
    }

    private static boolean isEmpty(Segment segment) {
        try {
            return segment.isEmpty();
        } catch (HL7Exception | RuntimeException e) {
            return true;
        }
    }

    static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    static String firstNonNull(String a, String b) {
        return a != null ? a : b;
    }
}
