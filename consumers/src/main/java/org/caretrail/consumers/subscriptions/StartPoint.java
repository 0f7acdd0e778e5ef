package org.caretrail.consumers.subscriptions;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * Where a new subscription's delivery starts: {@code earliest} (every retained change) or an
 * instant (changes recorded on the topic at or after it). Used only while the subscription has no
 * committed position; after that delivery resumes where it stopped.
 */
public record StartPoint(Instant from) {

    public static final StartPoint EARLIEST = new StartPoint(null);

    public boolean isEarliest() {
        return from == null;
    }

    public static StartPoint at(Instant instant) {
        return new StartPoint(instant);
    }

    /** Parses {@code earliest} or an ISO-8601 instant. */
    public static StartPoint parse(String text) {
        if ("earliest".equalsIgnoreCase(text)) {
            return EARLIEST;
        }
        try {
            return new StartPoint(Instant.parse(text));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("startFrom '" + text
                    + "' must be \"earliest\" or an ISO-8601 instant such as 2026-11-22T09:00:00Z");
        }
    }

    @Override
    public String toString() {
        return from == null ? "earliest" : from.toString();
    }
}
