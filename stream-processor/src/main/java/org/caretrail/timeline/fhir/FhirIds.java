package org.caretrail.timeline.fhir;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The ids of the resources the FHIR read API serves. A Patient's id is its NHS number. Every other
 * resource is one care item (or one hospital spell) of one patient: its id is
 * {@code <NHS number>-<32 hex digits>}, the digits a SHA-256 of the item's key (the timeline entry id
 * {@code TYPE|odsCode|subjectId}, or {@code SPELL|odsCode|spellId}). So an id names its patient (the
 * read is routed to the instance that holds the patient, and audited under the patient) without
 * showing the source's own identifiers, and fits FHIR's 64 characters.
 */
public final class FhirIds {

    private static final Pattern ITEM = Pattern.compile("^(\\d{10})-([0-9a-f]{32})$");
    private static final Pattern PATIENT = Pattern.compile("^\\d{10}$");

    private FhirIds() {
    }

    /** The id of the resource made from the item {@code key} of patient {@code nhs}. */
    public static String item(String nhs, String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return nhs + "-" + HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }

    /** The NHS number (as text, unchecked) an item id or a Patient id names; empty when it is neither. */
    public static Optional<String> patientOf(String id) {
        if (id == null) {
            return Optional.empty();
        }
        Matcher m = ITEM.matcher(id);
        if (m.matches()) {
            return Optional.of(m.group(1));
        }
        return PATIENT.matcher(id).matches() ? Optional.of(id) : Optional.empty();
    }

    /** Whether {@code id} has the form of an item id. */
    public static boolean isItem(String id) {
        return id != null && ITEM.matcher(id).matches();
    }
}
