package org.caretrail.consumers;

import org.apache.avro.util.ClassSecurityValidator;
import org.apache.avro.util.ClassSecurityValidator.ClassSecurityPredicate;

/**
 * Avro 1.12.2 refuses to load generated classes outside its trusted list ("Forbidden
 * org.caretrail.events.model.Admission! This class is not trusted..."), which breaks every
 * {@code AvroSerde} of the event contract. Until {@code events-schema} trusts its own model
 * package, the consumers add it to Avro's global validator (keeping every class Avro already
 * trusts). Idempotent.
 */
public final class AvroTrust {

    public static final String MODEL_PACKAGE = "org.caretrail.events.model.";
    private static volatile boolean done;

    private AvroTrust() {
    }

    public static synchronized void trustCareTrailModel() {
        if (done) {
            return;
        }
        ClassSecurityPredicate previous = ClassSecurityValidator.getGlobal();
        ClassSecurityValidator.setGlobal(type -> type.getName().startsWith(MODEL_PACKAGE) || previous.isTrusted(type));
        done = true;
    }
}
