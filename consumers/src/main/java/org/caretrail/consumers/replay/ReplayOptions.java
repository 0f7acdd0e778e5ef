package org.caretrail.consumers.replay;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.caretrail.events.CareEventType;
import org.caretrail.events.topic.CareTopics;

/**
 * What to replay and how to write it. What analysts get by default: pseudonymised records
 * ({@link #pseudonymised(byte[])}), without RESTRICTED records. Identifiable output
 * ({@link #withIdentifiers()}) and RESTRICTED records ({@link #includingRestricted()}) are an operator's
 * explicit choice, each said in the summary; a replay that says neither how to treat identifiers
 * refuses to run.
 *
 * @param topics care event topics ({@code care.admissions} ...) and/or {@code care.timeline-changes};
 *     empty means every care event topic except consents
 * @param from first record timestamp included (inclusive)
 * @param to record timestamps before this are included (exclusive); null means now
 * @param pseudonymiseKey HMAC key for pseudonyms ({@link PseudonymKey}), or null
 * @param excludeOptedOut leave out patients with a national data opt-out on {@code care.consents}
 * @param identifiable write identifiers in clear (no key): an operator's choice
 * @param includeRestricted write RESTRICTED records too: an operator's choice
 */
public record ReplayOptions(List<String> topics, Instant from, Instant to, ReplayFormat format, Path out,
        byte[] pseudonymiseKey, boolean excludeOptedOut, boolean identifiable, boolean includeRestricted) {

    public ReplayOptions {
        Objects.requireNonNull(from, "from is required");
        Objects.requireNonNull(format, "format is required");
        Objects.requireNonNull(out, "out is required");
        topics = topics == null || topics.isEmpty() ? defaultTopics() : List.copyOf(topics);
        for (String topic : topics) {
            if (!isReplayable(topic)) {
                throw new IllegalArgumentException("cannot replay topic '" + topic + "': use care event topics ("
                        + String.join(", ", defaultTopics()) + ", care.consents) or " + CareTopics.TIMELINE_CHANGES);
            }
        }
        if (to != null && !to.isAfter(from)) {
            throw new IllegalArgumentException("to (" + to + ") must be after from (" + from + ")");
        }
        if (pseudonymiseKey != null) {
            PseudonymKey.check(pseudonymiseKey, null);
            if (identifiable) {
                throw new IllegalArgumentException("a replay is either pseudonymised or identifiable, not both");
            }
        }
    }

    /** The window and output; then say how: {@link #pseudonymised(byte[])} or {@link #withIdentifiers()}. */
    public static ReplayOptions of(List<String> topics, Instant from, Instant to, ReplayFormat format, Path out) {
        return new ReplayOptions(topics, from, to, format, out, null, false, false, false);
    }

    public ReplayOptions pseudonymised(byte[] key) {
        return new ReplayOptions(topics, from, to, format, out, key, excludeOptedOut, false, includeRestricted);
    }

    /** Identifiers in clear: for an operator's extract with a legal basis, never for analysts by default. */
    public ReplayOptions withIdentifiers() {
        return new ReplayOptions(topics, from, to, format, out, null, excludeOptedOut, true, includeRestricted);
    }

    public ReplayOptions excludingOptedOut() {
        return new ReplayOptions(topics, from, to, format, out, pseudonymiseKey, true, identifiable, includeRestricted);
    }

    /** RESTRICTED records too: an operator's explicit choice. */
    public ReplayOptions includingRestricted() {
        return new ReplayOptions(topics, from, to, format, out, pseudonymiseKey, excludeOptedOut, identifiable, true);
    }

    /** @throws IllegalArgumentException when the options do not say how to treat identifiers */
    void checkRelease() {
        if (pseudonymiseKey == null && !identifiable) {
            throw new IllegalArgumentException("replay output is pseudonymised: give a key (at least "
                    + PseudonymKey.MIN_BYTES + " random bytes), or ask explicitly for identifiable output");
        }
    }

    /** Reads and checks a key file ({@link PseudonymKey#read}). */
    public static byte[] readKeyFile(Path file) throws IOException {
        return PseudonymKey.read(file);
    }

    static boolean isReplayable(String topic) {
        return CareTopics.TIMELINE_CHANGES.equals(topic) || CareEventType.byTopic(topic).isPresent();
    }

    static List<String> defaultTopics() {
        return java.util.Arrays.stream(CareEventType.values()).filter(t -> t != CareEventType.CONSENT)
                .map(CareEventType::topic).toList();
    }
}
