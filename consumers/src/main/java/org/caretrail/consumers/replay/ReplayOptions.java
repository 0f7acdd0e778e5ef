package org.caretrail.consumers.replay;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.caretrail.events.CareEventType;
import org.caretrail.events.topic.CareTopics;

/**
 * What to replay and how to write it.
 *
 * @param topics care event topics ({@code care.admissions} ...) and/or {@code care.timeline-changes};
 *     empty means every care event topic except consents
 * @param from first record timestamp included (inclusive)
 * @param to record timestamps before this are included (exclusive); null means now
 * @param pseudonymiseKey HMAC key for pseudonyms, or null to keep identifiers
 * @param excludeOptedOut leave out patients with a national data opt-out on {@code care.consents}
 */
public record ReplayOptions(List<String> topics, Instant from, Instant to, ReplayFormat format, Path out,
        byte[] pseudonymiseKey, boolean excludeOptedOut) {

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
        if (pseudonymiseKey != null && pseudonymiseKey.length < 16) {
            throw new IllegalArgumentException("the pseudonymisation key must be at least 16 bytes, got "
                    + pseudonymiseKey.length);
        }
    }

    public static ReplayOptions of(List<String> topics, Instant from, Instant to, ReplayFormat format, Path out) {
        return new ReplayOptions(topics, from, to, format, out, null, false);
    }

    public ReplayOptions pseudonymised(byte[] key) {
        return new ReplayOptions(topics, from, to, format, out, key, excludeOptedOut);
    }

    public ReplayOptions excludingOptedOut() {
        return new ReplayOptions(topics, from, to, format, out, pseudonymiseKey, true);
    }

    /** Reads a key file: its bytes, trailing newline trimmed. */
    public static byte[] readKeyFile(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        // a text key (e.g. from `openssl rand -base64 32 > key`) is used without its trailing newline;
        // anything else (raw random bytes) is used as it is
        int end = bytes.length;
        while (end > 0 && (bytes[end - 1] == '\n' || bytes[end - 1] == '\r')) {
            end--;
        }
        if (end == 0) {
            throw new IllegalArgumentException("key file " + file + " is empty");
        }
        return java.util.Arrays.copyOf(bytes, end);
    }

    static boolean isReplayable(String topic) {
        return CareTopics.TIMELINE_CHANGES.equals(topic) || CareEventType.byTopic(topic).isPresent();
    }

    static List<String> defaultTopics() {
        return java.util.Arrays.stream(CareEventType.values()).filter(t -> t != CareEventType.CONSENT)
                .map(CareEventType::topic).toList();
    }
}
