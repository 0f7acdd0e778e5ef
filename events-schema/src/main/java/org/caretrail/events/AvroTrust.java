package org.caretrail.events;

import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro 1.12 refuses to load classes named in schemas unless trusted. CareTrail's generated event
 * classes are trusted here, once, by every class of this module that reads or writes Avro.
 */
public final class AvroTrust {

    private static final String MODEL_PACKAGE = "org.caretrail.events.model.";
    private static volatile boolean installed;

    private AvroTrust() {
    }

    /** Adds CareTrail's model package to Avro's trusted classes; idempotent. */
    public static synchronized void install() {
        if (installed) {
            return;
        }
        ClassSecurityValidator.ClassSecurityPredicate previous = ClassSecurityValidator.getGlobal();
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(previous,
                type -> type.getName().startsWith(MODEL_PACKAGE)));
        installed = true;
    }
}
