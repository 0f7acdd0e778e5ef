package org.caretrail.deploy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import org.caretrail.deploy.http.PlatformHttpServer;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.deploy.infra.EmbeddedSchemaRegistry;
import org.caretrail.deploy.infra.TopicsApplier;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole platform on one machine, started in dependency order and stopped in reverse: broker,
 * registry, topics and schemas, then the services. What runs is described by {@link PlatformSettings}.
 */
public final class Platform implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Platform.class);

    private final PlatformSettings settings;
    private final Deque<AutoCloseable> running = new ArrayDeque<>();
    private final Map<String, String> addresses = new LinkedHashMap<>();
    private String bootstrapServers;
    private String registryUrl;
    private Topics topics;

    public Platform(PlatformSettings settings) {
        this.settings = settings;
    }

    /** Starts everything; on failure stops what had started and rethrows. */
    public Platform start(ProgressListener progress) throws Exception {
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
        Path data = settings.dataDir();
        if (settings.bootstrapServers() == null) {
            progress.step("starting Kafka broker (KRaft) on localhost:" + settings.kafkaPort() + ", data in " + data.resolve("kafka"));
            EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(data, settings.kafkaPort(), settings.brokerClasspath(),
                    Duration.ofSeconds(120));
            running.push(broker);
            bootstrapServers = broker.bootstrapServers();
        } else {
            bootstrapServers = settings.bootstrapServers();
        }
        addresses.put("Kafka", bootstrapServers);
        if (settings.schemaRegistryUrl() == null) {
            progress.step("starting schema registry (Apicurio) on 127.0.0.1:" + settings.registryPort());
            EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(settings.registryHome(), data,
                    settings.registryPort(), Duration.ofSeconds(180));
            running.push(registry);
            registryUrl = registry.url();
        } else {
            registryUrl = settings.schemaRegistryUrl();
        }
        addresses.put("Schema registry", registryUrl);
        progress.step("applying topics and registering schemas");
        new TopicsApplier(bootstrapServers).apply();
        RestSchemaRegistry registryClient = new RestSchemaRegistry(registryUrl);
        topics = new Topics(registryClient);
        topics.registerSchemas();
    }

    private void startServices(ProgressListener progress) throws Exception {
        PlatformHttpServer http = new PlatformHttpServer(settings.httpHost(), settings.httpPort(), () -> "");
        running.push(http);
        http.start();
        String base = "http://" + settings.httpHost() + ":" + http.port();
        addresses.put("Health", base + "/health");
        addresses.put("Metrics", base + "/metrics");
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public String registryUrl() {
        return registryUrl;
    }

    public Topics topics() {
        return topics;
    }

    /** What is where, for people: name to URL or address. */
    public Map<String, String> addresses() {
        return addresses;
    }

    @Override
    public void close() {
        while (!running.isEmpty()) {
            AutoCloseable component = running.pop();
            try {
                component.close();
            } catch (Exception e) {
                LOG.warn("error stopping {}: {}", component.getClass().getSimpleName(), e.toString());
            }
        }
    }

    /** Told of each start-up step, for the console. */
    @FunctionalInterface
    public interface ProgressListener {
        void step(String description);
    }
}
