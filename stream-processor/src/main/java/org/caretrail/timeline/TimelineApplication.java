package org.caretrail.timeline;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.caretrail.timeline.processor.TimelineStores;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.caretrail.events.serde.SchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.timeline.errors.DeadLetterHandlers;
import org.caretrail.timeline.query.TimelineApi;
import org.caretrail.timeline.query.TimelineHostLookup;
import org.caretrail.timeline.query.TimelineQueries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The timeline stream processor as a service: {@link #start()}, {@link #awaitRunning(Duration)},
 * {@link #close()}. State survives restarts in {@code timeline.state.dir} (never wiped on start).
 * A failing stream thread is replaced after a pause (a bad record never gets that far: it goes to
 * the dead-letter topic; this is for the schema registry or broker being away).
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
    private static final long REPLACE_THREAD_PAUSE_MS = 2_000;

    private final TimelineSettings settings;
    private final Topics topics;
    private final CountDownLatch running = new CountDownLatch(1);
    private volatile KafkaStreams streams;

    public TimelineApplication(TimelineSettings settings, SchemaRegistry registry) {
        this(settings, new Topics(registry));
    }

    public TimelineApplication(TimelineSettings settings, Topics topics) {
        this.settings = settings;
        this.topics = topics;
    }

    /** The topology this application runs (for describing it, e.g. in logs or docs). */
    public Topology topology() {
        Properties props = settings.toStreamsProperties();
        StreamsBuilder builder = new StreamsBuilder();
        TimelineTopology.build(builder, topics, settings);
        return builder.build(props);
    }

    /** Starts processing in the background; returns at once. Call once. */
    public synchronized void start() {
        if (streams != null) {
            throw new IllegalStateException("the timeline application is already started");
        }
        Properties props = settings.toStreamsProperties();
        Topology topology = topology();
        LOG.info("Starting the timeline stream processor: {}", settings);
        LOG.debug("Timeline topology:\n{}", topology.describe());
        KafkaStreams s = new KafkaStreams(topology, props);
        s.setStateListener((newState, oldState) -> {
            LOG.info("Timeline stream processor {} -> {}", oldState, newState);
            if (newState == KafkaStreams.State.RUNNING) {
                running.countDown();
            }
        });
        s.setUncaughtExceptionHandler(e -> {
            if (DeadLetterHandlers.registryUnavailable(e)) {
                LOG.error("Stream thread failed because the schema registry is unavailable; replacing it in {} ms",
                        REPLACE_THREAD_PAUSE_MS, e);
            } else {
                LOG.error("Stream thread failed; replacing it in {} ms", REPLACE_THREAD_PAUSE_MS, e);
            }
            try {
                Thread.sleep(REPLACE_THREAD_PAUSE_MS);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams = s;
        s.start();
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
     * instance's stores) and {@code caretrail.timeline.running} (1 while RUNNING). Only after
     * {@link #start()}.
     */
    public void bindMetrics(MeterRegistry registry) {
        KafkaStreams s = requireStarted();
        new KafkaStreamsMetrics(s).bindTo(registry);
        Gauge.builder("caretrail.timeline.running", this, app -> app.isRunning() ? 1 : 0)
                .description("1 while the timeline stream processor is RUNNING").register(registry);
        Gauge.builder("caretrail.timeline.unresolved.events", this, TimelineApplication::unresolvedEvents)
                .description("events known only by a local identifier, held until identity resolution")
                .register(registry);
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
