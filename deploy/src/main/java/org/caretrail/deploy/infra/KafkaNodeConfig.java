package org.caretrail.deploy.infra;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.caretrail.events.topic.Replication;

/**
 * The {@code server.properties} of one KRaft node CareTrail runs (the embedded broker, or one node of
 * the local three-broker cluster): broker and controller in one process. Listeners are named, each
 * with its host, port and security protocol, so a later change can add a TLS or SASL listener
 * ({@link #listener}) and its settings ({@link #set}) without touching the rest.
 */
public final class KafkaNodeConfig {

    /** The listener clients use. */
    public static final String CLIENT_LISTENER = "PLAINTEXT";
    /** The listener clients use on a secured node: SASL/SCRAM-SHA-512 over TLS. */
    public static final String SECURED_CLIENT_LISTENER = "CLIENT";
    /** The listener brokers replicate and send transaction markers on, on a secured node: mutual TLS. */
    public static final String BROKER_LISTENER = "BROKER";
    /** The listener controllers use among themselves. */
    public static final String CONTROLLER_LISTENER = "CONTROLLER";

    /** One listener: where it binds and what it speaks (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL). */
    public record Listener(String host, int port, String securityProtocol) {
    }

    private final int nodeId;
    private final Map<String, Listener> listeners = new LinkedHashMap<>();
    private final Map<String, String> settings = new LinkedHashMap<>();
    private String controllerQuorum;
    private String clientListener = CLIENT_LISTENER;

    private KafkaNodeConfig(int nodeId) {
        this.nodeId = nodeId;
    }

    /**
     * A node with a client listener and a controller listener on loopback, its log under
     * {@code logDir}, internal topics (offsets, transactions, share groups) and topics created without
     * an explicit replication replicated as {@code replication}.
     */
    public static KafkaNodeConfig node(int nodeId, int clientPort, int controllerPort, Path logDir,
            Replication replication) {
        KafkaNodeConfig c = new KafkaNodeConfig(nodeId);
        c.listener(CLIENT_LISTENER, new Listener("localhost", clientPort, "PLAINTEXT"));
        c.listener(CONTROLLER_LISTENER, new Listener("localhost", controllerPort, "PLAINTEXT"));
        c.set("process.roles", "broker,controller");
        c.set("node.id", Integer.toString(nodeId));
        c.set("controller.listener.names", CONTROLLER_LISTENER);
        c.set("inter.broker.listener.name", CLIENT_LISTENER);
        c.set("log.dirs", logDir.toAbsolutePath().toString());
        c.set("num.partitions", "3");
        String copies = Integer.toString(replication.factor());
        String inSync = Integer.toString(replication.minInsyncReplicas());
        c.set("default.replication.factor", copies);
        c.set("min.insync.replicas", inSync);
        c.set("offsets.topic.replication.factor", copies);
        c.set("transaction.state.log.replication.factor", copies);
        c.set("transaction.state.log.min.isr", inSync);
        c.set("share.coordinator.state.topic.replication.factor", copies);
        c.set("share.coordinator.state.topic.min.isr", inSync);
        c.set("group.initial.rebalance.delay.ms", "0");
        c.set("auto.create.topics.enable", "false");
        // a replica that was not in sync never becomes leader: an acknowledged write is never dropped for it
        c.set("unclean.leader.election.enable", "false");
        return c;
    }

    /** The controller quorum this node joins: {@code id@host:port,...} (static voters). */
    public KafkaNodeConfig voters(Map<Integer, Integer> controllerPortByNode) {
        controllerQuorum = controllerPortByNode.entrySet().stream()
                .map(e -> e.getKey() + "@localhost:" + e.getValue()).collect(Collectors.joining(","));
        return this;
    }

    /** Adds or replaces a named listener. */
    public KafkaNodeConfig listener(String name, Listener listener) {
        listeners.put(name, listener);
        return this;
    }

    /** Sets any broker setting (e.g. {@code ssl.keystore.location}); later calls win. */
    public KafkaNodeConfig set(String key, String value) {
        settings.put(key, value);
        return this;
    }

    public int nodeId() {
        return nodeId;
    }

    public int clientPort() {
        return listeners.get(clientListener).port();
    }

    /** The port of the brokers' own listener: the client port on a node that is not secured. */
    public int brokerPort() {
        Listener broker = listeners.get(BROKER_LISTENER);
        return broker != null ? broker.port() : clientPort();
    }

    /**
     * Secures this node: clients authenticate with SASL/SCRAM-SHA-512 over TLS on the client port; brokers
     * replicate (and the transaction coordinator sends its markers) on {@code brokerPort} over mutual TLS; the
     * controllers speak mutual TLS too. KRaft cannot use SCRAM on the controller listener (the credentials live
     * in the metadata log the controllers serve), so brokers and controllers prove who they are with their
     * certificates, issued by the CareTrail CA: the certificate's common name is the principal
     * ({@code ssl.principal.mapping.rules}). Authorization is KRaft's {@code StandardAuthorizer} with
     * {@code allow.everyone.if.no.acl.found=false}; the super users are the brokers and {@code superUsers}.
     */
    public KafkaNodeConfig secured(int brokerPort, Path keystore, String keystorePassword, Path truststore,
            String truststorePassword, String brokerPrincipal, List<String> superUsers) {
        Listener client = listeners.remove(CLIENT_LISTENER);
        Listener controller = listeners.get(CONTROLLER_LISTENER);
        clientListener = SECURED_CLIENT_LISTENER;
        listener(SECURED_CLIENT_LISTENER, new Listener(client.host(), client.port(), "SASL_SSL"));
        listener(BROKER_LISTENER, new Listener(client.host(), brokerPort, "SSL"));
        listener(CONTROLLER_LISTENER, new Listener(controller.host(), controller.port(), "SSL"));
        set("inter.broker.listener.name", BROKER_LISTENER);
        String clientPrefix = "listener.name." + SECURED_CLIENT_LISTENER.toLowerCase(java.util.Locale.ROOT) + ".";
        set(clientPrefix + "sasl.enabled.mechanisms", "SCRAM-SHA-512");
        set(clientPrefix + "scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        set("sasl.enabled.mechanisms", "SCRAM-SHA-512");
        set("ssl.keystore.type", "PKCS12");
        set("ssl.keystore.location", keystore.toAbsolutePath().toString());
        set("ssl.keystore.password", keystorePassword);
        set("ssl.key.password", keystorePassword);
        set("ssl.truststore.type", "PKCS12");
        set("ssl.truststore.location", truststore.toAbsolutePath().toString());
        set("ssl.truststore.password", truststorePassword);
        set("ssl.endpoint.identification.algorithm", "https");
        set("ssl.enabled.protocols", "TLSv1.3,TLSv1.2");
        set("listener.name." + BROKER_LISTENER.toLowerCase(java.util.Locale.ROOT) + ".ssl.client.auth", "required");
        set("listener.name." + CONTROLLER_LISTENER.toLowerCase(java.util.Locale.ROOT) + ".ssl.client.auth", "required");
        // a certificate issued by the CareTrail CA as CN=<name>,O=CareTrail is the principal <name>
        set("ssl.principal.mapping.rules", "RULE:^CN=([a-z0-9-]+),O=CareTrail$/$1/,DEFAULT");
        set("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        set("allow.everyone.if.no.acl.found", "false");
        List<String> supers = new java.util.ArrayList<>();
        supers.add("User:" + brokerPrincipal);
        superUsers.forEach(u -> supers.add("User:" + u));
        set("super.users", String.join(";", supers));
        return this;
    }

    /** Whether {@link #secured} was applied. */
    public boolean isSecured() {
        return listeners.containsKey(BROKER_LISTENER);
    }

    /** The settings as a properties file. */
    public Properties toProperties() {
        Properties p = new Properties();
        p.putAll(settings);
        p.put("listeners", listeners.entrySet().stream()
                .map(e -> e.getKey() + "://" + e.getValue().host() + ":" + e.getValue().port())
                .collect(Collectors.joining(",")));
        p.put("advertised.listeners", listeners.entrySet().stream()
                .filter(e -> !e.getKey().equals(CONTROLLER_LISTENER))
                .map(e -> e.getKey() + "://" + e.getValue().host() + ":" + e.getValue().port())
                .collect(Collectors.joining(",")));
        p.put("listener.security.protocol.map", listeners.entrySet().stream()
                .map(e -> e.getKey() + ":" + e.getValue().securityProtocol()).collect(Collectors.joining(",")));
        Listener controller = listeners.get(CONTROLLER_LISTENER);
        if (controllerQuorum != null) {
            p.put("controller.quorum.voters", controllerQuorum);
        } else {
            p.put("controller.quorum.bootstrap.servers", controller.host() + ":" + controller.port());
        }
        return p;
    }

    /** Whether the quorum is a static voter set (formatted without {@code --standalone}). */
    public boolean staticQuorum() {
        return controllerQuorum != null;
    }

    /** Writes the properties file, readable by the owner only. */
    public void writeTo(Path file) throws IOException {
        StringWriter out = new StringWriter();
        toProperties().store(out, "written by caretrail on each start");
        PrivateFiles.write(file, out.toString());
    }

    /** Keys in a stable order, for tests and logs. */
    List<String> keys() {
        return toProperties().stringPropertyNames().stream().sorted().toList();
    }
}
