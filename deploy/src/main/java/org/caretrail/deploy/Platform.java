package org.caretrail.deploy;

import java.net.URI;
import java.nio.file.Path;
import org.caretrail.consumers.subscriptions.DeliveryConfig;
import org.caretrail.consumers.subscriptions.DeliveryMetrics;
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
import java.util.function.Consumer;
import org.caretrail.deploy.http.AccessAudit;
import org.caretrail.deploy.http.FhirR4Routes;
import org.caretrail.deploy.http.FhirRequestMetrics;
import org.caretrail.deploy.http.TimelineFhirFocus;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.caretrail.deploy.http.ApiAccess;
import org.caretrail.deploy.http.Health;
import org.caretrail.deploy.infra.KafkaAccess;
import org.caretrail.deploy.infra.KafkaCluster;
import org.caretrail.deploy.infra.KafkaSecurity;
import org.caretrail.deploy.infra.PrincipalsApplier;
import org.caretrail.events.topic.CarePrincipal;
import org.caretrail.deploy.infra.PrivateFiles;
import org.caretrail.deploy.infra.Supervisor;
import org.caretrail.events.topic.Replication;
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

    /** How long the services together may take to stop before CareTrail goes on without them. */
    static final Duration SERVICES_STOP_BUDGET = Duration.ofSeconds(10);
    /** The stream processor's own stop budget, whatever the services before it took. */
    static final Duration TIMELINE_STOP_BUDGET = Duration.ofSeconds(15);

    private final PlatformSettings settings;
    private final SimulatorFailureLog simulatorLog = new SimulatorFailureLog();
    private final Deque<Stop> running = new ArrayDeque<>();
    private final Health health = new Health();
    /** What brings meters up to date just before {@code /metrics} is rendered (rows that come and go). */
    private final java.util.List<Runnable> beforeScrape = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile Consumer<String> onFatal = reason -> { };
    private Supervisor supervisor;
    private EmbeddedKafkaBroker broker;
    private KafkaCluster cluster;
    private EmbeddedSchemaRegistry registry;
    private Replication appliedReplication;
    private final Map<String, String> addresses = new LinkedHashMap<>();
    private static final String FHIR_PATH = FhirR4Routes.PATH;

    private String bootstrapServers;
    private KafkaAccess kafka;
    private int mllpPort;
    private String httpBase;
    private String registryUrl;
    private Topics topics;

    private org.caretrail.events.settings.Settings configured;

    public Platform(PlatformSettings settings) {
        this.settings = settings;
    }

    /**
     * Who to tell when the platform cannot go on (a broker or registry child kept dying and the
     * supervisor gave up); {@code caretrail up} stops with that reason.
     */
    public Platform onFatal(Consumer<String> listener) {
        this.onFatal = listener;
        return this;
    }

    /** What this platform runs and where ({@code caretrail up}'s options and settings). */
    public PlatformSettings settings() {
        return settings;
    }

    /**
     * The modules' settings as the operator set them (file, environment, command line; see {@code caretrail
     * config}): the timeline's, HL7's, FHIR's and delivery's are built from them. Without it each module runs
     * on its defaults, delivery with its environment variables.
     */
    public Platform configuredBy(org.caretrail.events.settings.Settings resolved) {
        this.configured = resolved;
        return this;
    }

    /** {@code timeline} with {@code setting} at {@code value}, unless the operator set it (file, environment, option). */
    private <T> TimelineSettings unlessSet(TimelineSettings timeline, org.caretrail.events.settings.Setting<T> setting,
            T value) {
        return configured != null && configured.source(setting) != org.caretrail.events.settings.SettingSource.DEFAULT
                ? timeline : timeline.with(setting, value);
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
        Path data = PrivateFiles.directory(settings.dataDir());
        supervisor = new Supervisor(reason -> onFatal.accept(reason));
        KafkaSecurity security = null;
        if (settings.kafkaSecurityDir() != null && settings.bootstrapServers() == null) {
            progress.step("securing Kafka: TLS certificates from the CareTrail CA, a SCRAM principal per component, "
                    + "ACLs (in " + settings.kafkaSecurityDir() + ")");
            security = KafkaSecurity.generate(settings.kafkaSecurityDir(), settings.brokers());
        } else if (settings.kafkaSecurityDir() != null) {
            security = KafkaSecurity.existing(settings.kafkaSecurityDir());
        }
        if (settings.bootstrapServers() == null && settings.brokers() == 1) {
            progress.step("starting Kafka broker (KRaft) on localhost:" + settings.kafkaPort() + ", data in " + data.resolve("kafka"));
            broker = EmbeddedKafkaBroker.start(data, settings.kafkaPort(), settings.brokerClasspath(),
                    Duration.ofSeconds(120), security);
            running.push(Stop.child("Kafka broker", broker));
            supervisor.watch(broker.node());
            bootstrapServers = broker.bootstrapServers();
        } else if (settings.bootstrapServers() == null) {
            progress.step("starting a Kafka cluster of " + settings.brokers() + " KRaft brokers on localhost:"
                    + settings.kafkaPort() + "-" + (settings.kafkaPort() + settings.brokers() - 1) + ", data in "
                    + data.resolve("cluster"));
            cluster = KafkaCluster.start(data, settings.brokers(), settings.kafkaPort(), settings.brokerClasspath(),
                    Duration.ofSeconds(180), security);
            running.push(Stop.child("Kafka cluster", cluster));
            cluster.children().forEach(supervisor::watch);
            bootstrapServers = cluster.bootstrapServers();
        } else {
            bootstrapServers = settings.bootstrapServers();
        }
        kafka = KafkaAccess.of(bootstrapServers, security);
        addresses.put("Kafka", kafka.toString());
        if (settings.schemaRegistryUrl() == null) {
            progress.step("starting schema registry (Apicurio) on 127.0.0.1:" + settings.registryPort());
            registry = EmbeddedSchemaRegistry.start(settings.registryHome(), data, settings.registryPort(),
                    Duration.ofSeconds(180), configured == null ? null : configured.get(EmbeddedSchemaRegistry.JAVA));
            running.push(Stop.child("schema registry", registry));
            supervisor.watch(registry);
            registryUrl = registry.url();
        } else {
            registryUrl = settings.schemaRegistryUrl();
        }
        // from here on a child's exit is a crash to restart, until the supervisor is stopped (first, on close)
        running.push(Stop.service("supervisor", supervisor));
        addresses.put("Schema registry", registryUrl);
        if (security != null) {
            progress.step("applying Kafka principals and ACLs");
            for (PrincipalsApplier.Outcome outcome : new PrincipalsApplier(kafka.as(CarePrincipal.ADMIN), security).apply()) {
                if (outcome.action().equals("extra")) {
                    LOG.warn("Kafka has {} that CareTrail does not declare: {}", outcome.subject(), outcome.detail());
                }
            }
            security.writeClientFiles();
            addresses.put("Kafka clients", security.dir().resolve("clients")
                    + " (settings per principal, for the commands and Kafka's own tools)");
        }
        progress.step("applying topics and registering schemas");
        TopicsApplier applier = new TopicsApplier(kafka.as(CarePrincipal.ADMIN))
                .allowUnsafe(settings.allowUnsafeReplication());
        for (TopicsApplier.Outcome outcome : applier.apply()) {
            if (outcome.shortfall() != null) {
                LOG.warn("topic {} is not as declared: {}", outcome.topic(), outcome.shortfall());
            }
        }
        appliedReplication = applier.appliedReplication();
        RestSchemaRegistry registryClient = new RestSchemaRegistry(registryUrl);
        topics = new Topics(registryClient);
        topics.registerSchemas();
    }

    private void startServices(ProgressListener progress) throws Exception {
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(metrics);
        new JvmGcMetrics().bindTo(metrics);
        AccessAudit audit = AccessAudit.toKafka(kafka.as(CarePrincipal.AUDIT));
        running.push(Stop.service("access audit", audit));
        PlatformParts parts = new PlatformParts(kafka.as(CarePrincipal.AUDIT), registryUrl, supervisor);
        running.push(Stop.service("health checks", parts));
        // every dead letter written from now on, by whoever writes it, by reason category and origin
        DeadLetterMeter deadLetters = new DeadLetterMeter(kafka.as(CarePrincipal.ADMIN), metrics).start();
        running.push(Stop.service("dead-letter meter", deadLetters));
        health.part("broker", parts::broker);
        health.part("registry", parts::registry);
        ApiAccess access = settings.apiAccess().answeringTo(
                java.util.List.of(settings.httpHost(), settings.advertisedHttpHost()));
        PlatformHttpServer http = new PlatformHttpServer(settings.httpHost(), settings.httpPort(),
                settings.healthPort(), settings.httpLimits(), health, () -> {
                    beforeScrape.forEach(Runnable::run);
                    return metrics.scrape();
                })
                .protectWith(access).auditWith(audit);
        String base = "http://" + settings.httpHost() + ":" + settings.httpPort();
        // other instances forward reads for the patients this one holds to its peer port: mutual TLS from the
        // peer secret, never plain HTTP; it is what this instance advertises in Kafka's metadata
        javax.net.ssl.SSLContext peerTls = null;
        String advertised = settings.advertisedHttpHost() + ":" + settings.httpPort();
        if (access.peers().isPresent()) {
            java.util.Set<String> names = new java.util.LinkedHashSet<>(
                    java.util.List.of(settings.advertisedHttpHost(), settings.httpHost()));
            names.addAll(org.caretrail.deploy.security.CertificateAuthority.localNames());
            peerTls = access.peers().get().tls(names);
            http.peersOn(settings.httpHost(), configured == null ? 0 : configured.get(PlatformSettings.PEER_PORT),
                    peerTls);
            advertised = settings.advertisedHttpHost() + ":" + http.peerPort();
            addresses.put("Other instances", "https://" + advertised + " (mutual TLS from the peer secret)");
        }

        // what up knows (its data directory, its address, the replication the topics got) unless the operator set it
        TimelineSettings timelineSettings = (configured == null ? TimelineSettings.defaults()
                : TimelineSettings.from(configured))
                .withKafkaClient(kafka.as(CarePrincipal.TIMELINE));
        timelineSettings = unlessSet(timelineSettings, TimelineSettings.STATE_DIR, settings.dataDir().resolve("streams"));
        timelineSettings = unlessSet(timelineSettings, TimelineSettings.APPLICATION_SERVER, advertised);
        timelineSettings = timelineSettings.with(TimelineSettings.NUM_STANDBY_REPLICAS, settings.timelineStandbyReplicas());
        timelineSettings = unlessSet(timelineSettings, TimelineSettings.INTERNAL_TOPICS_REPLICATION,
                appliedReplication.toString());
        Path stateDir = timelineSettings.get(TimelineSettings.STATE_DIR);
        progress.step("starting the timeline stream processor (state in " + stateDir + ")");
        TimelineApplication timeline = new TimelineApplication(timelineSettings, topics);
        // its clean close commits and writes the stores' checkpoints (under exactly-once an unclean one means a full
        // restore on the next start), so it has a share of its own rather than what the services before it left
        running.push(Stop.service("timeline stream processor", timeline, TIMELINE_STOP_BUDGET));
        timeline.start();
        // Kafka Streams makes its directories group-readable (0750); the state holds timelines: owner only
        PrivateFiles.directory(PrivateFiles.directory(stateDir).resolve(timelineSettings.applicationId()));
        timeline.bindMetrics(metrics);
        if (!timeline.awaitRunning(Duration.ofSeconds(120))) {
            throw new IllegalStateException("the timeline stream processor did not reach RUNNING within 120 s (state "
                    + timeline.state() + ")");
        }
        TimelineApi timelineApi = timeline.api();
        if (access.peers().isPresent()) {
            timelineApi = timelineApi.forwardingWith(access.peers().get()::sign, peerTls);
        }
        http.mount(TimelineApi.PATH_PREFIX, timelineApi);
        http.mountPublic(TimelineWebView.PATH, new TimelineWebView());
        health.part("timeline", () -> PlatformParts.timeline(timeline.health()));
        addresses.put("Web view", base + "/");
        addresses.put("Timeline API", base + TimelineApi.PATH_PREFIX + "{nhsNumber}/timeline");

        progress.step("starting the HL7v2 MLLP listener on " + settings.httpHost() + ":" + settings.mllpPort()
                + " and the FHIR R4 gateway");
        CarePublisher adapterPublisher = CarePublisher.forWaitingSenders(kafka.as(CarePrincipal.ADAPTERS), topics,
                "caretrail-adapters");
        running.push(Stop.service("adapters' publisher", adapterPublisher));
        adapterPublisher.meterWith(metrics);
        MllpAdapter mllp = MllpAdapter.connect(adapterPublisher, kafka.as(CarePrincipal.ADAPTERS),
                (configured == null ? Hl7Settings.defaults() : Hl7Settings.from(configured))
                        .withPort(settings.mllpPort()).withBindAddress(settings.httpHost()));
        mllp.start();
        running.push(Stop.service("MLLP listener", mllp));
        Hl7Metrics.bind(mllp, metrics);
        mllpPort = mllp.port();
        String mllpHost = settings.httpHost();
        int boundMllp = mllp.port();
        health.part("mllp", () -> org.caretrail.deploy.infra.Ports.listening(mllpHost, boundMllp)
                ? Health.Status.up("listening on " + mllpHost + ":" + boundMllp)
                : Health.Status.broken("not listening on " + mllpHost + ":" + boundMllp));
        addresses.put("HL7v2 MLLP", settings.httpHost() + ":" + mllp.port());
        FhirGateway fhirWrites = new FhirGateway(adapterPublisher, configured == null
                ? org.caretrail.producers.fhir.FhirSettings.defaults()
                : org.caretrail.producers.fhir.FhirSettings.from(configured));
        FhirReadApi fhirReadApi = new FhirReadApi(timeline.queries(), timeline.hostLookup(), timeline::isRunning);
        FhirReadApi fhirReads = access.peers().isPresent()
                ? fhirReadApi.forwardingWith(access.peers().get()::sign, peerTls) : fhirReadApi;

        progress.step("starting subscriptions and webhook delivery");
        // the operator's callback allow-list, subscriptions per caller and the secrets' keys: see consumers/README.md
        // FHIR Subscriptions' notifications are about the read API's resources, read as the read API does
        Subscriptions subscriptions = new Subscriptions(
                (configured == null ? DeliveryConfig.fromEnvironment(bootstrapServers, settings.dataDir(), System.getenv())
                        : DeliveryConfig.from(configured, bootstrapServers, settings.dataDir()))
                        .withKafka(kafka.as(CarePrincipal.SUBSCRIPTIONS).config()), topics,
                Clock.systemUTC(), new TimelineFhirFocus("http://" + settings.advertisedHttpHost() + ":"
                        + settings.httpPort() + FHIR_PATH, fhirReads));
        running.push(Stop.service("subscriptions", subscriptions));
        subscriptions.start();
        http.mount(SubscriptionApi.PATH, subscriptions.handler());
        DeliveryMetrics deliveryMetrics = DeliveryMetrics.bind(subscriptions.delivery()::figures, metrics);
        beforeScrape.add(deliveryMetrics::refresh);
        health.part("delivery", () -> PlatformParts.delivery(subscriptions.delivery().running(),
                subscriptions.delivery().figures()));
        addresses.put("Subscriptions", base + SubscriptionApi.PATH);
        // one FHIR R4 server: the gateway's writes, the read API over the timeline, FHIR subscriptions
        CapabilityStatement fhirCapabilities = FhirR4Routes.capabilities(fhirWrites);
        FhirSubscriptionApi.describe(fhirCapabilities);
        http.mount(FHIR_PATH, new FhirR4Routes(fhirWrites, fhirReads, subscriptions.fhirHandler(), fhirCapabilities),
                new FhirRequestMetrics(metrics, fhirCapabilities)::around);
        addresses.put("FHIR R4", base + FHIR_PATH + "/metadata");

        // the front door stops first: no new requests while the services behind it stop
        running.push(Stop.service("HTTP", http));
        http.start();
        httpBase = base;
        addresses.put("Health", base + "/health" + (http.healthPort() > 0
                ? " (and http://" + settings.httpHost() + ":" + http.healthPort() + "/health/live, /health/ready)" : ""));
        addresses.put("Metrics", base + "/metrics");
        // each part of /health as a gauge, for alert rules (broker down, stream processor unhealthy ...)
        for (String part : health.partNames()) {
            io.micrometer.core.instrument.Gauge.builder(org.caretrail.events.metrics.CareMetrics.HEALTH_UP, health,
                            h -> java.util.Optional.ofNullable(h.parts().get(part)).map(st -> st.up() ? 1.0 : 0.0)
                                    .orElse(Double.NaN))
                    .tag(org.caretrail.events.metrics.CareMetrics.PART, part)
                    .description("1 while this part of /health is UP").register(metrics);
        }

        if (settings.simulatedPatients() > 0) {
            startSimulator(progress);
        }
    }

    private void startSimulator(ProgressListener progress) {
        progress.step(String.format("starting the simulator: %,d synthetic patients at %.0f events/s (seed %d)",
                settings.simulatedPatients(), settings.simulationRate(), settings.seed()));
        CarePublisher publisher = CarePublisher.connect(kafka.as(CarePrincipal.ADAPTERS), topics, "caretrail-simulator");
        running.push(Stop.service("simulator's publisher", publisher));
        PopulationSimulator population = new PopulationSimulator(settings.seed(), settings.simulatedPatients(),
                Clock.systemUTC());
        EventSink sink = SimulatorRoutes.through(EventSink.publisher(publisher), settings.httpHost(), mllpPort,
                URI.create(httpBase + FHIR_PATH), settings.apiAccess().authorization().orElse(null));
        running.push(Stop.service("simulator's routes", sink::close));
        SimulationRunner runner = new SimulationRunner(sink,
                SimulationRunner.Settings.rate(settings.simulationRate()), simulatorLog);
        CompletableFuture<SimulationRunner.Result> done = runner.start(population.events());
        running.push(Stop.service("simulator", () -> {
            runner.stop();
            done.join();
        }));
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

    /** How {@code principal} connects to this platform's Kafka (TLS and SCRAM when it is secured). */
    public org.caretrail.events.kafka.KafkaClientSettings kafka(CarePrincipal principal) {
        return kafka.as(principal);
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

    /** The platform's health, part by part (what {@code /health} reports). */
    public Health health() {
        return health;
    }

    /** The embedded single broker, if this platform started one (failure tests kill it). */
    public java.util.Optional<EmbeddedKafkaBroker> embeddedBroker() {
        return java.util.Optional.ofNullable(broker);
    }

    /**
     * Stops everything in reverse order of starting: the simulator, the HTTP front door, the adapters,
     * subscriptions and the stream processor, then the registry, then the broker. The services together
     * get {@link #SERVICES_STOP_BUDGET} (the stream processor at least {@link #TIMELINE_STOP_BUDGET} of its own):
     * one that does not stop in its share (e.g. a producer waiting for
     * a broker that has gone) is left behind with a warning, so a stop always finishes in seconds. The
     * children get SIGTERM, and SIGKILL when they do not exit in time.
     */
    @Override
    public void close() {
        long deadline = System.nanoTime() + SERVICES_STOP_BUDGET.toNanos();
        while (!running.isEmpty()) {
            Stop stop = running.pop();
            if (stop.child()) {
                stop(stop, null);
            } else {
                long left = Math.max(Duration.ofSeconds(1).toNanos(), deadline - System.nanoTime());
                stop(stop, Duration.ofNanos(Math.max(left, stop.reserved().toNanos())));
            }
        }
        health.close();
    }

    private static void stop(Stop stop, Duration budget) {
        if (budget == null) {
            closeQuietly(stop);
            return;
        }
        Thread closer = new Thread(() -> closeQuietly(stop), "stop-" + stop.name());
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(budget.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closer.isAlive()) {
            LOG.warn("the {} did not stop within {} s; going on without waiting for it", stop.name(),
                    String.format("%.1f", budget.toMillis() / 1000.0));
        }
    }

    private static void closeQuietly(Stop stop) {
        try {
            stop.what().close();
        } catch (Exception e) {
            LOG.warn("error stopping the {}: {}", stop.name(), e.toString());
        }
    }

    /**
     * Something to stop: a service in this JVM (bounded wait: the services' shared budget, or at least
     * {@code reserved}) or a child process (bounded by itself).
     */
    private record Stop(String name, AutoCloseable what, boolean child, Duration reserved) {
        static Stop service(String name, AutoCloseable what) {
            return new Stop(name, what, false, Duration.ZERO);
        }

        static Stop service(String name, AutoCloseable what, Duration reserved) {
            return new Stop(name, what, false, reserved);
        }

        static Stop child(String name, AutoCloseable what) {
            return new Stop(name, what, true, Duration.ZERO);
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
