package org.caretrail.deploy;

import java.nio.file.Path;
import org.caretrail.deploy.http.HttpLimits;

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
