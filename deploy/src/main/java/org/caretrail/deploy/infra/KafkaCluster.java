package org.caretrail.deploy.infra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.caretrail.events.topic.Replication;

/**
 * A local Kafka cluster of three (or more) KRaft nodes, each its own JVM from Apache's jars, on
 * loopback: what {@code caretrail up --brokers 3} runs, and what the cluster tests kill brokers of.
 *
 * <p>Each node is <b>combined</b> (broker and controller in one process), so three JVMs give both three
 * brokers and a controller quorum of three (static voters): the quorum and the data each survive the
 * loss of any one node. Separate controllers (three controllers plus three brokers) are what Apache
 * recommends for production, where a broker's load must not slow the quorum; on one machine with two
 * cores six JVMs would cost twice the memory and start-up for no extra fault tolerance against the
 * faults tested here (one node killed). Internal topics and topics created without an explicit
 * replication get 3 copies with 2 in sync; unclean leader election is off.
 *
 * <p>Layout under the data directory: {@code cluster/node-N/} with {@code server.properties},
 * {@code kafka/} (segments) and {@code logs/kafka-N.log}.
 */
public final class KafkaCluster implements AutoCloseable {

    private final Map<Integer, KafkaNode> nodes;

    private KafkaCluster(Map<Integer, KafkaNode> nodes) {
        this.nodes = nodes;
    }

    /**
     * Starts {@code brokers} nodes (at least 3) on client ports {@code firstPort}, {@code firstPort + 1},
     * ... (or free ports when {@code firstPort} is 0) and waits until each serves.
     */
    public static KafkaCluster start(Path dataDir, int brokers, int firstPort, String classpath, Duration timeout)
            throws IOException {
        return start(dataDir, brokers, firstPort, classpath, timeout, null);
    }

    /**
     * The same, secured with {@code security} (null: not secured): see {@link KafkaNodeConfig#secured}. The
     * first start sets the operator's SCRAM credential (as a broker); apply the principals and ACLs
     * ({@link PrincipalsApplier}) as the operator before other clients connect.
     */
    public static KafkaCluster start(Path dataDir, int brokers, int firstPort, String classpath, Duration timeout,
            KafkaSecurity security) throws IOException {
        if (brokers < 3) {
            throw new IllegalArgumentException("a cluster that survives a broker's loss needs at least 3 brokers, not "
                    + brokers);
        }
        Path root = PrivateFiles.directory(PrivateFiles.directory(dataDir.toAbsolutePath()).resolve("cluster"));
        Map<Integer, Integer> clientPorts = new LinkedHashMap<>();
        Map<Integer, Integer> controllerPorts = new LinkedHashMap<>();
        for (int id = 1; id <= brokers; id++) {
            ChildProcess.stopStale("kafka-" + id, root.resolve("node-" + id).resolve("logs/kafka-" + id + ".log"));
        }
        for (int id = 1; id <= brokers; id++) {
            int port = firstPort == 0 ? Ports.free() : firstPort + id - 1;
            if (Ports.listening("localhost", port)) {
                throw new IOException("port " + port + " (broker " + id + ") is already in use: choose other ports "
                        + "with --kafka-port (brokers use it and the " + (brokers - 1) + " after it)");
            }
            clientPorts.put(id, port);
            controllerPorts.put(id, Ports.free());
        }
        Map<Integer, KafkaNode> nodes = new LinkedHashMap<>();
        String clusterId = null;
        for (int id = 1; id <= brokers; id++) {
            Path dir = root.resolve("node-" + id);
            KafkaNodeConfig config = KafkaNodeConfig.node(id, clientPorts.get(id), controllerPorts.get(id),
                    dir.resolve("kafka"), Replication.CLUSTER).voters(controllerPorts);
            if (clusterId == null && !Files.exists(dir.resolve("kafka/meta.properties"))) {
                clusterId = existingClusterId(root, brokers).orElse(KafkaNode.newClusterId(classpath));
            }
            if (security != null) {
                security.secure(config, id, Ports.free());
            }
            KafkaNode node = new KafkaNode("kafka-" + id, "Kafka broker " + id, config, dir, dir.resolve("kafka"),
                    classpath, "512m");
            if (security != null) {
                node.readyCheckedWith(security.broker(node.internalBootstrapServers(), id));
            }
            nodes.put(id, node);
        }
        KafkaCluster cluster = new KafkaCluster(nodes);
        try {
            for (KafkaNode node : nodes.values()) {
                node.prepare(clusterId);
                node.launch();
            }
            for (KafkaNode node : nodes.values()) {
                node.awaitReady(timeout);
            }
            if (security != null) {
                KafkaNode first = nodes.values().iterator().next();
                PrincipalsApplier.bootstrapOperator(security.broker(first.internalBootstrapServers(), first.nodeId()),
                        security.client(cluster.bootstrapServers(), org.caretrail.events.topic.CarePrincipal.ADMIN),
                        security, timeout);
            }
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /** The cluster id of nodes formatted before (a node's directory lost must rejoin the same cluster). */
    private static java.util.Optional<String> existingClusterId(Path root, int brokers) throws IOException {
        for (int id = 1; id <= brokers; id++) {
            Path meta = root.resolve("node-" + id).resolve("kafka/meta.properties");
            if (Files.exists(meta)) {
                java.util.Properties p = new java.util.Properties();
                try (var in = Files.newBufferedReader(meta)) {
                    p.load(in);
                }
                return java.util.Optional.ofNullable(p.getProperty("cluster.id"));
            }
        }
        return java.util.Optional.empty();
    }

    public String bootstrapServers() {
        return nodes.values().stream().map(KafkaNode::bootstrapServers).collect(Collectors.joining(","));
    }

    /** Node ids, 1..N. */
    public List<Integer> nodeIds() {
        return List.copyOf(nodes.keySet());
    }

    /** The nodes as children a {@link Supervisor} can watch and start again. */
    public List<Supervisor.Child> children() {
        return new ArrayList<>(nodes.values());
    }

    public long pid(int nodeId) {
        return node(nodeId).pid();
    }

    public boolean isAlive(int nodeId) {
        return node(nodeId).isAlive();
    }

    /** SIGKILL one node, no clean shutdown: for failure tests. */
    public void kill(int nodeId) {
        node(nodeId).kill();
    }

    /** Starts a stopped or killed node again with its data, and waits until it serves. */
    public void restart(int nodeId, Duration timeout) throws IOException {
        node(nodeId).restart(timeout);
    }

    private KafkaNode node(int nodeId) {
        KafkaNode node = nodes.get(nodeId);
        if (node == null) {
            throw new IllegalArgumentException("no broker " + nodeId + " in this cluster " + nodes.keySet());
        }
        return node;
    }

    /** Stops every node at once (one after another, the last would wait for a quorum that has gone). */
    @Override
    public void close() {
        CompletableFuture.allOf(nodes.values().stream()
                .map(n -> CompletableFuture.runAsync(n::close, r -> {
                    Thread t = new Thread(r, "stop-" + n.name());
                    t.setDaemon(true);
                    t.start();
                }))
                .toArray(CompletableFuture[]::new)).join();
    }
}
