package org.caretrail.deploy.infra;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.topic.TopicSpec;

/**
 * Topics as code: makes the cluster match {@link CareTopics}. Idempotent: creates what is
 * missing, raises partition counts that are too low (never lowers them), and sets cleanup and
 * retention where they differ. Running it twice changes nothing the second time.
 */
public final class TopicsApplier {

    /** What applying did to one topic. */
    public record Outcome(String topic, String action, String detail) {
    }

    private final String bootstrapServers;

    public TopicsApplier(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
    }

    public List<Outcome> apply() throws InterruptedException, ExecutionException, TimeoutException {
        return apply(CareTopics.all());
    }

    public List<Outcome> apply(Collection<TopicSpec> specs) throws InterruptedException, ExecutionException,
            TimeoutException {
        Map<String, Object> config = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        try (Admin admin = Admin.create(config)) {
            int brokers = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size();
            short replication = (short) Math.min(3, brokers);
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<Outcome> outcomes = new ArrayList<>();
            List<NewTopic> toCreate = new ArrayList<>();
            List<TopicSpec> toCheck = new ArrayList<>();
            for (TopicSpec spec : specs) {
                if (existing.contains(spec.name())) {
                    toCheck.add(spec);
                } else {
                    toCreate.add(new NewTopic(spec.name(), spec.partitions(), replication).configs(spec.configs()));
                    outcomes.add(new Outcome(spec.name(), "created", spec.partitions() + " partitions, replication "
                            + replication + ", " + spec.configs()));
                }
            }
            if (!toCreate.isEmpty()) {
                admin.createTopics(toCreate).all().get(60, TimeUnit.SECONDS);
            }
            if (!toCheck.isEmpty()) {
                outcomes.addAll(reconcile(admin, toCheck));
            }
            awaitServed(admin, specs.stream().map(TopicSpec::name).toList(), Duration.ofSeconds(60));
            return outcomes;
        }
    }

    /**
     * Waits until the leader of every partition of these topics serves requests for it. A topic
     * the controller has just created is not yet hosted by its leader for a moment; an idempotent
     * producer whose very first batch to such a partition fails while later batches succeed then
     * retries that first batch until its delivery timeout (KAFKA-14359). Applying returns only
     * once writing is safe.
     */
    public static void awaitServed(Admin admin, Collection<String> topics, Duration timeout) throws InterruptedException,
            ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                Map<String, TopicDescription> descriptions = admin.describeTopics(topics).allTopicNames()
                        .get(10, TimeUnit.SECONDS);
                Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
                boolean leaders = true;
                for (TopicDescription description : descriptions.values()) {
                    for (TopicPartitionInfo partition : description.partitions()) {
                        leaders &= partition.leader() != null && !partition.leader().isEmpty();
                        partitions.put(new TopicPartition(description.name(), partition.partition()),
                                OffsetSpec.latest());
                    }
                }
                if (leaders) {
                    admin.listOffsets(partitions, new ListOffsetsOptions().timeoutMs(5_000)).all()
                            .get(10, TimeUnit.SECONDS);
                    return;
                }
            } catch (ExecutionException | TimeoutException e) {
                last = e;
            }
            Thread.sleep(100);
        }
        throw new TimeoutException("the partitions of " + topics + " were not served by their leaders within "
                + timeout + (last == null ? "" : ": " + last.getMessage()));
    }

    private static List<Outcome> reconcile(Admin admin, List<TopicSpec> specs) throws InterruptedException,
            ExecutionException, TimeoutException {
        List<String> names = specs.stream().map(TopicSpec::name).toList();
        Map<String, TopicDescription> descriptions = admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
        List<ConfigResource> resources = names.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
        Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get(30, TimeUnit.SECONDS);
        List<Outcome> outcomes = new ArrayList<>();
        Map<String, NewPartitions> morePartitions = new HashMap<>();
        Map<ConfigResource, Collection<AlterConfigOp>> alterations = new HashMap<>();
        for (TopicSpec spec : specs) {
            List<String> changes = new ArrayList<>();
            int partitions = descriptions.get(spec.name()).partitions().size();
            if (partitions < spec.partitions()) {
                morePartitions.put(spec.name(), NewPartitions.increaseTo(spec.partitions()));
                changes.add("partitions " + partitions + " -> " + spec.partitions());
            }
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, spec.name());
            Config current = configs.get(resource);
            List<AlterConfigOp> ops = new ArrayList<>();
            spec.configs().forEach((key, value) -> {
                ConfigEntry entry = current.get(key);
                if (entry == null || !value.equals(entry.value())) {
                    ops.add(new AlterConfigOp(new ConfigEntry(key, value), AlterConfigOp.OpType.SET));
                    changes.add(key + " " + (entry == null ? "unset" : entry.value()) + " -> " + value);
                }
            });
            if (!ops.isEmpty()) {
                alterations.put(resource, ops);
            }
            outcomes.add(new Outcome(spec.name(), changes.isEmpty() ? "unchanged" : "updated", String.join(", ", changes)));
        }
        if (!morePartitions.isEmpty()) {
            admin.createPartitions(morePartitions).all().get(60, TimeUnit.SECONDS);
        }
        if (!alterations.isEmpty()) {
            admin.incrementalAlterConfigs(alterations).all().get(60, TimeUnit.SECONDS);
        }
        return outcomes;
    }
}
