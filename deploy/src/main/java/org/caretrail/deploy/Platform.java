package org.caretrail.deploy;

import java.net.URI;
import java.nio.file.Path;
import org.caretrail.consumers.subscriptions.DeliveryConfig;
import org.caretrail.consumers.subscriptions.FhirSubscriptionApi;
import org.caretrail.consumers.subscriptions.SubscriptionApi;
import org.caretrail.consumers.subscriptions.Subscriptions;
import org.caretrail.consumers.webview.TimelineWebView;
import org.caretrail.producers.fhir.FhirGateway;
import org.caretrail.producers.hl7.Hl7Settings;
import org.caretrail.producers.hl7.MllpAdapter;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import org.caretrail.producers.publisher.CarePublisher;
import org.caretrail.producers.simulator.EventSink;
import org.caretrail.producers.simulator.PopulationSimulator;
import org.caretrail.producers.simulator.SimulationRunner;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import org.caretrail.deploy.http.AccessAudit;
import org.caretrail.deploy.http.FhirR4Routes;
import org.caretrail.deploy.http.TimelineFhirFocus;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.caretrail.deploy.http.ApiAccess;
import org.caretrail.deploy.http.PlatformHttpServer;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.deploy.infra.EmbeddedSchemaRegistry;
import org.caretrail.deploy.infra.TopicsApplier;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.timeline.TimelineApplication;
import org.caretrail.timeline.TimelineSettings;
import org.caretrail.timeline.fhir.FhirReadApi;
import org.caretrail.timeline.query.TimelineApi;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole platform on one machine, started in dependency order and stopped in reverse: broker,
 * registry, topics and schemas, then the services. What runs is described by {@link PlatformSettings}.
 */
public final class Platform implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Platform.class);

    private final PlatformSettings settings;
    private final SimulatorFailureLog simulatorLog = new SimulatorFailureLog();
    private final Deque<AutoCloseable> running = new ArrayDeque<>();
    private final Map<String, String> addresses = new LinkedHashMap<>();
    private static final String FHIR_PATH = FhirR4Routes.PATH;

    private String bootstrapServers;
    private int mllpPort;
    private String httpBase;
    private String registryUrl;
    private Topics topics;

    public Platform(PlatformSettings settings) {
        this.settings = settings;
    }

    /** Starts everything; on failure stops what had started and rethrows. */
    public Platform start(ProgressListener progress) throws Exception {
        settings.apiAccess().requireFor(settings.httpHost());
        try {
            startInfrastructure(progress);
            startServices(progress);
            return this;
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    private void startInfrastructure(ProgressListener progress) throws Exception {
        Path data = settings.dataDir();
        if (settings.bootstrapServers() == null) {
            progress.step("starting Kafka broker (KRaft) on localhost:" + settings.kafkaPort() + ", data in " + data.resolve("kafka"));
            EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(data, settings.kafkaPort(), settings.brokerClasspath(),
                    Duration.ofSeconds(120));
            running.push(broker);
            bootstrapServers = broker.bootstrapServers();
        } else {
            bootstrapServers = settings.bootstrapServers();
        }
        addresses.put("Kafka", bootstrapServers);
        if (settings.schemaRegistryUrl() == null) {
            progress.step("starting schema registry (Apicurio) on 127.0.0.1:" + settings.registryPort());
            EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(settings.registryHome(), data,
                    settings.registryPort(), Duration.ofSeconds(180));
            running.push(registry);
            registryUrl = registry.url();
        } else {
            registryUrl = settings.schemaRegistryUrl();
        }
        addresses.put("Schema registry", registryUrl);
        progress.step("applying topics and registering schemas");
        new TopicsApplier(bootstrapServers).apply();
        RestSchemaRegistry registryClient = new RestSchemaRegistry(registryUrl);
        topics = new Topics(registryClient);
        topics.registerSchemas();
    }

    private void startServices(ProgressListener progress) throws Exception {
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(metrics);
        new JvmGcMetrics().bindTo(metrics);
        AccessAudit audit = AccessAudit.toKafka(bootstrapServers);
        running.push(audit);
        ApiAccess access = settings.apiAccess().answeringTo(
                java.util.List.of(settings.httpHost(), settings.advertisedHttpHost()));
        PlatformHttpServer http = new PlatformHttpServer(settings.httpHost(), settings.httpPort(), metrics::scrape)
                .protectWith(access).auditWith(audit);
        running.push(http);
        String base = "http://" + settings.httpHost() + ":" + settings.httpPort();

        progress.step("starting the timeline stream processor (state in " + settings.dataDir().resolve("streams") + ")");
        TimelineSettings timelineSettings = TimelineSettings.defaults()
                .with(TimelineSettings.BOOTSTRAP_SERVERS, bootstrapServers)
                .with(TimelineSettings.STATE_DIR, settings.dataDir().resolve("streams"))
                .with(TimelineSettings.APPLICATION_SERVER, settings.advertisedHttpHost() + ":" + settings.httpPort());
        TimelineApplication timeline = new TimelineApplication(timelineSettings, topics);
        running.push(timeline);
        timeline.start();
        timeline.bindMetrics(metrics);
        if (!timeline.awaitRunning(Duration.ofSeconds(120))) {
            throw new IllegalStateException("the timeline stream processor did not reach RUNNING within 120 s (state "
                    + timeline.state() + ")");
        }
        TimelineApi timelineApi = timeline.api();
        if (access.peers().isPresent()) {
            timelineApi = timelineApi.forwardingWith(access.peers().get()::sign);
        }
        http.mount(TimelineApi.PATH_PREFIX, timelineApi);
        http.mountPublic(TimelineWebView.PATH, new TimelineWebView());
        http.healthCheck("timeline", timeline::isRunning);
        addresses.put("Web view", base + "/");
        addresses.put("Timeline API", base + TimelineApi.PATH_PREFIX + "{nhsNumber}/timeline");

        progress.step("starting the HL7v2 MLLP listener on " + settings.httpHost() + ":" + settings.mllpPort()
                + " and the FHIR R4 gateway");
        CarePublisher adapterPublisher = CarePublisher.connect(bootstrapServers, topics, "caretrail-adapters");
        running.push(adapterPublisher);
        MllpAdapter mllp = MllpAdapter.connect(adapterPublisher, bootstrapServers,
                Hl7Settings.defaults().withPort(settings.mllpPort()).withBindAddress(settings.httpHost()));
        mllp.start();
        running.push(mllp);
        Hl7Metrics.bind(mllp, metrics);
        mllpPort = mllp.port();
        addresses.put("HL7v2 MLLP", settings.httpHost() + ":" + mllp.port());
        FhirGateway fhirWrites = new FhirGateway(adapterPublisher);
        FhirReadApi fhirReadApi = new FhirReadApi(timeline.queries(), timeline.hostLookup(), timeline::isRunning);
        FhirReadApi fhirReads = access.peers().isPresent()
                ? fhirReadApi.forwardingWith(access.peers().get()::sign) : fhirReadApi;

        progress.step("starting subscriptions and webhook delivery");
        // the operator's callback allow-list, subscriptions per caller and the secrets' keys: see consumers/README.md
        // FHIR Subscriptions' notifications are about the read API's resources, read as the read API does
        Subscriptions subscriptions = new Subscriptions(
                DeliveryConfig.fromEnvironment(bootstrapServers, settings.dataDir(), System.getenv()), topics,
                Clock.systemUTC(), new TimelineFhirFocus("http://" + settings.advertisedHttpHost() + ":"
                        + settings.httpPort() + FHIR_PATH, fhirReads));
        running.push(subscriptions);
        subscriptions.start();
        http.mount(SubscriptionApi.PATH, subscriptions.handler());
        addresses.put("Subscriptions", base + SubscriptionApi.PATH);
        // one FHIR R4 server: the gateway's writes, the read API over the timeline, FHIR subscriptions
        CapabilityStatement fhirCapabilities = FhirR4Routes.capabilities(fhirWrites);
        FhirSubscriptionApi.describe(fhirCapabilities);
        http.mount(FHIR_PATH, new FhirR4Routes(fhirWrites, fhirReads, subscriptions.fhirHandler(), fhirCapabilities));
        addresses.put("FHIR R4", base + FHIR_PATH + "/metadata");

        http.start();
        httpBase = base;
        addresses.put("Health", base + "/health");
        addresses.put("Metrics", base + "/metrics");

        if (settings.simulatedPatients() > 0) {
            startSimulator(progress);
        }
    }

    private void startSimulator(ProgressListener progress) {
        progress.step(String.format("starting the simulator: %,d synthetic patients at %.0f events/s (seed %d)",
                settings.simulatedPatients(), settings.simulationRate(), settings.seed()));
        CarePublisher publisher = CarePublisher.connect(bootstrapServers, topics, "caretrail-simulator");
        running.push(publisher);
        PopulationSimulator population = new PopulationSimulator(settings.seed(), settings.simulatedPatients(),
                Clock.systemUTC());
        EventSink sink = SimulatorRoutes.through(EventSink.publisher(publisher), settings.httpHost(), mllpPort,
                URI.create(httpBase + FHIR_PATH), settings.apiAccess().authorization().orElse(null));
        running.push(sink::close);
        SimulationRunner runner = new SimulationRunner(sink,
                SimulationRunner.Settings.rate(settings.simulationRate()), simulatorLog);
        CompletableFuture<SimulationRunner.Result> done = runner.start(population.events());
        running.push(() -> {
            runner.stop();
            done.join();
        });
        done.thenAccept(result -> LOG.info("simulator finished: {} events sent, {} acknowledged, {} failed",
                result.sent(), result.acknowledged(), result.failed()));
        population.showcasePatient(4).ifPresent(patient -> {
            addresses.put("A simulated patient", "./caretrail timeline " + patient.nhsNumber().value());
            addresses.put("... in the web view", httpBase + "/?nhs=" + patient.nhsNumber().value());
        });
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public String registryUrl() {
        return registryUrl;
    }

    public Topics topics() {
        return topics;
    }

    /** How the simulator is doing (sent, acknowledged, failed), once it has reported. */
    public java.util.Optional<SimulationRunner.Progress> simulatorProgress() {
        return java.util.Optional.ofNullable(simulatorLog.last);
    }

    /** What is where, for people: name to URL or address. */
    public Map<String, String> addresses() {
        return addresses;
    }

    @Override
    public void close() {
        while (!running.isEmpty()) {
            AutoCloseable component = running.pop();
            try {
                component.close();
            } catch (Exception e) {
                LOG.warn("error stopping {}: {}", component.getClass().getSimpleName(), e.toString());
            }
        }
    }

    /** Logs simulator sends that failed (each is named by the runner's result too), at most every 10 s. */
    private static final class SimulatorFailureLog implements SimulationRunner.ProgressListener {
        private long reported;
        private long lastLog;
        private volatile SimulationRunner.Progress last;

        @Override
        public void onProgress(SimulationRunner.Progress progress) {
            last = progress;
            long now = System.currentTimeMillis();
            if (progress.failed() > reported && now - lastLog > 10_000) {
                LOG.warn("simulator: {} of {} sends failed so far", progress.failed(), progress.sent());
                reported = progress.failed();
                lastLog = now;
            }
        }
    }

    /** Told of each start-up step, for the console. */
    @FunctionalInterface
    public interface ProgressListener {
        void step(String description);
    }
}
