package org.caretrail.deploy.infra;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.caretrail.events.kafka.KafkaClientSettings;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.topic.Replication;
import org.caretrail.events.topic.TopicSpec;

/**
 * Topics as code: makes the cluster match {@link CareTopics}. Idempotent and safe to run from several
 * processes at once: creates what is missing (a topic another applier created at the same moment is
 * then checked like any existing one), raises partition counts that are too low (never lowers them),
 * sets cleanup, retention and {@code min.insync.replicas} where they differ. Running it twice changes
 * nothing the second time.
 *
 * <p><b>Replication.</b> Each topic declares the replication it wants on a cluster (3 copies, 2 in
 * sync). On fewer brokers it gets what they can hold ({@link Replication#on(int)}: 1/1 on the embedded
 * broker). On a cluster (two brokers or more) a replication that would lose acknowledged writes with
 * one broker ({@link Replication#survivesOneBrokerLoss()} false) is refused unless
 * {@link #allowUnsafe(boolean)} ({@code --i-know}). An existing topic with fewer copies than wanted is
 * reported (apply does not move partitions: use {@code kafka-reassign-partitions}); its
 * {@code min.insync.replicas} is raised to what is wanted, but never above its copies (writes would
 * then be refused), and lowered only with {@code --i-know}.
 */
public final class TopicsApplier {

    /** What applying did to one topic; {@code shortfall} says what it could not make as declared. */
    public record Outcome(String topic, String action, String detail, String shortfall) {

        public Outcome(String topic, String action, String detail) {
            this(topic, action, detail, null);
        }
    }

    /** Thrown before anything is changed when the replication asked for would not survive a broker's loss. */
    public static final class UnsafeReplicationException extends IllegalStateException {
        UnsafeReplicationException(String message) {
            super(message);
        }
    }

    private final KafkaClientSettings kafka;
    private Replication override;
    private boolean allowUnsafe;
    private volatile Replication applied;

    public TopicsApplier(String bootstrapServers) {
        this(KafkaClientSettings.plaintext(bootstrapServers));
    }

    /** Applies as {@code kafka} (on a secured cluster: the operator, {@code CarePrincipal.ADMIN}). */
    public TopicsApplier(KafkaClientSettings kafka) {
        this.kafka = kafka;
    }

    /** Replicate every topic as {@code replication} instead of its declaration (null: as declared). */
    public TopicsApplier withReplication(Replication replication) {
        this.override = replication;
        return this;
    }

    /**
     * {@code --i-know}: apply a replication that does not survive the loss of one broker to a
     * cluster anyway, and lower a stronger {@code min.insync.replicas} found on a topic.
     */
    public TopicsApplier allowUnsafe(boolean allow) {
        this.allowUnsafe = allow;
        return this;
    }

    /**
     * The replication the CareTrail topics got on this cluster in the last {@link #apply()} (what the
     * stream processor's own internal topics should use too); null before.
     */
    public Replication appliedReplication() {
        return applied;
    }

    public List<Outcome> apply() throws InterruptedException, ExecutionException, TimeoutException {
        return apply(CareTopics.all());
    }

    public List<Outcome> apply(Collection<TopicSpec> specs) throws InterruptedException, ExecutionException,
            TimeoutException {
        Map<String, Object> config = kafka.config(Map.of(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
        try (Admin admin = Admin.create(config)) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            int brokers = brokers(admin, specs, existing);
            Map<String, Replication> wanted = plan(specs, brokers);
            applied = (override != null ? override : CareTopics.REPLICATION).on(brokers);
            List<Outcome> outcomes = new ArrayList<>();
            Map<String, NewTopic> toCreate = new LinkedHashMap<>();
            List<TopicSpec> toCheck = new ArrayList<>();
            for (TopicSpec spec : specs) {
                Replication replication = wanted.get(spec.name());
                if (existing.contains(spec.name())) {
                    toCheck.add(spec);
                } else {
                    toCreate.put(spec.name(), new NewTopic(spec.name(), spec.partitions(), (short) replication.factor())
                            .configs(spec.configs(replication)));
                }
            }
            if (!toCreate.isEmpty()) {
                Map<String, KafkaFuture<Void>> created = admin.createTopics(toCreate.values()).values();
                for (TopicSpec spec : specs) {
                    KafkaFuture<Void> future = created.get(spec.name());
                    if (future == null) {
                        continue;
                    }
                    try {
                        future.get(60, TimeUnit.SECONDS);
                        Replication replication = wanted.get(spec.name());
                        outcomes.add(new Outcome(spec.name(), "created", spec.partitions() + " partitions, replication "
                                + replication.factor() + ", " + spec.configs(replication)));
                    } catch (ExecutionException e) {
                        if (!(e.getCause() instanceof TopicExistsException)) {
                            throw e;
                        }
                        toCheck.add(spec); // another applier created it just now: check it like any other
                    }
                }
            }
            if (!toCheck.isEmpty()) {
                // a topic another applier has just created is not yet known to every broker: describing its
                // configuration then fails with "does not host this topic-partition"; wait until it is served
                awaitServed(admin, toCheck.stream().map(TopicSpec::name).toList(), Duration.ofSeconds(60));
                outcomes.addAll(reconcile(admin, toCheck, wanted));
            }
            awaitServed(admin, specs.stream().map(TopicSpec::name).toList(), Duration.ofSeconds(60));
            return outcomes;
        }
    }

    /**
     * How many brokers the cluster has: those registered now, or more if a topic already has more
     * copies (a broker that is down for a moment, or restarting, does not make the cluster smaller).
     */
    private static int brokers(Admin admin, Collection<TopicSpec> specs, Set<String> existing)
            throws InterruptedException, ExecutionException, TimeoutException {
        int registered = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size();
        List<String> ours = specs.stream().map(TopicSpec::name).filter(existing::contains).toList();
        if (ours.isEmpty()) {
            return registered;
        }
        int copies = admin.describeTopics(ours).allTopicNames().get(30, TimeUnit.SECONDS).values().stream()
                .flatMap(d -> d.partitions().stream()).mapToInt(p -> p.replicas().size()).max().orElse(0);
        return Math.max(registered, copies);
    }

    /** The replication each topic gets on {@code brokers}; refuses an unsafe one on a cluster. */
    Map<String, Replication> plan(Collection<TopicSpec> specs, int brokers) {
        Map<String, Replication> wanted = new LinkedHashMap<>();
        List<String> unsafe = new ArrayList<>();
        for (TopicSpec spec : specs) {
            Replication replication = (override != null ? override : spec.replication()).on(brokers);
            if (override != null && override.factor() > brokers) {
                throw new IllegalArgumentException("replication factor " + override.factor() + " needs at least "
                        + override.factor() + " brokers; this cluster has " + brokers);
            }
            wanted.put(spec.name(), replication);
            if (brokers > 1 && !replication.survivesOneBrokerLoss()) {
                unsafe.add(spec.name() + " " + replication);
            }
        }
        if (!unsafe.isEmpty() && !allowUnsafe) {
            throw new UnsafeReplicationException("refusing to apply a replication that loses acknowledged writes "
                    + "when one broker is lost to a cluster of " + brokers + " brokers (" + String.join(", ", unsafe)
                    + "; as FACTOR/MIN_ISR). A cluster needs at least 3 copies with 2 in sync ("
                    + Replication.CLUSTER + ") and so at least 3 brokers. --i-know applies it anyway: acknowledged "
                    + "writes (HL7 AA, FHIR 201, publisher acknowledgements) may then be lost with a broker.");
        }
        return wanted;
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

    private List<Outcome> reconcile(Admin admin, List<TopicSpec> specs, Map<String, Replication> wanted)
            throws InterruptedException, ExecutionException, TimeoutException {
        List<String> names = specs.stream().map(TopicSpec::name).toList();
        Map<String, TopicDescription> descriptions = admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
        List<ConfigResource> resources = names.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
        Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get(30, TimeUnit.SECONDS);
        List<Outcome> outcomes = new ArrayList<>();
        Map<String, NewPartitions> morePartitions = new HashMap<>();
        Map<ConfigResource, Collection<AlterConfigOp>> alterations = new HashMap<>();
        for (TopicSpec spec : specs) {
            List<String> changes = new ArrayList<>();
            List<String> shortfalls = new ArrayList<>();
            TopicDescription description = descriptions.get(spec.name());
            int partitions = description.partitions().size();
            if (partitions < spec.partitions()) {
                morePartitions.put(spec.name(), NewPartitions.increaseTo(spec.partitions()));
                changes.add("partitions " + partitions + " -> " + spec.partitions());
            }
            Replication replication = wanted.get(spec.name());
            int copies = description.partitions().stream().mapToInt(p -> p.replicas().size()).min().orElse(0);
            if (copies < replication.factor()) {
                shortfalls.add("replication " + copies + " (wanted " + replication.factor()
                        + "): apply cannot add copies to an existing topic; reassign its partitions "
                        + "(kafka-reassign-partitions) to more brokers");
            }
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, spec.name());
            Config current = configs.get(resource);
            Map<String, String> target = spec.configs(replication);
            target.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(
                    minInsyncFor(current, replication, copies, spec.name(), shortfalls)));
            List<AlterConfigOp> ops = new ArrayList<>();
            target.forEach((key, value) -> {
                ConfigEntry entry = current.get(key);
                if (entry == null || !value.equals(entry.value())) {
                    ops.add(new AlterConfigOp(new ConfigEntry(key, value), AlterConfigOp.OpType.SET));
                    changes.add(key + " " + (entry == null ? "unset" : entry.value()) + " -> " + value);
                }
            });
            if (!ops.isEmpty()) {
                alterations.put(resource, ops);
            }
            outcomes.add(new Outcome(spec.name(), changes.isEmpty() ? "unchanged" : "updated",
                    String.join(", ", changes), shortfalls.isEmpty() ? null : String.join("; ", shortfalls)));
        }
        if (!morePartitions.isEmpty()) {
            try {
                admin.createPartitions(morePartitions).all().get(60, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof InvalidPartitionsException)) {
                    throw e;
                }
                // another applier raised them at the same moment; awaitServed and a second apply confirm
            }
        }
        if (!alterations.isEmpty()) {
            admin.incrementalAlterConfigs(alterations).all().get(60, TimeUnit.SECONDS);
        }
        return outcomes;
    }

    /**
     * The {@code min.insync.replicas} an existing topic gets: the wanted one, but never more than its
     * copies (every write would be refused), and a stronger one found is kept unless {@code --i-know}.
     */
    private int minInsyncFor(Config current, Replication replication, int copies, String topic,
            List<String> shortfalls) {
        ConfigEntry entry = current.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
        int present = entry == null || entry.value() == null ? 1 : Integer.parseInt(entry.value());
        int target = replication.minInsyncReplicas();
        if (target > copies) {
            shortfalls.add("min.insync.replicas " + Math.max(1, copies) + " (wanted " + target + ", but " + topic
                    + " has only " + copies + " copies)");
            target = Math.max(1, copies);
        }
        if (present > target && present <= copies && !allowUnsafe) {
            return present; // stronger than declared: kept
        }
        return target;
    }
}
