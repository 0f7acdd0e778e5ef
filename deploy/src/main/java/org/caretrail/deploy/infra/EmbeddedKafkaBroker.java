package org.caretrail.deploy.infra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A one-node Apache Kafka broker in KRaft mode (broker and controller in one process), run as a
 * child JVM from Apache's own jars. Its data directory is formatted once and survives restarts.
 * Listens on loopback only.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

    private final int port;
    private final ChildProcess process;

    private EmbeddedKafkaBroker(int port, ChildProcess process) {
        this.port = port;
        this.process = process;
    }

    /**
     * Starts the broker and waits until it answers.
     *
     * @param dataDir where the log segments, metadata and the broker's log file live
     * @param port the client port (9092 by default); the controller takes a free port
     * @param classpath a classpath holding {@code org.apache.kafka:kafka_2.13}
     */
    public static EmbeddedKafkaBroker start(Path dataDir, int port, String classpath, Duration timeout)
            throws IOException {
        if (Ports.listening("localhost", port)) {
            throw new IOException("port " + port + " is already in use: is another broker running? "
                    + "Use --kafka-port to choose another or --bootstrap-servers to use it");
        }
        Path logDir = dataDir.resolve("kafka");
        Files.createDirectories(logDir);
        int controllerPort = Ports.free();
        dataDir = dataDir.toAbsolutePath();
        Path config = dataDir.resolve("server.properties");
        writeConfig(config, logDir, port, controllerPort);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        if (!Files.exists(logDir.resolve("meta.properties"))) {
            String clusterId = ChildProcess.run(List.of(java, "-cp", classpath, "kafka.tools.StorageTool", "random-uuid"),
                    Duration.ofSeconds(60)).lines().reduce((a, b) -> b).orElseThrow().trim();
            ChildProcess.run(List.of(java, "-cp", classpath, "kafka.tools.StorageTool", "format", "-t", clusterId,
                    "-c", config.toString(), "--standalone"), Duration.ofSeconds(60));
            LOG.info("formatted a new Kafka data directory {} (cluster {})", logDir, clusterId);
        }
        List<String> command = new ArrayList<>(List.of(java, "-Xms256m", "-Xmx1g", "-XX:+UseG1GC",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classpath, "kafka.Kafka", config.toString()));
        ChildProcess process = ChildProcess.start("kafka", command, dataDir, dataDir.resolve("logs/kafka.log"));
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(port, process);
        try {
            broker.awaitReady(timeout);
        } catch (IOException | RuntimeException e) {
            broker.close();
            throw e;
        }
        return broker;
    }

    private static void writeConfig(Path file, Path logDir, int port, int controllerPort) throws IOException {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.bootstrap.servers", "localhost:" + controllerPort);
        p.put("listeners", "PLAINTEXT://localhost:" + port + ",CONTROLLER://localhost:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://localhost:" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
        p.put("log.dirs", logDir.toAbsolutePath().toString());
        p.put("num.partitions", "3");
        // one node: every internal topic has one replica
        for (String key : List.of("offsets.topic.replication.factor", "transaction.state.log.replication.factor",
                "transaction.state.log.min.isr", "share.coordinator.state.topic.replication.factor",
                "share.coordinator.state.topic.min.isr", "default.replication.factor", "min.insync.replicas")) {
            p.put(key, "1");
        }
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "false");
        try (var out = Files.newBufferedWriter(file)) {
            p.store(out, "written by caretrail on each start");
        }
    }

    private void awaitReady(Duration timeout) throws IOException {
        Instant deadline = Instant.now().plus(timeout);
        Map<String, Object> config = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IOException("the Kafka broker exited during start-up; its log " + process.logFile()
                        + " ends:\n" + process.tail(30));
            }
            if (Ports.listening("localhost", port)) {
                try (Admin admin = Admin.create(config)) {
                    admin.describeCluster().nodes().get(3, TimeUnit.SECONDS);
                    LOG.info("Kafka broker ready on localhost:{} (pid {})", port, process.pid());
                    return;
                } catch (Exception e) {
                    LOG.debug("broker not ready yet: {}", e.toString());
                }
            }
            sleep(200);
        }
        throw new IOException("the Kafka broker did not become ready within " + timeout + "; log " + process.logFile()
                + " ends:\n" + process.tail(30));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public String bootstrapServers() {
        return "localhost:" + port;
    }

    public long pid() {
        return process.pid();
    }

    public Path logFile() {
        return process.logFile();
    }

    /** SIGKILL, no clean shutdown: for failure tests. */
    public void kill() {
        process.kill();
    }

    @Override
    public void close() {
        process.close();
    }
}
