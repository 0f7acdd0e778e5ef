package org.caretrail.events.topic;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a topic is declared: name, partitions, cleanup policy, retention and replication.
 *
 * @param retentionMs -1 keeps records for ever (care events are the record of care and the source
 *     timelines are rebuilt from)
 * @param replication the replication wanted on a cluster ({@link Replication#CLUSTER}: 3 copies, 2 in
 *     sync); applying it to fewer brokers gets {@link Replication#on(int)} (1/1 on the embedded broker)
 */
public record TopicSpec(String name, int partitions, Cleanup cleanup, long retentionMs, String purpose,
        Replication replication) {

    public TopicSpec {
        if (replication == null) {
            throw new IllegalArgumentException("topic " + name + " needs a replication");
        }
    }

    /** A topic replicated as {@link Replication#CLUSTER} on a cluster. */
    public TopicSpec(String name, int partitions, Cleanup cleanup, long retentionMs, String purpose) {
        this(name, partitions, cleanup, retentionMs, purpose, Replication.CLUSTER);
    }

    /** The same topic with another replication (e.g. one chosen on the command line). */
    public TopicSpec withReplication(Replication other) {
        return new TopicSpec(name, partitions, cleanup, retentionMs, purpose, other);
    }

    public enum Cleanup {
        DELETE("delete"), COMPACT("compact"),
        /** Compacted (the latest record per key is kept) and records older than the retention deleted too. */
        COMPACT_DELETE("compact,delete");

        private final String policy;

        Cleanup(String policy) {
            this.policy = policy;
        }

        public String policy() {
            return policy;
        }
    }

    /** The topic-level configs to set: {@code cleanup.policy} and {@code retention.ms}. */
    public Map<String, String> configs() {
        Map<String, String> configs = new LinkedHashMap<>();
        configs.put("cleanup.policy", cleanup.policy());
        configs.put("retention.ms", Long.toString(retentionMs));
        return configs;
    }

    /**
     * The topic-level configs to set when the topic is replicated as {@code applied}: {@link #configs()}
     * plus {@code min.insync.replicas}.
     */
    public Map<String, String> configs(Replication applied) {
        Map<String, String> configs = configs();
        configs.put("min.insync.replicas", Integer.toString(applied.minInsyncReplicas()));
        return configs;
    }
}
