package org.caretrail.producers.hl7;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What makes two HL7v2 messages "the same message": a SHA-256 of the text with only the
 * differences a resend may bring taken out.
 *
 * <p>Exactly what is hashed: the message as decoded from the MLLP frame (the adapter's charset),
 * split into segments at carriage returns (CR LF and LF count as CR); in each segment, trailing
 * spaces and tabs and then trailing empty fields (field separators at the end) are removed; empty
 * segments are dropped; in the MSH segment, MSH-7 (date/time of message) is emptied, because
 * interface engines re-stamp it when they resend. The segments are joined with CR and hashed as
 * UTF-8. Everything else counts, byte for byte: a different EVN-2, another patient, a changed ward,
 * even a changed MSH-10 (which is part of the message key anyway).
 */
final class ContentHash {

    private static final Pattern SEGMENT_END = Pattern.compile("\r\n|\n|\r");

    private ContentHash() {
    }

    /** The hex SHA-256 of {@code raw} normalised as described above. */
    static String of(String raw) {
        return sha256(normalise(raw));
    }

    static String normalise(String raw) {
        List<String> segments = new ArrayList<>();
        char separator = '|';
        for (String segment : SEGMENT_END.split(raw, -1)) {
            String s = stripTrailingBlanks(segment);
            if (s.isEmpty()) {
                continue;
            }
            if (s.startsWith("MSH") && s.length() > 3) {
                separator = s.charAt(3);
                s = withoutMsh7(s, separator);
            }
            segments.add(s);
        }
        List<String> cleaned = new ArrayList<>(segments.size());
        for (String s : segments) {
            int end = s.length();
            while (end > 4 && s.charAt(end - 1) == separator) {
                end--;
            }
            cleaned.add(s.substring(0, end));
        }
        return String.join("\r", cleaned);
    }

    /** MSH|^~\&|app|fac|rapp|rfac|MSH-7|... : MSH-1 is the separator itself, so MSH-7 is the sixth split field. */
    private static String withoutMsh7(String msh, char separator) {
        String[] fields = msh.split(Pattern.quote(String.valueOf(separator)), -1);
        if (fields.length > 6) {
            fields[6] = "";
        }
        return String.join(String.valueOf(separator), fields);
    }

    private static String stripTrailingBlanks(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) {
            end--;
        }
        return s.substring(0, end);
    }

    static String sha256(String text) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
