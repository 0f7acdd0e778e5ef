package org.caretrail.consumers.replay;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.model.LocalIdentifier;

/**
 * Pseudonymises any CareTrail record for analysts: NHS numbers ({@code nhsNumber},
 * {@code supersededNhsNumber}) and local identifier values become a keyed HMAC-SHA256 (hex, first
 * 16 bytes: stable for one key, not reversible without it; a local identifier's pseudonym also
 * covers its issuing system, so equal values from different systems stay apart); patient names,
 * addresses and birth dates are dropped. Works on a deep copy; the input is not changed.
 */
public final class Pseudonymiser {

    /** Fields that name the patient and are dropped (set to null). */
    public static final Set<String> DROPPED = Set.of("familyName", "givenName", "postcode", "address", "birthDate");
    /** Fields that hold an NHS number and are replaced by its pseudonym. */
    public static final Set<String> NHS_NUMBER_FIELDS = Set.of("nhsNumber", "supersededNhsNumber");

    private final SecretKeySpec key;

    public Pseudonymiser(byte[] key) {
        if (key == null || key.length < 16) {
            throw new IllegalArgumentException("a pseudonymisation key needs at least 16 bytes");
        }
        this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
    }

    /** The pseudonym of an NHS number (spaces ignored). */
    public String nhsNumber(String nhsNumber) {
        return nhsNumber == null ? null : pseudonym("nhs|" + nhsNumber.replace(" ", ""));
    }

    /** The pseudonym of a local identifier value issued by {@code system}. */
    public String localId(String system, String value) {
        return value == null ? null : pseudonym("local|" + system + "|" + value);
    }

    public <T extends SpecificRecord> T apply(T record) {
        T copy = SpecificData.get().deepCopy(record.getSchema(), record);
        walk(copy);
        return copy;
    }

    private void walk(IndexedRecord record) {
        if (record instanceof LocalIdentifier local) {
            local.setValue(localId(local.getSystem(), local.getValue()));
            return;
        }
        for (Schema.Field field : record.getSchema().getFields()) {
            Object value = record.get(field.pos());
            if (value == null) {
                continue;
            }
            if (DROPPED.contains(field.name())) {
                record.put(field.pos(), null);
            } else if (NHS_NUMBER_FIELDS.contains(field.name()) && value instanceof CharSequence text) {
                record.put(field.pos(), nhsNumber(text.toString()));
            } else {
                walkValue(value);
            }
        }
    }

    private void walkValue(Object value) {
        if (value instanceof IndexedRecord nested) {
            walk(nested);
        } else if (value instanceof List<?> list) {
            list.forEach(this::walkValue);
        } else if (value instanceof Map<?, ?> map) {
            map.values().forEach(this::walkValue);
        }
    }

    private String pseudonym(String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            byte[] digest = mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }
}
