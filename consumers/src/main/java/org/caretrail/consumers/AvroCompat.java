package org.caretrail.consumers;

import org.apache.avro.data.TimeConversions;
import org.apache.avro.generic.GenericData;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.avro.util.ClassSecurityValidator.ClassSecurityPredicate;

/**
 * Works around two problems of the shared event contract under Avro 1.12.2, until
 * {@code events-schema} fixes them itself:
 * <ol>
 *   <li>Avro refuses to load generated classes outside its trusted list ("Forbidden
 *       org.caretrail.events.model.Admission! This class is not trusted..."), which breaks every
 *       {@code AvroSerde}: the model package is added to Avro's global validator (everything Avro
 *       already trusts stays trusted);
 *   <li>{@code CareEventJson.toJson} resolves unions with {@code GenericData.get()}, which knows no
 *       logical types, so an optional date ({@code PatientIdentity.birthDate}) fails with "Unknown
 *       datum type java.time.LocalDate": the date and timestamp conversions are registered on it.
 * </ol>
 * Idempotent; called by the consumers' entry points.
 */
public final class AvroCompat {

    public static final String MODEL_PACKAGE = "org.caretrail.events.model.";
    private static boolean done;

    private AvroCompat() {
    }

    public static synchronized void apply() {
        if (done) {
            return;
        }
        ClassSecurityPredicate previous = ClassSecurityValidator.getGlobal();
        ClassSecurityValidator.setGlobal(type -> type.getName().startsWith(MODEL_PACKAGE) || previous.isTrusted(type));
        GenericData.get().addLogicalTypeConversion(new TimeConversions.DateConversion());
        GenericData.get().addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
        done = true;
    }
}
