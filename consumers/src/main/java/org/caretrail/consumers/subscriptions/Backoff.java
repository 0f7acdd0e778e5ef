package org.caretrail.consumers.subscriptions;

import java.time.Duration;

/**
 * Exponential backoff between delivery attempts: {@code initial * 2^(attempt-1)}, capped at
 * {@code max}. Attempt 1 is the first retry.
 */
public record Backoff(Duration initial, Duration max) {

    public Backoff {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < initial <= max, got " + initial + " and " + max);
        }
    }

    public Duration delay(int attempt) {
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt counts from 1, got " + attempt);
        }
        int shift = Math.min(attempt - 1, 40);
        long millis = initial.toMillis();
        long max = this.max.toMillis();
        if (millis > (max >> shift)) {
            return this.max;
        }
        return Duration.ofMillis(Math.min(max, millis << shift));
    }
}
