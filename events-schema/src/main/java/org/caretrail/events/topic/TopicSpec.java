package org.caretrail.events.topic;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a topic is declared: name, partitions, cleanup policy and retention. Replication is chosen
 * when topics are applied (it depends on the cluster), not here.
 *
 * @param retentionMs -1 keeps records for ever (care events are the record of care and the source
 *     timelines are rebuilt from)
 */
public record TopicSpec(String name, int partitions, Cleanup cleanup, long retentionMs, String purpose) {

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
}
