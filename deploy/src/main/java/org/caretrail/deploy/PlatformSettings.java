package org.caretrail.deploy;

import java.nio.file.Path;

/**
 * What {@code caretrail up} runs and where. A null {@code bootstrapServers} or
 * {@code schemaRegistryUrl} means: start the embedded one. {@code apiAccess} says who may call the
 * HTTP APIs (null: no token, so HTTP must stay on loopback); {@code advertisedHttpHost} is where other
 * instances reach this one's HTTP (null: see {@link #advertisedDefault}).
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
        String advertisedHttpHost) {

    public static final int DEFAULT_KAFKA_PORT = 9092;
    public static final int DEFAULT_REGISTRY_PORT = 8081;
    public static final int DEFAULT_HTTP_PORT = 8080;
    public static final int DEFAULT_MLLP_PORT = 2575;

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
