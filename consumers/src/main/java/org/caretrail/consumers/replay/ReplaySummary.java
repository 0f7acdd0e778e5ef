package org.caretrail.consumers.replay;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * The closing summary of a replay.
 *
 * @param read records read within the offsets of the window
 * @param written rows written to the output
 * @param outsideWindow records read but with a timestamp outside {@code [from, to)}
 * @param optedOut records left out because the patient has a national data opt-out
 * @param restrictedWithheld RESTRICTED records left out (unless the operator asked for them)
 * @param release what identifiers the output holds: {@code pseudonymised} or {@code IDENTIFIABLE}
 * @param undecodable records that could not be decoded (logged with topic, partition, offset)
 * @param byEventType rows written per event type (JSON name, e.g. {@code admission})
 * @param byProviderKind rows written per provider kind (e.g. {@code ACUTE})
 */
public record ReplaySummary(long read, long written, long outsideWindow, long optedOut, long restrictedWithheld,
        long undecodable, Map<String, Long> byEventType, Map<String, Long> byProviderKind, Duration elapsed,
        String release) {

    public ReplaySummary {
        byEventType = Map.copyOf(byEventType);
        byProviderKind = Map.copyOf(byProviderKind);
    }

    public double eventsPerSecond() {
        double seconds = Math.max(elapsed.toNanos(), 1) / 1e9;
        return written / seconds;
    }

    /** A readable summary for the command line. */
    public String toText() {
        StringBuilder text = new StringBuilder();
        text.append(String.format("Replayed %,d event(s) in %.1f s (%,.0f events/s); read %,d", written,
                elapsed.toMillis() / 1000.0, eventsPerSecond(), read));
        if (outsideWindow > 0) {
            text.append(String.format(", %,d after the window", outsideWindow));
        }
        if (optedOut > 0) {
            text.append(String.format(", %,d left out (national data opt-out)", optedOut));
        }
        if (restrictedWithheld > 0) {
            text.append(String.format(", %,d RESTRICTED withheld", restrictedWithheld));
        }
        if (undecodable > 0) {
            text.append(String.format(", %,d undecodable", undecodable));
        }
        text.append('\n');
        text.append("Identifiers: ").append(release).append('\n');
        text.append("By event type:\n");
        new TreeMap<>(byEventType).forEach((k, v) -> text.append(String.format("  %-22s %,10d%n", k, v)));
        text.append("By provider kind:\n");
        new TreeMap<>(byProviderKind).forEach((k, v) -> text.append(String.format("  %-22s %,10d%n", k, v)));
        return text.toString();
    }
}
