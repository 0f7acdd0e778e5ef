package org.caretrail.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.deploy.infra.EmbeddedSchemaRegistry;
import org.caretrail.deploy.infra.Ports;
import org.caretrail.deploy.infra.TopicsApplier;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.topic.TopicSpec;
import org.caretrail.events.topic.Topics;

/**
 * The one broker and registry every contender of a bench run uses: CareTrail's embedded KRaft broker and
 * Apicurio registry, started as child processes in the run's data directory, with CareTrail's topics applied
 * ({@code partitions} partitions each, to measure how throughput scales with them) and the schemas registered.
 */
final class BenchBroker implements AutoCloseable {

    private final EmbeddedKafkaBroker broker;
    private final EmbeddedSchemaRegistry registry;
    private final Topics topics;
    private final int partitions;

    private BenchBroker(EmbeddedKafkaBroker broker, EmbeddedSchemaRegistry registry, Topics topics, int partitions) {
        this.broker = broker;
        this.registry = registry;
        this.topics = topics;
        this.partitions = partitions;
    }

    static BenchBroker start(Path dataDir, Path registryHome, String classpath, int partitions) throws Exception {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, Ports.free(), classpath, Duration.ofSeconds(120));
        try {
            EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(registryHome, dataDir, Ports.free(),
                    Duration.ofSeconds(180));
            try {
                List<TopicSpec> specs = CareTopics.all().stream()
                        .map(s -> s.partitions() == CareTopics.PARTITIONS
                                ? new TopicSpec(s.name(), partitions, s.cleanup(), s.retentionMs(), s.purpose()) : s)
                        .toList();
                new TopicsApplier(broker.bootstrapServers()).apply(specs);
                Topics topics = new Topics(new RestSchemaRegistry(registry.url()));
                topics.registerSchemas();
                BenchBroker started = new BenchBroker(broker, registry, topics, partitions);
                // stopped with the bench even when it is stopped by a signal
                Runtime.getRuntime().addShutdownHook(new Thread(started::close, "stop-broker"));
                return started;
            } catch (Exception | Error e) {
                registry.close();
                throw e;
            }
        } catch (Exception | Error e) {
            broker.close();
            throw e;
        }
    }

    String bootstrapServers() {
        return broker.bootstrapServers();
    }

    String registryUrl() {
        return registry.url();
    }

    Topics topics() {
        return topics;
    }

    int partitions() {
        return partitions;
    }

    Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
    }

    /** Creates {@code names} (delete policy, this run's partition count) where missing. */
    void createTopics(List<String> names) throws IOException {
        List<TopicSpec> specs = names.stream()
                .map(n -> new TopicSpec(n, partitions, TopicSpec.Cleanup.DELETE, Duration.ofDays(1).toMillis(),
                        "bench output"))
                .toList();
        try {
            new TopicsApplier(bootstrapServers()).apply(specs);
        } catch (Exception e) {
            throw new IOException("cannot create " + names + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        registry.close();
        broker.close();
    }
}
