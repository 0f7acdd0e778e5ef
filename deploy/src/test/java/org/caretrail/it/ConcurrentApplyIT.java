package org.caretrail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.config.ConfigResource;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.deploy.infra.Ports;
import org.caretrail.deploy.infra.TopicsApplier;
import org.caretrail.events.model.Admission;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.serde.SchemaRegistry;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.topic.TopicSpec;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two CareTrail instances (or a topics job beside a running pod) apply topics and schemas to the same
 * cluster and registry at the same moment: every one must succeed, and the result must be as declared.
 * Real Apicurio registry, real broker, {@value #APPLIERS} appliers released together by a barrier.
 */
@Tag("integration")
class ConcurrentApplyIT {

    private static final int APPLIERS = 6;

    @Test
    void concurrentAppliersAllSucceedAgainstTheRealRegistry() throws Exception {
        String url = RealInfrastructure.registryUrl();
        ExecutorService pool = Executors.newFixedThreadPool(APPLIERS);
        try {
            Schema schema = Admission.getClassSchema();
            for (int round = 0; round < 5; round++) {
                String subject = "it-race-" + UUID.randomUUID() + "-value";
                // what the bare REST API does when several clients create the compatibility rule together
                int conflicts = race(pool, () -> {
                    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                                    URI.create(url + "/config/" + subject + "-raw"))
                            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                            .PUT(HttpRequest.BodyPublishers.ofString("{\"compatibility\":\"FULL_TRANSITIVE\"}")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    return r.statusCode() == 409 ? 1 : 0;
                }).stream().mapToInt(Integer::intValue).sum();
                System.out.printf("round %d: %d of %d bare PUT /config calls answered 409%n", round, conflicts,
                        APPLIERS);

                // CareTrail's client: each applier as a separate process would, with its own client
                List<Integer> ids = race(pool, () -> {
                    RestSchemaRegistry registry = new RestSchemaRegistry(url);
                    registry.setCompatibility(subject, SchemaRegistry.FULL_TRANSITIVE);
                    return registry.register(subject, schema);
                });
                assertThat(Set.copyOf(ids)).as("one id for the one schema").hasSize(1);
                HttpResponse<String> config = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(url + "/config/" + subject)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(config.body()).contains("FULL_TRANSITIVE");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrentTopicAppliersAllSucceedAndLeaveTheTopicsAsDeclared() throws Exception {
        Path data = Files.createTempDirectory(Files.createDirectories(Path.of("target", "it-data")), "race-");
        ExecutorService pool = Executors.newFixedThreadPool(APPLIERS);
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(data, Ports.free(),
                System.getProperty("java.class.path"), Duration.ofSeconds(90))) {
            List<List<TopicsApplier.Outcome>> outcomes = race(pool,
                    () -> new TopicsApplier(broker.bootstrapServers()).apply());
            List<String> created = new ArrayList<>();
            outcomes.forEach(o -> o.stream().filter(x -> x.action().equals("created")).forEach(x -> created.add(x.topic())));
            System.out.printf("%d appliers at once: %d topic creations won, the rest found the topics made%n",
                    APPLIERS, created.size());
            assertThat(created).as("each topic created by exactly one applier")
                    .hasSameSizeAs(CareTopics.all()).doesNotHaveDuplicates();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                    broker.bootstrapServers()))) {
                var configs = admin.describeConfigs(CareTopics.all().stream()
                        .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t.name())).toList())
                        .all().get(30, TimeUnit.SECONDS);
                for (TopicSpec spec : CareTopics.all()) {
                    var config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, spec.name()));
                    assertThat(config.get("cleanup.policy").value()).isEqualTo(spec.cleanup().policy());
                    assertThat(config.get("min.insync.replicas").value()).isEqualTo("1");
                }
            }
            assertThat(new TopicsApplier(broker.bootstrapServers()).apply())
                    .extracting(TopicsApplier.Outcome::action).containsOnly("unchanged");
        } finally {
            pool.shutdownNow();
        }
    }

    /** Runs {@code task} on every applier thread at the same moment; fails if any fails. */
    private static <T> List<T> race(ExecutorService pool, Callable<T> task) throws Exception {
        CyclicBarrier start = new CyclicBarrier(APPLIERS);
        List<Future<T>> futures = new ArrayList<>();
        for (int i = 0; i < APPLIERS; i++) {
            futures.add(pool.submit(() -> {
                start.await(30, TimeUnit.SECONDS);
                return task.call();
            }));
        }
        List<T> results = new ArrayList<>();
        for (Future<T> f : futures) {
            results.add(f.get(120, TimeUnit.SECONDS));
        }
        return results;
    }
}
