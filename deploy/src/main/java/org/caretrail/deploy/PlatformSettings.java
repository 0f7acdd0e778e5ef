package org.caretrail.deploy;

import java.nio.file.Path;
import java.util.List;
import org.caretrail.deploy.http.HttpLimits;
import org.caretrail.events.settings.Setting;

/**
 * What {@code caretrail up} runs and where. A null {@code bootstrapServers} or
 * {@code schemaRegistryUrl} means: start the embedded one. {@code apiAccess} says who may call the
 * HTTP APIs (null: no token, so HTTP must stay on loopback); {@code advertisedHttpHost} is where other
 * instances reach this one's HTTP (null: see {@link #advertisedDefault}).
 *
 * @param brokers embedded brokers: 1 (default) or a local cluster of 3 or more (ports
 *     {@code kafkaPort} and the ones after it)
 * @param healthPort the port serving only health and metrics (0: a free one, -1: none)
 * @param httpLimits the limits of the HTTP front door (null: {@link HttpLimits#defaults()})
 * @param allowUnsafeReplication {@code --i-know}: apply topics to a cluster even with a replication that
 *     loses acknowledged writes with one broker
 * @param timelineStandbyReplicas warm copies of the stream processor's state on other instances
 * @param kafkaSecurityDir Kafka's TLS and SASL/SCRAM files ({@code KafkaSecurity}); null: Kafka not secured.
 *     With embedded brokers they are made there when missing and the brokers are secured; with
 *     {@code bootstrapServers} the operator provides them for the cluster named
 */
public record PlatformSettings(
        Path dataDir,
        String bootstrapServers,
        String schemaRegistryUrl,
        int kafkaPort,
        int registryPort,
        String httpHost,
        int httpPort,
        int mllpPort,
        Path registryHome,
        String brokerClasspath,
        int simulatedPatients,
        double simulationRate,
        long seed,
        org.caretrail.deploy.http.ApiAccess apiAccess,
        String advertisedHttpHost,
        int brokers,
        int healthPort,
        HttpLimits httpLimits,
        boolean allowUnsafeReplication,
        int timelineStandbyReplicas,
        Path kafkaSecurityDir) {

    public static final int DEFAULT_KAFKA_PORT = 9092;
    public static final int DEFAULT_REGISTRY_PORT = 8081;
    public static final int DEFAULT_HTTP_PORT = 8080;
    public static final int DEFAULT_MLLP_PORT = 2575;
    public static final int DEFAULT_HEALTH_PORT = 8090;

    private static Setting<Integer> port(String name, int defaultValue, String doc) {
        return Setting.integer(name, defaultValue, doc).between(0, 65535);
    }

    /* The settings of caretrail up (their command-line options are up's own: --data-dir, --kafka-port ...). */
    public static final Setting<Path> DATA_DIR = Setting.path("up.data-dir", Path.of("data"),
            "Where the broker, registry, stream processor state, keys and logs live (kept across restarts).");
    public static final Setting<String> BOOTSTRAP_SERVERS = Setting.text("up.bootstrap-servers", "",
            "Kafka cluster to use, host:port[,...]; empty: start the embedded broker(s).");
    public static final Setting<String> SCHEMA_REGISTRY_URL = Setting.text("up.schema-registry-url", "",
            "Confluent-compatible schema registry to use; empty: start the embedded one.");
    public static final Setting<Integer> KAFKA_PORT = port("up.kafka-port", DEFAULT_KAFKA_PORT,
            "Embedded broker port (a local cluster uses the ports after it too).");
    public static final Setting<Integer> REGISTRY_PORT = port("up.registry-port", DEFAULT_REGISTRY_PORT,
            "Embedded schema registry port.");
    public static final Setting<String> HTTP_HOST = Setting.text("up.http-host", "127.0.0.1",
            "Bind address of HTTP (API, FHIR, web view) and MLLP; beyond loopback the API needs its token.")
            .checkedBy(v -> v.isBlank() ? "must not be blank" : null);
    public static final Setting<Integer> HTTP_PORT = port("up.http-port", DEFAULT_HTTP_PORT,
            "HTTP port: API, FHIR, web view, health, metrics.");
    public static final Setting<Integer> MLLP_PORT = port("up.mllp-port", DEFAULT_MLLP_PORT, "HL7v2 MLLP port.");
    public static final Setting<Integer> HEALTH_PORT = Setting.integer("up.health-port", DEFAULT_HEALTH_PORT,
            "Port serving only health and metrics, with its own threads (0: any free port, -1: none).")
            .between(-1, 65535);
    public static final Setting<String> ADVERTISED_HTTP_HOST = Setting.text("up.advertised-http-host", "",
            "Where other CareTrail instances reach this one's HTTP (empty: up.http-host, or this machine's name when "
                    + "that is 0.0.0.0).");
    public static final Setting<Integer> PEER_PORT = port("up.peer-port", 0,
            "Port where other CareTrail instances forward reads for the patients this one holds: HTTPS, mutual TLS "
                    + "from the peer secret, advertised in Kafka's metadata (0: any free port).");
    public static final Setting<Integer> BROKERS = Setting.integer("up.brokers", 1,
            "Embedded Kafka brokers: 1, or a local cluster of 3 or more.")
            .checkedBy(v -> v == 1 || v >= 3 && v <= 9 ? null : "must be 1 or 3..9");
    public static final Setting<Integer> PATIENTS = Setting.integer("up.patients", 20_000,
            "Synthetic patients the simulator follows; 0 turns it off.").between(0, 10_000_000);
    public static final Setting<Double> RATE = Setting.decimal("up.rate", 50.0, "Simulated events per second.")
            .checkedBy(v -> v >= 0 && v <= 1_000_000 ? null : "must be 0..1000000");
    public static final Setting<String> KAFKA_SECURITY_DIR = Setting.text("up.kafka-security-dir", "",
            "Kafka's TLS trust store and SCRAM passwords (empty: <data dir>/kafka-security for the embedded brokers).");

    /** The settings of {@code caretrail up} itself, in the order {@code caretrail config} lists them. */
    public static final List<Setting<?>> DEFINITIONS = List.of(DATA_DIR, BOOTSTRAP_SERVERS, SCHEMA_REGISTRY_URL,
            KAFKA_PORT, REGISTRY_PORT, HTTP_HOST, HTTP_PORT, MLLP_PORT, HEALTH_PORT, ADVERTISED_HTTP_HOST, PEER_PORT,
            BROKERS, PATIENTS, RATE, KAFKA_SECURITY_DIR, org.caretrail.deploy.infra.EmbeddedSchemaRegistry.JAVA);

    /** One embedded broker, no separate health port, default HTTP limits (as before these existed). */
    public PlatformSettings(Path dataDir, String bootstrapServers, String schemaRegistryUrl, int kafkaPort,
            int registryPort, String httpHost, int httpPort, int mllpPort, Path registryHome, String brokerClasspath,
            int simulatedPatients, double simulationRate, long seed, org.caretrail.deploy.http.ApiAccess apiAccess,
            String advertisedHttpHost) {
        this(dataDir, bootstrapServers, schemaRegistryUrl, kafkaPort, registryPort, httpHost, httpPort, mllpPort,
                registryHome, brokerClasspath, simulatedPatients, simulationRate, seed, apiAccess, advertisedHttpHost,
                1, -1, null, false, 0, null);
    }

    /** The same settings with Kafka secured by the files in {@code dir} (null: not secured). */
    public PlatformSettings withKafkaSecurity(Path dir) {
        return new PlatformSettings(dataDir, bootstrapServers, schemaRegistryUrl, kafkaPort, registryPort, httpHost,
                httpPort, mllpPort, registryHome, brokerClasspath, simulatedPatients, simulationRate, seed, apiAccess,
                advertisedHttpHost, brokers, healthPort, httpLimits, allowUnsafeReplication, timelineStandbyReplicas, dir);
    }

    public PlatformSettings {
        checkPort("kafka", kafkaPort);
        checkPort("registry", registryPort);
        checkPort("http", httpPort);
        checkPort("mllp", mllpPort);
        if (simulatedPatients < 0) {
            throw new IllegalArgumentException("simulated patients must not be negative");
        }
        if (simulationRate < 0) {
            throw new IllegalArgumentException("simulation rate must not be negative");
        }
        if (apiAccess == null) {
            apiAccess = org.caretrail.deploy.http.ApiAccess.open();
        }
        if (advertisedHttpHost == null || advertisedHttpHost.isBlank()) {
            advertisedHttpHost = advertisedDefault(httpHost);
        }
        if (brokers != 1 && brokers < 3) {
            throw new IllegalArgumentException("embedded brokers: 1, or a cluster of at least 3 (a cluster of 2 "
                    + "cannot keep 3 copies with 2 in sync), not " + brokers);
        }
        if (brokers > 1 && bootstrapServers != null) {
            throw new IllegalArgumentException("--brokers starts embedded brokers; it cannot be used with "
                    + "--bootstrap-servers");
        }
        if (healthPort < -1 || healthPort > 65535) {
            throw new IllegalArgumentException("health port " + healthPort + " is not -1 (none) or 0..65535");
        }
        if (httpLimits == null) {
            httpLimits = HttpLimits.defaults();
        }
        if (timelineStandbyReplicas < 0) {
            throw new IllegalArgumentException("standby replicas must not be negative");
        }
    }

    /**
     * Where other instances reach this one's HTTP (they forward timeline queries for the patients it
     * holds): the bind address, unless that is a wildcard, then this machine's host name.
     */
    static String advertisedDefault(String httpHost) {
        if (!"0.0.0.0".equals(httpHost) && !"::".equals(httpHost) && !"[::]".equals(httpHost)) {
            return httpHost;
        }
        try {
            return java.net.InetAddress.getLocalHost().getCanonicalHostName();
        } catch (java.net.UnknownHostException e) {
            return "localhost";
        }
    }

    private static void checkPort(String name, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(name + " port " + port + " is not between 0 and 65535");
        }
    }
}
