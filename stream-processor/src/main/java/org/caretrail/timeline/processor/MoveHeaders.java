package org.caretrail.timeline.processor;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The headers of records on their way from one patient's timeline to another's (through
 * {@code care.timeline-merge-moves} and {@code merged-entries-by-survivor}):
 * <ul>
 *   <li>{@value #HOPS}: how many merges the record has followed: a guard against cycles of contradictory
 *       merges (A → B → A);
 *   <li>{@value #CAUSE}: the identity event(s) that moved it (a merge, an unmerge, a visit move): part of the
 *       ids of the changes it makes, so a merge undone and done again announces new changes, not repeats;
 *   <li>{@value #RETURN_ORIGINS}: on a record with no value, a request to the survivor of an undone merge:
 *       give back every event whose {@code originNhsNumber} is one of these numbers;
 *   <li>{@value #APPLICATION}: the application id that wrote it: records another version of the stream
 *       processor left on the topic (before an upgrade rebuilt the state) are not placed again.
 * </ul>
 */
final class MoveHeaders {

    static final String HOPS = "caretrail-merge-hops";
    static final String CAUSE = "caretrail-merge-cause";
    static final String RETURN_ORIGINS = "caretrail-return-origins";
    static final String APPLICATION = "caretrail-application";

    private MoveHeaders() {
    }

    static int hops(Headers headers, int whenUnreadable) {
        String text = text(headers, HOPS);
        if (text == null) {
            return 0;
        }
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            return whenUnreadable;
        }
    }

    static String cause(Headers headers) {
        return text(headers, CAUSE);
    }

    /** The NHS numbers a return request names; empty for any other record. */
    static Set<String> origins(Headers headers) {
        String text = text(headers, RETURN_ORIGINS);
        return text == null || text.isEmpty() ? Set.of() : new TreeSet<>(Arrays.asList(text.split(",")));
    }

    static boolean isReturnRequest(Headers headers) {
        return headers.lastHeader(RETURN_ORIGINS) != null;
    }

    /** True when the application {@code applicationId} wrote the record. */
    static boolean ours(Headers headers, String applicationId) {
        return applicationId.equals(text(headers, APPLICATION));
    }

    /** Fresh headers for a record going on: hop count, cause, writer. */
    static Headers moving(int hops, String cause, String applicationId) {
        Headers h = new RecordHeaders();
        h.add(HOPS, bytes(Integer.toString(hops)));
        if (cause != null) {
            h.add(CAUSE, bytes(cause));
        }
        h.add(APPLICATION, bytes(applicationId));
        return h;
    }

    /** Headers of a request to give back the events of {@code origins}. */
    static Headers returning(Collection<String> origins, int hops, String cause, String applicationId) {
        Headers h = moving(hops, cause, applicationId);
        h.add(RETURN_ORIGINS, bytes(String.join(",", new TreeSet<>(origins))));
        return h;
    }

    /**
     * The cause of a record after one more move: the new move's cause alone for a first move, else a
     * name-based UUID of both, so the text stays short however long the chain.
     */
    static String then(String previous, String next) {
        if (previous == null) {
            return next;
        }
        if (next == null) {
            return previous;
        }
        return UUID.nameUUIDFromBytes((previous + "+" + next).getBytes(StandardCharsets.UTF_8)).toString();
    }

    private static String text(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
