package org.caretrail.deploy.infra;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.caretrail.events.topic.Replication;

/**
 * A one-node Apache Kafka broker in KRaft mode (broker and controller in one process), run as a
 * child JVM from Apache's own jars. Its data directory is formatted once and survives restarts.
 * Listens on loopback only. {@link #node()} lets a {@link Supervisor} start it again after a crash.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private final KafkaNode node;

    private EmbeddedKafkaBroker(KafkaNode node) {
        this.node = node;
    }

    /**
     * Starts the broker and waits until it answers.
     *
     * @param dataDir where the log segments ({@code kafka/}), config and the broker's log file live
     * @param port the client port (9092 by default); the controller takes a free port
     * @param classpath a classpath holding {@code org.apache.kafka:kafka_2.13}
     */
    public static EmbeddedKafkaBroker start(Path dataDir, int port, String classpath, Duration timeout)
            throws IOException {
        return start(dataDir, port, classpath, timeout, null);
    }

    /**
     * The same, secured with {@code security} (null: not secured): clients on {@code port} authenticate with
     * SASL/SCRAM over TLS, the broker's own traffic uses mutual TLS on another free port, ACLs are enforced.
     * The first start sets the operator's SCRAM credential (as the broker itself); apply the principals and
     * ACLs ({@link PrincipalsApplier}) as the operator before other clients connect.
     */
    public static EmbeddedKafkaBroker start(Path dataDir, int port, String classpath, Duration timeout,
            KafkaSecurity security) throws IOException {
        ChildProcess.stopStale("kafka", dataDir.toAbsolutePath().resolve("logs/kafka.log"));
        if (Ports.listening("localhost", port)) {
            throw new IOException("port " + port + " is already in use: is another broker running? "
                    + "Use --kafka-port to choose another or --bootstrap-servers to use it");
        }
        dataDir = PrivateFiles.directory(dataDir.toAbsolutePath());
        Path logDir = dataDir.resolve("kafka");
        KafkaNodeConfig config = KafkaNodeConfig.node(1, port, Ports.free(), logDir, Replication.SINGLE_BROKER);
        if (security != null) {
            security.secure(config, 1, Ports.free());
        }
        KafkaNode node = new KafkaNode("kafka", "Kafka broker", config, dataDir, logDir, classpath, "1g");
        if (security != null) {
            node.readyCheckedWith(security.broker(node.internalBootstrapServers(), 1));
        }
        node.prepare(java.nio.file.Files.exists(logDir.resolve("meta.properties")) ? null
                : KafkaNode.newClusterId(classpath));
        node.launch();
        try {
            node.awaitReady(timeout);
            if (security != null) {
                PrincipalsApplier.bootstrapOperator(security.broker(node.internalBootstrapServers(), 1),
                        security.client(node.bootstrapServers(), org.caretrail.events.topic.CarePrincipal.ADMIN),
                        security, timeout);
            }
        } catch (IOException | RuntimeException e) {
            node.close();
            throw e;
        }
        return new EmbeddedKafkaBroker(node);
    }

    public String bootstrapServers() {
        return node.bootstrapServers();
    }

    public long pid() {
        return node.pid();
    }

    public Path logFile() {
        return node.logFile();
    }

    /** The broker as a child a {@link Supervisor} can watch and start again. */
    public Supervisor.Child node() {
        return node;
    }

    /** SIGKILL, no clean shutdown: for failure tests. */
    public void kill() {
        node.kill();
    }

    @Override
    public void close() {
        node.close();
    }
}
