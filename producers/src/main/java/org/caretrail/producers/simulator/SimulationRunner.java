package org.caretrail.producers.simulator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a stream of events into an {@link EventSink} at a target rate, with a bound on events in
 * flight, reporting progress, until the stream ends or {@link #stop()} is called (e.g. from a
 * Ctrl-C shutdown hook). A runner runs once.
 *
 * <pre>{@code
 * SimulationRunner runner = new SimulationRunner(EventSink.publisher(publisher),
 *         SimulationRunner.Settings.rate(200), p -> log.info("{} events sent", p.sent()));
 * CompletableFuture<SimulationRunner.Result> done = runner.start(simulator.events());
 * ... runner.stop(); done.join();
 * }</pre>
 */
public final class SimulationRunner {

    private static final Logger LOG = LoggerFactory.getLogger(SimulationRunner.class);
    private static final int FAILURES_KEPT = 20;
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(60);

    /**
     * @param eventsPerSecond  target rate; 0 means as fast as the sink accepts
     * @param maxInFlight      events sent but not yet acknowledged, at most
     * @param progressInterval how often the progress listener is called (and once at the end)
     */
    public record Settings(double eventsPerSecond, int maxInFlight, Duration progressInterval) {
        public Settings {
            if (eventsPerSecond < 0) {
                throw new IllegalArgumentException("eventsPerSecond must not be negative, got " + eventsPerSecond);
            }
            if (maxInFlight < 1) {
                throw new IllegalArgumentException("maxInFlight must be at least 1, got " + maxInFlight);
            }
            Objects.requireNonNull(progressInterval, "progressInterval");
        }

        /** As fast as possible, 10,000 in flight, progress every second. */
        public static Settings unlimited() {
            return new Settings(0, 10_000, Duration.ofSeconds(1));
        }

        /** {@code eventsPerSecond} (0 = unlimited), 10,000 in flight, progress every second. */
        public static Settings rate(double eventsPerSecond) {
            return new Settings(eventsPerSecond, 10_000, Duration.ofSeconds(1));
        }
    }

    /** Where a run stands. {@code finished} is true on the last call. */
    public record Progress(long sent, long acknowledged, long failed, Duration elapsed, boolean finished) {
        /** Acknowledged events per second so far. */
        public double eventsPerSecond() {
            double seconds = elapsed.toNanos() / 1e9;
            return seconds <= 0 ? 0 : acknowledged / seconds;
        }
    }

    @FunctionalInterface
    public interface ProgressListener {
        void onProgress(Progress progress);

        ProgressListener NONE = progress -> { };
    }

    /**
     * How a run ended.
     *
     * @param stopped       true when {@link #stop()} ended it before the stream did
     * @param firstFailures the first failures (event type, eventId, reason)
     */
    public record Result(long sent, long acknowledged, long failed, Duration elapsed, boolean stopped,
                         List<String> firstFailures) {
        public double eventsPerSecond() {
            double seconds = elapsed.toNanos() / 1e9;
            return seconds <= 0 ? 0 : acknowledged / seconds;
        }
    }

    private final EventSink sink;
    private final Settings settings;
    private final ProgressListener listener;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean stopRequested;
    private volatile boolean running;
    private volatile Thread runThread;
    private volatile long startNanos;

    public SimulationRunner(EventSink sink, Settings settings, ProgressListener listener) {
        this.sink = Objects.requireNonNull(sink, "sink");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.listener = listener == null ? ProgressListener.NONE : listener;
    }

    /** Runs on a new thread ({@code caretrail-simulator}); the future completes with the result. */
    public CompletableFuture<Result> start(Stream<? extends SpecificRecord> events) {
        CompletableFuture<Result> result = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                result.complete(run(events.iterator()));
            } catch (RuntimeException e) {
                LOG.error("simulation stopped by an error: {}", e.getMessage(), e);
                result.completeExceptionally(e);
            }
        }, "caretrail-simulator");
        thread.setDaemon(true);
        thread.start();
        return result;
    }

    public Result run(Stream<? extends SpecificRecord> events) {
        return run(events.iterator());
    }

    /** Sends every event (or until stopped), waits for the acknowledgements, and returns the totals. */
    public Result run(Iterator<? extends SpecificRecord> events) {
        synchronized (this) {
            if (running || sent.get() > 0) {
                throw new IllegalStateException("a SimulationRunner runs once");
            }
            running = true;
        }
        runThread = Thread.currentThread();
        Semaphore inFlight = new Semaphore(settings.maxInFlight());
        startNanos = System.nanoTime();
        long intervalNanos = settings.progressInterval().toNanos();
        long nextProgress = startNanos + intervalNanos;
        double nanosPerEvent = settings.eventsPerSecond() > 0 ? 1e9 / settings.eventsPerSecond() : 0;
        LOG.info("simulation starting: sink {}, rate {}", sink.name(),
                nanosPerEvent == 0 ? "unlimited" : settings.eventsPerSecond() + " events/s");
        try {
            while (!stopRequested && events.hasNext()) {
                SpecificRecord event = events.next();
                if (nanosPerEvent > 0) {
                    long due = startNanos + (long) (sent.get() * nanosPerEvent);
                    nextProgress = waitUntil(due, nextProgress, intervalNanos, startNanos);
                }
                if (!acquire(inFlight)) {
                    break;
                }
                sent.incrementAndGet();
                CompletableFuture<?> future;
                try {
                    future = sink.send(event);
                } catch (RuntimeException e) {
                    future = CompletableFuture.failedFuture(e);
                }
                future.whenComplete((ok, error) -> {
                    if (error == null) {
                        acknowledged.incrementAndGet();
                    } else {
                        recordFailure(event, error);
                    }
                    inFlight.release();
                });
                long nowNanos = System.nanoTime();
                if (nowNanos >= nextProgress) {
                    listener.onProgress(progress(startNanos, false));
                    nextProgress = nowNanos + intervalNanos;
                }
            }
            sink.flush();
            drain(inFlight);
        } finally {
            running = false;
        }
        Progress last = progress(startNanos, true);
        listener.onProgress(last);
        LOG.info("simulation {}: {} sent, {} acknowledged, {} failed in {} ms", stopRequested ? "stopped" : "finished",
                last.sent(), last.acknowledged(), last.failed(), last.elapsed().toMillis());
        return new Result(last.sent(), last.acknowledged(), last.failed(), last.elapsed(), stopRequested,
                List.copyOf(failures));
    }

    /** Asks the run to end: no more events are sent; those in flight are waited for. */
    public void stop() {
        stopRequested = true;
        Thread thread = runThread;
        if (thread != null) {
            LockSupport.unpark(thread);
        }
    }

    public boolean isRunning() {
        return running;
    }

    /** The progress so far (safe to call from any thread). */
    public Progress progress() {
        long started = startNanos;
        return new Progress(sent.get(), acknowledged.get(), failed.get(),
                started == 0 ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - started), !running && started != 0);
    }

    private long waitUntil(long dueNanos, long nextProgress, long intervalNanos, long startNanos) {
        long now;
        while (!stopRequested && (now = System.nanoTime()) < dueNanos) {
            if (now >= nextProgress) {
                listener.onProgress(progress(startNanos, false));
                nextProgress = now + intervalNanos;
            }
            LockSupport.parkNanos(Math.min(dueNanos - now, Math.max(1, nextProgress - now)));
        }
        return nextProgress;
    }

    private boolean acquire(Semaphore inFlight) {
        try {
            while (!inFlight.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                if (stopRequested) {
                    return false;
                }
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopRequested = true;
            return false;
        }
    }

    private void drain(Semaphore inFlight) {
        try {
            if (!inFlight.tryAcquire(settings.maxInFlight(), DRAIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("simulation: {} events still unacknowledged after {} s", settings.maxInFlight()
                        - inFlight.availablePermits(), DRAIN_TIMEOUT.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("simulation: interrupted while waiting for {} acknowledgements",
                    settings.maxInFlight() - inFlight.availablePermits());
        }
    }

    private void recordFailure(SpecificRecord event, Throwable error) {
        long n = failed.incrementAndGet();
        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
        String what = CareEventType.of(event).jsonName() + " " + CareEvents.header(event).getEventId() + ": "
                + cause.getMessage();
        if (n <= FAILURES_KEPT) {
            failures.add(what);
            LOG.warn("simulated event not accepted by {}: {}", sink.name(), what);
        } else if (n == FAILURES_KEPT + 1) {
            LOG.warn("further simulated events not accepted; counting only");
        }
    }

    private Progress progress(long startNanos, boolean finished) {
        return new Progress(sent.get(), acknowledged.get(), failed.get(),
                Duration.ofNanos(System.nanoTime() - startNanos), finished);
    }
}
