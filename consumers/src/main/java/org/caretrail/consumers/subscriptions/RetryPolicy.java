package org.caretrail.consumers.subscriptions;

import java.time.Duration;
import java.time.Instant;

/**
 * When a failing delivery is tried again, and when it is given up on (parked): pure, on the times it is
 * given, so a test can run an hour of failures on a clock it moves rather than wait for it. A change that
 * has failed for {@code parkAfter} since its first failure is parked; until then it is retried after
 * {@link Backoff#delay}. (HAPI FHIR's own rest-hook subscriptions give up after about a minute.)
 */
public record RetryPolicy(Backoff backoff, Duration parkAfter) {

    /** What to do after attempt {@code attempt} failed: retry at {@code retryAt}, or park (retryAt null). */
    public record Decision(boolean park, Instant retryAt) {
    }

    public Decision afterFailure(Instant firstFailure, int attempt, Instant now) {
        if (Duration.between(firstFailure, now).compareTo(parkAfter) >= 0) {
            return new Decision(true, null);
        }
        return new Decision(false, now.plus(backoff.delay(attempt)));
    }
}
