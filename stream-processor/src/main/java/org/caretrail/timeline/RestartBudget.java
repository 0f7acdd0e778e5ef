package org.caretrail.timeline;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import org.caretrail.timeline.errors.DeadLetterHandlers;

/**
 * How often a failed stream thread is replaced. A thread that fails again and again for the same cause is
 * not replaced for ever: within {@code window}, at most {@code maxRestarts} replacements per cause (backing off
 * 2 s, 4 s, 8 s ... up to a minute), then {@link Decision#giveUp()}. "The same cause" is the innermost
 * exception's class and message with the numbers in it ignored (offsets, sizes and ids vary between tries).
 * An unreachable schema registry is not the data's fault: it is waited for, backing off up to a minute,
 * however long it takes. Thread-safe.
 */
public final class RestartBudget {

    private static final Duration FIRST_PAUSE = Duration.ofSeconds(2);
    private static final Duration LONGEST_PAUSE = Duration.ofMinutes(1);

    private final int maxRestarts;
    private final Duration window;
    private final Clock clock;
    private final Map<String, Deque<Instant>> failures = new HashMap<>();
    private int registryFailures;

    /** What to do about one failure. */
    public record Decision(boolean giveUp, Duration pause, String cause, int failuresInWindow, boolean waiting) {
    }

    public RestartBudget(int maxRestarts, Duration window, Clock clock) {
        this.maxRestarts = maxRestarts;
        this.window = window;
        this.clock = clock;
    }

    public synchronized Decision onFailure(Throwable e) {
        String cause = describe(e);
        if (DeadLetterHandlers.registryUnavailable(e)) {
            registryFailures++;
            return new Decision(false, pause(registryFailures), cause, registryFailures, true);
        }
        registryFailures = 0;
        Instant now = clock.instant();
        Deque<Instant> times = failures.computeIfAbsent(signature(e), k -> new ArrayDeque<>());
        while (!times.isEmpty() && times.peekFirst().isBefore(now.minus(window))) {
            times.removeFirst();
        }
        times.addLast(now);
        int n = times.size();
        return new Decision(n > maxRestarts, pause(n), cause, n, false);
    }

    private static Duration pause(int failure) {
        Duration p = FIRST_PAUSE.multipliedBy(1L << Math.min(failure - 1, 10));
        return p.compareTo(LONGEST_PAUSE) > 0 ? LONGEST_PAUSE : p;
    }

    /** The innermost cause, as a person reads it. */
    static String describe(Throwable e) {
        Throwable root = root(e);
        String message = root.getMessage() == null ? "" : ": " + root.getMessage();
        return root.getClass().getSimpleName() + (message.length() > 500 ? message.substring(0, 500) + "…" : message);
    }

    static String signature(Throwable e) {
        return describe(root(e)).replaceAll("[0-9]+", "#");
    }

    private static Throwable root(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }
}
