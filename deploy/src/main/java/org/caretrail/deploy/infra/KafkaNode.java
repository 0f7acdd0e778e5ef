package org.caretrail.deploy.infra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.caretrail.events.kafka.KafkaClientSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One KRaft node (broker and controller in one JVM, from Apache's own jars) in its own directory:
 * {@code server.properties}, the log segments under {@code kafka/}, its output in
 * {@code logs/<name>.log}. Formatted once; started again with the same ports and data after a crash.
 */
final class KafkaNode implements Supervisor.Child {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaNode.class);

    private final String name;
    private final String displayName;
    private final KafkaNodeConfig config;
    private final Path dir;
    private final Path logDir;
    private final String classpath;
    private final String heap;
    private KafkaClientSettings readiness;
    private volatile ChildProcess process;

    KafkaNode(String name, String displayName, KafkaNodeConfig config, Path dir, Path logDir, String classpath,
            String heap) {
        this.name = name;
        this.displayName = displayName;
        this.config = config;
        this.dir = dir.toAbsolutePath();
        this.logDir = logDir;
        this.classpath = classpath;
        this.heap = heap;
        this.readiness = KafkaClientSettings.plaintext(bootstrapServers());
    }

    /**
     * How {@link #awaitReady} connects: on a secured node, as the broker itself (mutual TLS) on its internal
     * listener, since no SCRAM credential exists before the first start.
     */
    KafkaNode readyCheckedWith(KafkaClientSettings settings) {
        this.readiness = settings;
        return this;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** A new cluster id, as Kafka's storage tool makes them. */
    static String newClusterId(String classpath) throws IOException {
        return ChildProcess.run(List.of(java(), "-cp", classpath, "kafka.tools.StorageTool", "random-uuid"),
                Duration.ofSeconds(60)).lines().reduce((a, b) -> b).orElseThrow().trim();
    }

    /** Writes the config; formats the log directory the first time (with {@code clusterId}). */
    void prepare(String clusterId) throws IOException {
        PrivateFiles.directory(dir);
        PrivateFiles.directory(logDir);
        Path properties = dir.resolve("server.properties");
        config.writeTo(properties);
        if (!Files.exists(logDir.resolve("meta.properties"))) {
            List<String> format = new ArrayList<>(List.of(java(), "-cp", classpath, "kafka.tools.StorageTool", "format",
                    "-t", clusterId, "-c", properties.toString()));
            if (!config.staticQuorum()) {
                format.add("--standalone");
            }
            ChildProcess.run(format, Duration.ofSeconds(60));
            LOG.info("formatted a new Kafka data directory {} (cluster {})", logDir, clusterId);
        }
    }

    /** Starts the JVM (returns at once; see {@link #awaitReady}). */
    void launch() throws IOException {
        List<String> command = new ArrayList<>(List.of(java(), "-Xms" + (heap.equals("1g") ? "256m" : "128m"),
                "-Xmx" + heap, "-XX:+UseG1GC",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classpath, "kafka.Kafka",
                dir.resolve("server.properties").toString()));
        process = ChildProcess.start(name, command, dir, dir.resolve("logs").resolve(name + ".log"));
    }

    /** Waits until this node answers clients on its own port. */
    void awaitReady(Duration timeout) throws IOException {
        Instant deadline = Instant.now().plus(timeout);
        Map<String, Object> admin = readiness.config(Map.of(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000));
        ChildProcess p = process;
        while (Instant.now().isBefore(deadline)) {
            if (!p.isAlive()) {
                throw new IOException("the " + displayName + " exited during start-up; its log " + p.logFile()
                        + " ends:\n" + p.tail(30));
            }
            if (Ports.listening("localhost", config.clientPort()) && Ports.listening("localhost", config.brokerPort())) {
                try (Admin a = Admin.create(admin)) {
                    a.describeCluster().nodes().get(3, TimeUnit.SECONDS);
                    LOG.info("{} ready on localhost:{} (pid {})", displayName, config.clientPort(), p.pid());
                    return;
                } catch (Exception e) {
                    LOG.debug("{} not ready yet: {}", name, e.toString());
                }
            }
            sleep(200);
        }
        throw new IOException("the " + displayName + " did not become ready within " + timeout + "; log "
                + p.logFile() + " ends:\n" + p.tail(30));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    String bootstrapServers() {
        return "localhost:" + config.clientPort();
    }

    /** The brokers' own listener (mutual TLS on a secured node; the client listener otherwise). */
    String internalBootstrapServers() {
        return "localhost:" + config.brokerPort();
    }

    int nodeId() {
        return config.nodeId();
    }

    @Override
    public String name() {
        return displayName;
    }

    @Override
    public long pid() {
        return process.pid();
    }

    Path logFile() {
        return process.logFile();
    }

    boolean isAlive() {
        ChildProcess p = process;
        return p != null && p.isAlive();
    }

    @Override
    public CompletableFuture<Integer> onExit() {
        ChildProcess p = process;
        return p.onExit().thenApply(Process::exitValue);
    }

    /** Starts it again with the same config and data, and waits until it serves. */
    @Override
    public void restart(Duration timeout) throws IOException {
        ChildProcess old = process;
        if (old != null && old.isAlive()) {
            old.close();
        }
        launch();
        awaitReady(timeout);
    }

    /** SIGKILL, no clean shutdown: for failure tests. */
    void kill() {
        process.kill();
    }

    @Override
    public void close() {
        ChildProcess p = process;
        if (p != null) {
            p.close();
        }
    }
}
