package org.caretrail.timeline.query;

import java.time.Instant;
import java.util.Set;
import org.caretrail.events.model.EventType;

/**
 * One page of one patient's timeline: entries in timeline order whose occurredAt is within
 * [{@code from}, {@code to}] (null: open), of the given {@code types} (empty: all), page
 * {@code page} (0-based) of {@code size}; {@code history} includes withdrawn entries.
 */
public record TimelineQuery(String nhsNumber, Instant from, Instant to, Set<EventType> types, int page, int size,
        boolean history, Instant asOf) {

    public static final int DEFAULT_SIZE = 100;
    public static final int MAX_SIZE = 1000;

    public TimelineQuery {
        types = types == null ? Set.of() : Set.copyOf(types);
        if (page < 0) {
            throw new IllegalArgumentException("page must be 0 or more, got " + page);
        }
        if (size < 1 || size > MAX_SIZE) {
            throw new IllegalArgumentException("size must be 1.." + MAX_SIZE + ", got " + size);
        }
        if (from != null && to != null && from.isAfter(to)) {
            throw new IllegalArgumentException("from " + from + " is after to " + to);
        }
    }

    /** As known now. */
    public TimelineQuery(String nhsNumber, Instant from, Instant to, Set<EventType> types, int page, int size,
            boolean history) {
        this(nhsNumber, from, to, types, page, size, history, null);
    }

    /** The first page of the current timeline, all types. */
    public static TimelineQuery firstPage(String nhsNumber) {
        return new TimelineQuery(nhsNumber, null, null, Set.of(), 0, DEFAULT_SIZE, false);
    }

    boolean includes(EventType type) {
        return types.isEmpty() || types.contains(type);
    }
}
