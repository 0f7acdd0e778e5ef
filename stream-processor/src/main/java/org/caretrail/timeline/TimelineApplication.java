package org.caretrail.timeline;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.caretrail.timeline.processor.TimelineStores;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.caretrail.events.metrics.CareMetrics;
import org.caretrail.events.serde.SchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.events.CareEventType;
import org.caretrail.timeline.processor.InputPartitions;
import org.caretrail.timeline.query.TimelineApi;
import org.caretrail.timeline.query.TimelineHostLookup;
import org.caretrail.timeline.query.TimelineQueries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The timeline stream processor as a service: {@link #start()}, {@link #awaitRunning(Duration)},
 * {@link #health()}, {@link #close()}. State survives restarts in {@code timeline.state.dir} (never wiped
 * on start).
 *
 * <p>A failing stream thread is replaced after a pause (a bad record never gets that far: it goes to the
 * dead-letter topic; this is for what no handler can route: the schema registry away, a transaction the
 * broker refuses, a broken disk). Not for ever ({@link RestartBudget}): a thread that fails for the same
 * cause more than {@code timeline.thread.max.restarts} times within {@code timeline.thread.restart.window}
 * stops this instance ({@code SHUTDOWN_CLIENT}), which then reports {@code DOWN} with the cause, and logs it.
 * With one instance, its stores close with it: every timeline query answers 503 until it is restarted (by
 * an operator or a supervisor that reads {@code /health}). With several, the group gives this instance's
 * partitions to the others (at once from standby replicas, if configured), which answer for every patient;
 * a cause that lives in one partition's data would then meet them there too, each with its own budget.
 *
 *
 * <pre>{@code
 * var app = new TimelineApplication(settings, registry);
 * app.start();
 * app.awaitRunning(Duration.ofSeconds(60));
 * server.createContext(TimelineApi.PATH_PREFIX, app.api());
 * Runtime.getRuntime().addShutdownHook(new Thread(app::close));
 * }</pre>
 */
public final class TimelineApplication implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TimelineApplication.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final TimelineSettings settings;
    private final Topics topics;
    private final CountDownLatch running = new CountDownLatch(1);
    private final RestartBudget restarts;
    private volatile KafkaStreams streams;
    private volatile String failure;
    private volatile Instant failedAt;
    private volatile boolean waitingForRegistry;
    private volatile boolean gaveUp;
    private TimelineProgress progress;

    public TimelineApplication(TimelineSettings settings, SchemaRegistry registry) {
        this(settings, new Topics(registry));
    }

    public TimelineApplication(TimelineSettings settings, Topics topics) {
        this.settings = settings;
        this.topics = topics;
        this.restarts = new RestartBudget(settings.threadMaxRestarts(), settings.threadRestartWindow(),
                Clock.systemUTC());
    }

    /**
     * The topology this application runs (for describing it, e.g. in logs or docs), as if the input topics'
     * partition count were unknown (every NHS-keyed event through the repartition topic).
     */
    public Topology topology() {
        return topology(InputPartitions.UNKNOWN);
    }

    private Topology topology(InputPartitions partitions) {
        Properties props = settings.toStreamsProperties();
        StreamsBuilder builder = new StreamsBuilder();
        TimelineTopology.build(builder, topics, settings, Clock.systemUTC(), partitions);
        return builder.build(props);
    }

    /** The partition count of the input topics, read from the cluster (see {@link InputPartitions}). */
    private InputPartitions inputPartitions() {
        List<String> inputs = new ArrayList<>(TimelineTopology.timelineEventTypes().stream()
                .map(CareEventType::topic).toList());
        // as the stream processor's own principal (TLS, SCRAM on a secured broker): it may describe every input topic
        try (Admin admin = Admin.create(settings.kafkaClient().config())) {
            return InputPartitions.of(admin, inputs);
        }
    }

    /** Starts processing in the background; returns at once. Call once. */
    public synchronized void start() {
        if (streams != null) {
            throw new IllegalStateException("the timeline application is already started");
        }
        Properties props = settings.toStreamsProperties();
        InputPartitions partitions = inputPartitions();
        Topology topology = topology(partitions);
        LOG.info("Starting the timeline stream processor: {} (care event topics: {} partitions)", settings,
                partitions.count() == 0 ? "unknown" : partitions.count());
        LOG.debug("Timeline topology:\n{}", topology.describe());
        KafkaStreams s = new KafkaStreams(topology, props);
        s.setStateListener((newState, oldState) -> {
            LOG.info("Timeline stream processor {} -> {}", oldState, newState);
            if (newState == KafkaStreams.State.RUNNING) {
                running.countDown();
                waitingForRegistry = false;
            }
        });
        s.setUncaughtExceptionHandler(this::onThreadFailure);
        streams = s;
        s.start();
    }

    /** Replace the failed thread after a pause, or stop this instance when the same cause keeps coming back. */
    private StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse onThreadFailure(Throwable e) {
        RestartBudget.Decision d = restarts.onFailure(e);
        failure = d.cause();
        failedAt = Instant.now();
        waitingForRegistry = d.waiting();
        if (d.giveUp()) {
            gaveUp = true;
            LOG.error("Stream thread failed {} times within {} for the same cause; stopping the timeline stream "
                    + "processor on this instance (health DOWN): {}", d.failuresInWindow(),
                    settings.threadRestartWindow(), d.cause(), e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        if (d.waiting()) {
            LOG.error("Stream thread failed because the schema registry is unavailable (try {}); replacing it in {}",
                    d.failuresInWindow(), d.pause(), e);
        } else {
            LOG.error("Stream thread failed ({} of {} allowed within {}); replacing it in {}: {}",
                    d.failuresInWindow(), settings.threadMaxRestarts(), settings.threadRestartWindow(), d.pause(),
                    d.cause(), e);
        }
        try {
            Thread.sleep(d.pause().toMillis());
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    }

    /**
     * How the processor is doing: UP while RUNNING; STARTING until it first runs; DEGRADED while a failed
     * stream thread is being replaced or the schema registry is waited for; DOWN once it stopped (closed, or
     * its thread kept failing for the same cause), with the cause.
     */
    public TimelineHealth health() {
        KafkaStreams.State state = state();
        String cause = failure;
        Instant since = failedAt;
        if (gaveUp || state == KafkaStreams.State.ERROR || state == KafkaStreams.State.PENDING_ERROR) {
            return new TimelineHealth(TimelineHealth.Status.DOWN, state,
                    cause == null ? "the stream processor stopped after an error" : cause, since);
        }
        if (state == KafkaStreams.State.NOT_RUNNING || state == KafkaStreams.State.PENDING_SHUTDOWN) {
            return new TimelineHealth(TimelineHealth.Status.DOWN, state,
                    streams == null ? "not started" : "stopped", since);
        }
        if (waitingForRegistry) {
            return new TimelineHealth(TimelineHealth.Status.DEGRADED, state, cause, since);
        }
        if (state == KafkaStreams.State.RUNNING) {
            return new TimelineHealth(TimelineHealth.Status.UP, state, null, since);
        }
        if (running.getCount() > 0 && cause == null) {
            return new TimelineHealth(TimelineHealth.Status.STARTING, state, null, null);
        }
        return new TimelineHealth(TimelineHealth.Status.DEGRADED, state,
                cause == null ? "rebalancing" : cause, since);
    }

    /** Waits until the processor is RUNNING (first time); false on timeout. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        return running.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The current state, {@code NOT_RUNNING} before {@link #start()}. */
    public KafkaStreams.State state() {
        KafkaStreams s = streams;
        return s == null ? KafkaStreams.State.NOT_RUNNING : s.state();
    }

    public boolean isRunning() {
        return state() == KafkaStreams.State.RUNNING;
    }

    /** Reads of this instance's stores; only after {@link #start()}. */
    public TimelineQueries queries() {
        return TimelineQueries.of(requireStarted(), !settings.applicationServer().isEmpty());
    }

    /** Which instance owns a patient (local-only when {@code timeline.application.server} is empty). */
    public TimelineHostLookup hostLookup() {
        String server = settings.applicationServer();
        return new TimelineHostLookup(requireStarted(), server.isEmpty() ? null : HostInfo.buildFromEndpoint(server));
    }

    /**
     * The HTTP handler for {@code GET /api/v1/patients/{nhsNumber}/timeline}; mount it at
     * {@link TimelineApi#PATH_PREFIX}. Only after {@link #start()}.
     */
    public TimelineApi api() {
        return new TimelineApi(queries(), hostLookup(), this::isRunning);
    }

    /**
     * Publishes the stream processor's metrics to {@code registry}: every Kafka Streams client
     * metric (including CareTrail's own {@code stream-caretrail-timeline-metrics}: rejected-events,
     * held-unresolved-events, unchanged-events as rate and total), plus
     * {@code caretrail.timeline.unresolved.events} (events held for identity resolution in this
     * instance's stores), {@code caretrail.timeline.running} (1 while RUNNING), and the lag and freshness
     * measured from the broker's side ({@link TimelineProgress}). Names: {@link CareMetrics}. Only after
     * {@link #start()}.
     */
    public void bindMetrics(MeterRegistry registry) {
        KafkaStreams s = requireStarted();
        new KafkaStreamsMetrics(s).bindTo(registry);
        Gauge.builder(CareMetrics.TIMELINE_RUNNING, this, app -> app.isRunning() ? 1 : 0)
                .description("1 while the timeline stream processor is RUNNING").register(registry);
        Gauge.builder(CareMetrics.TIMELINE_HELD, this, TimelineApplication::unresolvedEvents)
                .description("events known only by a local identifier, held until identity resolution")
                .register(registry);
        TimelineProgress p = progress();
        Gauge.builder(CareMetrics.TIMELINE_LAG, p, TimelineProgress::lag)
                .description("records on the stream processor's input (and repartition) topics not yet processed: "
                        + "last stable offsets minus committed offsets, summed").register(registry);
        Gauge.builder(CareMetrics.TIMELINE_FRESHNESS, p, TimelineProgress::freshnessSeconds)
                .description("seconds since the newest timeline change's record time").register(registry);
    }

    private synchronized TimelineProgress progress() {
        if (progress == null) {
            progress = new TimelineProgress(settings, Clock.systemUTC()).start();
        }
        return progress;
    }

    private double unresolvedEvents() {
        try {
            return requireStarted().store(StoreQueryParameters.fromNameAndType(TimelineStores.UNRESOLVED,
                    QueryableStoreTypes.<String, Object>keyValueStore())).approximateNumEntries();
        } catch (InvalidStateStoreException e) {
            return Double.NaN;
        }
    }

    /** The running Kafka Streams instance (metrics, state); only after {@link #start()}. */
    public KafkaStreams streams() {
        return requireStarted();
    }

    private KafkaStreams requireStarted() {
        KafkaStreams s = streams;
        if (s == null) {
            throw new IllegalStateException("the timeline application is not started");
        }
        return s;
    }

    /** Stops processing, commits and closes the stores; waits up to 30 s. Safe to call twice. */
    @Override
    public synchronized void close() {
        if (progress != null) {
            progress.close();
        }
        KafkaStreams s = streams;
        if (s == null) {
            return;
        }
        LOG.info("Stopping the timeline stream processor");
        if (!s.close(CLOSE_TIMEOUT)) {
            LOG.warn("The timeline stream processor did not stop within {}", CLOSE_TIMEOUT);
        }
    }
}
