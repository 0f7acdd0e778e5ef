package org.caretrail.deploy.infra;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the servers CareTrail runs as child processes (the broker, the registry) and starts one
 * again when it dies, after a pause that doubles each time (1 s, 2 s, 4 s ... at most 30 s), saying
 * so in the log (which is the console of {@code caretrail up}). A child that dies
 * {@value #MAX_RESTARTS} times within {@link #WINDOW} is not restarted again: the supervisor gives up
 * and tells its owner, which stops the platform with that message rather than run on without a
 * broker or registry. Children stopped by CareTrail itself ({@link #close()} first) are not restarted.
 */
public final class Supervisor implements AutoCloseable {

    /** A child process the supervisor can watch and start again. */
    public interface Child extends AutoCloseable {
        /** For people: "kafka", "registry", "kafka-2". */
        String name();

        long pid();

        /** Completes with the exit code when the current process exits. */
        CompletableFuture<Integer> onExit();

        /** Starts a new process with the same settings and data, and waits until it serves. */
        void restart(Duration timeout) throws IOException;

        @Override
        void close();
    }

    /** What the supervisor knows of a child, for {@code /health}. */
    public enum State { RUNNING, RESTARTING, GAVE_UP }

    static final int MAX_RESTARTS = 5;
    static final Duration WINDOW = Duration.ofMinutes(10);
    private static final Duration MAX_PAUSE = Duration.ofSeconds(30);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);

    private final Consumer<String> giveUp;
    private final Duration firstPause;
    private final ScheduledExecutorService restarts = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "caretrail-supervisor");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, State> states = new ConcurrentHashMap<>();
    private final Map<String, Deque<Instant>> failures = new ConcurrentHashMap<>();
    private volatile boolean closing;

    /** @param giveUp told, with the reason, when a child keeps dying; expected to stop the platform */
    public Supervisor(Consumer<String> giveUp) {
        this(giveUp, Duration.ofSeconds(1));
    }

    /** With another first pause (doubled at each death): for tests. */
    Supervisor(Consumer<String> giveUp, Duration firstPause) {
        this.giveUp = giveUp;
        this.firstPause = firstPause;
    }

    /** Starts watching {@code child} (already running). */
    public void watch(Child child) {
        states.put(child.name(), State.RUNNING);
        long pid = child.pid();
        child.onExit().thenAccept(code -> exited(child, pid, code));
    }

    /** The state of the child of that name, or null when not watched. */
    public State state(String name) {
        return states.get(name);
    }

    /** Whether a child whose name starts with {@code prefix} (e.g. "Kafka broker") is in {@code state}. */
    public boolean any(String prefix, State state) {
        return states.entrySet().stream().anyMatch(e -> e.getKey().startsWith(prefix) && e.getValue() == state);
    }

    private void exited(Child child, long pid, int code) {
        if (closing) {
            return;
        }
        Deque<Instant> recent = failures.computeIfAbsent(child.name(), n -> new ArrayDeque<>());
        Instant now = Instant.now();
        int attempt;
        synchronized (recent) {
            recent.addLast(now);
            while (!recent.isEmpty() && recent.peekFirst().isBefore(now.minus(WINDOW))) {
                recent.removeFirst();
            }
            attempt = recent.size();
        }
        if (attempt > MAX_RESTARTS) {
            states.put(child.name(), State.GAVE_UP);
            String reason = "the " + child.name() + " died " + attempt + " times within " + WINDOW.toMinutes()
                    + " minutes (last: pid " + pid + ", exit code " + code + "); not starting it again";
            LOG.error("{}: stopping CareTrail", reason);
            giveUp.accept(reason);
            return;
        }
        states.put(child.name(), State.RESTARTING);
        long pause = Math.min(MAX_PAUSE.toMillis(), firstPause.toMillis() << (attempt - 1));
        LOG.error("the {} (pid {}) exited unexpectedly with code {}; starting it again in {} s (restart {} of at most "
                + "{} within {} minutes)", child.name(), pid, code, pause / 1000.0, attempt, MAX_RESTARTS,
                WINDOW.toMinutes());
        try {
            restarts.schedule(() -> restart(child, attempt), pause, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("not restarting {}: stopping", child.name());
        }
    }

    private void restart(Child child, int attempt) {
        if (closing) {
            return;
        }
        long started = System.nanoTime();
        try {
            child.restart(START_TIMEOUT);
            if (closing) {
                child.close();
                return;
            }
            LOG.warn("the {} is back (pid {}), {} s after restart {} began", child.name(), child.pid(),
                    String.format("%.1f", (System.nanoTime() - started) / 1e9), attempt);
            watch(child);
        } catch (IOException | RuntimeException e) {
            LOG.error("starting the {} again failed: {}", child.name(), e.getMessage());
            exited(child, -1, -1);
        }
    }

    /** Stops watching: from now on a child's exit is CareTrail stopping it. Call before closing children. */
    @Override
    public void close() {
        closing = true;
        restarts.shutdownNow();
    }
}
