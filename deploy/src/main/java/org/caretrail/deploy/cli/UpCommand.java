package org.caretrail.deploy.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.caretrail.deploy.http.HttpLimits;
import org.caretrail.deploy.Platform;
import org.caretrail.deploy.PlatformSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Run the whole platform on this machine: an embedded Kafka broker (KRaft) and schema",
            "registry, topics, the timeline stream processor, the HTTP API, the HL7 MLLP and FHIR adapters,",
            "subscriptions, and the simulator feeding synthetic events. Ctrl-C stops it cleanly.",
            "Data is kept under --data-dir and survives restarts.",
            "",
            SettingsSources.ORDER,
            "Every setting, its value and where it came from: caretrail config (with the same --config)."})
final class UpCommand implements Callable<Integer> {

    // The options below that stand for settings (OPTION_SETTINGS) are read through settings(), where a given option
    // wins over the environment and --config; their fields only carry picocli's parsing and help.

    @Option(names = "--data-dir", defaultValue = "data", description = "Where the broker, registry and state live (default: ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
            description = "Use this Kafka cluster instead of starting the embedded broker")
    String bootstrapServers;

    @Option(names = "--schema-registry-url", paramLabel = "URL",
            description = "Use this Confluent-compatible registry instead of starting the embedded one")
    String schemaRegistryUrl;

    @Option(names = "--kafka-port", defaultValue = "" + PlatformSettings.DEFAULT_KAFKA_PORT, description = "Embedded broker port (default: ${DEFAULT-VALUE})")
    int kafkaPort;

    @Option(names = "--registry-port", defaultValue = "" + PlatformSettings.DEFAULT_REGISTRY_PORT, description = "Embedded registry port (default: ${DEFAULT-VALUE})")
    int registryPort;

    @Option(names = "--http-host", defaultValue = "127.0.0.1", description = "HTTP bind address (default: ${DEFAULT-VALUE}, loopback only)")
    String httpHost;

    @Option(names = "--http-port", defaultValue = "" + PlatformSettings.DEFAULT_HTTP_PORT, description = "HTTP port: API, FHIR, health, metrics (default: ${DEFAULT-VALUE})")
    int httpPort;

    @Option(names = "--mllp-port", defaultValue = "" + PlatformSettings.DEFAULT_MLLP_PORT, description = "HL7v2 MLLP port (default: ${DEFAULT-VALUE})")
    int mllpPort;

    @Option(names = "--patients", defaultValue = "20000", description = "Synthetic patients the simulator follows; 0 turns it off (default: ${DEFAULT-VALUE})")
    int patients;

    @Option(names = "--rate", defaultValue = "50", description = "Simulated events per second (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--advertised-http-host", paramLabel = "HOST",
            description = "Where other CareTrail instances reach this one's HTTP, to forward timeline queries for the "
                    + "patients it holds (default: --http-host, or this machine's name when that is 0.0.0.0)")
    String advertisedHttpHost;

    @Option(names = "--peer-port", defaultValue = "0", paramLabel = "PORT",
            description = "Port where other CareTrail instances forward reads for the patients this one holds: HTTPS "
                    + "with mutual TLS from the peer secret, never plain HTTP (default: any free port)")
    int peerPort;

    @picocli.CommandLine.Mixin
    AccessOptions access;

    @picocli.CommandLine.Mixin
    SettingsSources sources;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** up's own options that stand for settings: each is the command-line source of its setting. */
    static final Map<String, org.caretrail.events.settings.Setting<?>> OPTION_SETTINGS = Map.ofEntries(
            Map.entry("--data-dir", PlatformSettings.DATA_DIR),
            Map.entry("--bootstrap-servers", PlatformSettings.BOOTSTRAP_SERVERS),
            Map.entry("--schema-registry-url", PlatformSettings.SCHEMA_REGISTRY_URL),
            Map.entry("--kafka-port", PlatformSettings.KAFKA_PORT),
            Map.entry("--registry-port", PlatformSettings.REGISTRY_PORT),
            Map.entry("--http-host", PlatformSettings.HTTP_HOST),
            Map.entry("--http-port", PlatformSettings.HTTP_PORT),
            Map.entry("--mllp-port", PlatformSettings.MLLP_PORT),
            Map.entry("--health-port", PlatformSettings.HEALTH_PORT),
            Map.entry("--advertised-http-host", PlatformSettings.ADVERTISED_HTTP_HOST),
            Map.entry("--peer-port", PlatformSettings.PEER_PORT),
            Map.entry("--brokers", PlatformSettings.BROKERS),
            Map.entry("--patients", PlatformSettings.PATIENTS),
            Map.entry("--rate", PlatformSettings.RATE),
            Map.entry("--kafka-security-dir", PlatformSettings.KAFKA_SECURITY_DIR),
            Map.entry("--standby-replicas", org.caretrail.timeline.TimelineSettings.NUM_STANDBY_REPLICAS),
            Map.entry("--http-max-connections", HttpLimits.MAX_CONNECTIONS),
            Map.entry("--http-header-timeout", HttpLimits.HEADER_TIMEOUT),
            Map.entry("--http-idle-timeout", HttpLimits.IDLE_TIMEOUT),
            Map.entry("--http-min-body-rate", HttpLimits.MIN_BODY_RATE));

    /** Every setting resolved from up's options, --set, the environment and --config. */
    org.caretrail.events.settings.Settings settings() throws java.io.IOException {
        return sources.resolve(spec == null ? null : spec.commandLine().getParseResult(), OPTION_SETTINGS);
    }

    @Option(names = "--seed", description = "Simulator seed (default: a new one each start, so a restart adds new patients rather than resending)")
    Long seed;

    @Option(names = "--brokers", defaultValue = "1", description = "Embedded Kafka brokers: 1, or a local cluster of 3 "
            + "or more KRaft nodes on --kafka-port and the ports after it, topics at 3 copies with 2 in sync "
            + "(default: ${DEFAULT-VALUE})")
    int brokers;

    @Option(names = "--health-port", defaultValue = "" + PlatformSettings.DEFAULT_HEALTH_PORT,
            description = "Port serving only /health, /health/live, /health/ready and /metrics, with its own threads, "
                    + "for probes (0: any free port, -1: none; default: ${DEFAULT-VALUE})")
    int healthPort;

    @Option(names = "--i-know", description = "Apply topics to a cluster even with a replication that loses "
            + "acknowledged writes when one broker is lost (fewer than 3 copies or 2 in sync)")
    boolean iKnow;

    @Option(names = "--standby-replicas", defaultValue = "0", description = "Warm copies of the timeline state on "
            + "other CareTrail instances, for fast fail-over (default: ${DEFAULT-VALUE})")
    int standbyReplicas;

    @Option(names = "--http-max-connections", defaultValue = "" + HttpLimits.DEFAULT_MAX_CONNECTIONS,
            description = "Open HTTP connections at most; more wait to be accepted (default: ${DEFAULT-VALUE})")
    int httpMaxConnections;

    @Option(names = "--http-header-timeout", defaultValue = "PT10S", description = "Time a request's headers may "
            + "take from its first byte; a slower request is closed (default: ${DEFAULT-VALUE})")
    java.time.Duration httpHeaderTimeout;

    @Option(names = "--http-idle-timeout", defaultValue = "PT30S", description = "Time without a byte on an HTTP "
            + "connection before it is closed (default: ${DEFAULT-VALUE})")
    java.time.Duration httpIdleTimeout;

    @Option(names = "--http-min-body-rate", defaultValue = "" + HttpLimits.DEFAULT_MIN_BODY_RATE,
            description = "Bytes per second a request body must average after its first 5 s; a slower upload is "
                    + "closed (0: off; default: ${DEFAULT-VALUE})")
    long httpMinBodyRate;

    @Option(names = "--no-kafka-security", description = "Run the embedded Kafka without TLS, SASL and ACLs: every "
            + "user of this machine can then read and write every topic on the Kafka port (a throw-away demo only)")
    boolean noKafkaSecurity;

    @Option(names = "--kafka-security-dir", paramLabel = "DIR", description = "Kafka's TLS trust store and the "
            + "components' SCRAM passwords (default: <data-dir>/kafka-security, made on first start for the embedded "
            + "brokers; with --bootstrap-servers, give it to connect to a secured cluster)")
    Path kafkaSecurityDir;

    /** Where Kafka's security files are, or null when Kafka is not secured (from the resolved settings). */
    Path kafkaSecurity() {
        org.caretrail.events.settings.Settings s;
        try {
            s = settings();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return kafkaSecurity(s.get(PlatformSettings.DATA_DIR).toAbsolutePath(),
                emptyAsNull(s.get(PlatformSettings.BOOTSTRAP_SERVERS)), s.get(PlatformSettings.KAFKA_SECURITY_DIR));
    }

    /** Where Kafka's security files are, or null when Kafka is not secured. */
    Path kafkaSecurity(Path dataDir, String bootstrapServers, String securityDir) {
        if (noKafkaSecurity) {
            if (!securityDir.isEmpty()) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                        "--no-kafka-security and --kafka-security-dir contradict each other");
            }
            return null;
        }
        if (!securityDir.isEmpty()) {
            return Path.of(securityDir).toAbsolutePath();
        }
        return bootstrapServers == null ? dataDir.toAbsolutePath().resolve("kafka-security") : null;
    }

    /**
     * The platform this command runs, built from its options, --set, the environment and --config exactly as
     * {@link #call()} runs it, not yet started; {@code console} is told where the API token is (and warned of
     * --no-auth and --no-kafka-security). A bad setting fails here, before anything starts.
     */
    Platform platform(java.io.PrintStream console) throws Exception {
        org.caretrail.events.settings.Settings s = settings();
        Path dataDir = s.get(PlatformSettings.DATA_DIR).toAbsolutePath();
        String bootstrapServers = emptyAsNull(s.get(PlatformSettings.BOOTSTRAP_SERVERS));
        int kafkaPort = s.get(PlatformSettings.KAFKA_PORT);
        if (s.source(org.caretrail.events.kafka.DurableProducer.COMPRESSION)
                != org.caretrail.events.settings.SettingSource.DEFAULT
                && System.getProperty(org.caretrail.events.kafka.DurableProducer.COMPRESSION_PROPERTY) == null) {
            // every producer of this process reads it there (DurableProducer.compression), the stream processor's too
            System.setProperty(org.caretrail.events.kafka.DurableProducer.COMPRESSION_PROPERTY,
                    s.get(org.caretrail.events.kafka.DurableProducer.COMPRESSION));
        }
        PlatformSettings settings = new PlatformSettings(dataDir, bootstrapServers,
                emptyAsNull(s.get(PlatformSettings.SCHEMA_REGISTRY_URL)), kafkaPort,
                s.get(PlatformSettings.REGISTRY_PORT), s.get(PlatformSettings.HTTP_HOST),
                s.get(PlatformSettings.HTTP_PORT), s.get(PlatformSettings.MLLP_PORT), Launch.registryHome(),
                Launch.classpath(), s.get(PlatformSettings.PATIENTS), s.get(PlatformSettings.RATE),
                seed != null ? seed : new java.util.Random().nextInt(1_000_000),
                access.build(dataDir, console, s), emptyAsNull(s.get(PlatformSettings.ADVERTISED_HTTP_HOST)),
                s.get(PlatformSettings.BROKERS), s.get(PlatformSettings.HEALTH_PORT), HttpLimits.from(s), iKnow,
                s.get(org.caretrail.timeline.TimelineSettings.NUM_STANDBY_REPLICAS),
                kafkaSecurity(dataDir, bootstrapServers, s.get(PlatformSettings.KAFKA_SECURITY_DIR)));
        if (noKafkaSecurity) {
            console.println("WARNING: --no-kafka-security: Kafka on localhost:" + kafkaPort + " has no TLS, no "
                    + "authentication and no ACLs; every user of this machine can read and write every patient's events.");
        }
        return new Platform(settings).configuredBy(s);
    }

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicReference<String> fatal = new AtomicReference<>();
        Platform platform = platform(System.out).onFatal(reason -> {
            // a child kept dying: stop with that reason (the shutdown hook stops everything in order)
            if (fatal.compareAndSet(null, reason)) {
                stopped.countDown();
            }
        });
        // where operators (and tests) find this platform's own process: beside its children's pid files
        java.nio.file.Path pidFile = org.caretrail.deploy.infra.PrivateFiles.write(
                platform.settings().dataDir().resolve("logs").resolve("caretrail.pid"),
                Long.toString(ProcessHandle.current().pid()));
        Thread hook = new Thread(() -> {
            long stopping = System.nanoTime();
            System.out.println();
            System.out.println("Stopping CareTrail...");
            System.out.flush();
            platform.close();
            try {
                java.nio.file.Files.deleteIfExists(pidFile);
            } catch (java.io.IOException e) {
                System.err.println("caretrail: cannot delete " + pidFile + ": " + e.getMessage());
            }
            System.out.printf("Stopped (%.1f s).%n", (System.nanoTime() - stopping) / 1e9);
            System.out.flush();
            stopped.countDown();
        }, "caretrail-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            platform.start(step -> System.out.println("  " + step + "..."));
        } catch (Exception e) {
            Runtime.getRuntime().removeShutdownHook(hook);
            throw e;
        }
        System.out.printf("%nCareTrail is up (%.1f s). Ctrl-C to stop.%n", (System.nanoTime() - started) / 1e9);
        for (Map.Entry<String, String> a : platform.addresses().entrySet()) {
            System.out.printf("  %-18s %s%n", a.getKey(), a.getValue());
        }
        System.out.printf("  %-18s %s%n", "API token", access.summary());
        System.out.flush();
        stopped.await();
        if (fatal.get() != null) {
            System.err.println("caretrail: " + fatal.get() + "; stopping.");
            return 1; // System.exit runs the shutdown hook, which stops the rest in order
        }
        return 0;
    }

    private static String emptyAsNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
