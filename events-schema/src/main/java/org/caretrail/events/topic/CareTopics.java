package org.caretrail.events.topic;

import static org.caretrail.events.topic.TopicSpec.Cleanup.COMPACT;
import static org.caretrail.events.topic.TopicSpec.Cleanup.COMPACT_DELETE;
import static org.caretrail.events.topic.TopicSpec.Cleanup.DELETE;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.caretrail.events.CareEventType;

/** Every CareTrail topic, declared once: the topic contract of the design. */
public final class CareTopics {

    public static final long FOREVER = -1;
    /** Partitions of every event and timeline topic: the unit of parallelism of the stream processor. */
    public static final int PARTITIONS = 3;
    /**
     * Replication of every CareTrail topic on a cluster: 3 copies, 2 in sync before a write is
     * acknowledged, so nothing acknowledged is lost with one broker and writing goes on without it.
     * The embedded single broker gets 1/1 ({@link Replication#on(int)}).
     */
    public static final Replication REPLICATION = Replication.CLUSTER;

    public static final String TIMELINES = "care.timelines";
    public static final String TIMELINE_CHANGES = "care.timeline-changes";
    /** Internal to the stream processor: entries following a chain of NHS-number merges (A → B → C ...). */
    public static final String TIMELINE_MERGE_MOVES = "care.timeline-merge-moves";
    public static final String DEAD_LETTER = "care.dead-letter";
    public static final String SUBSCRIPTIONS = "care.subscriptions";
    public static final String DELIVERIES = "care.deliveries";
    /**
     * The HL7v2 adapter's memory, shared by every instance and kept across restarts: which messages
     * were published (by MSH-4/MSH-3/MSH-10 and content hash) and the last event published per care
     * item (what a later cancel or correction supersedes). JSON values; compacted, and kept
     * {@value #HL7_MESSAGE_LOG_RETENTION_DAYS} days.
     */
    public static final String HL7_MESSAGE_LOG = "care.hl7-message-log";
    public static final int HL7_MESSAGE_LOG_RETENTION_DAYS = 30;
    /** Who called the HTTP APIs about which patient, when, with what outcome (JSON, keyed by NHS number). */
    public static final String ACCESS_AUDIT = "care.access-audit";

    /** Dead-letter record headers: why, and where the record came from. */
    public static final String HEADER_REASON = "caretrail.reason";
    public static final String HEADER_SOURCE_TOPIC = "caretrail.source.topic";
    public static final String HEADER_SOURCE_PARTITION = "caretrail.source.partition";
    public static final String HEADER_SOURCE_OFFSET = "caretrail.source.offset";

    private static final List<TopicSpec> ALL = build();

    private CareTopics() {
    }

    private static List<TopicSpec> build() {
        List<TopicSpec> all = new ArrayList<>();
        for (CareEventType type : CareEventType.values()) {
            boolean compacted = type == CareEventType.CONSENT;
            all.add(new TopicSpec(type.topic(), PARTITIONS, compacted ? COMPACT : DELETE, FOREVER,
                    compacted ? "latest sharing preferences per patient" : type.jsonName() + " events as published",
                    REPLICATION));
        }
        all.add(new TopicSpec(TIMELINES, PARTITIONS, COMPACT, FOREVER, "each patient's current timeline and summary",
                REPLICATION));
        all.add(new TopicSpec(TIMELINE_CHANGES, PARTITIONS, DELETE, Duration.ofDays(90).toMillis(),
                "one record per entry added, updated or withdrawn", REPLICATION));
        all.add(new TopicSpec(TIMELINE_MERGE_MOVES, PARTITIONS, DELETE, Duration.ofDays(7).toMillis(),
                "internal to the stream processor: timeline entries on their way along a chain of merges",
                REPLICATION));
        all.add(new TopicSpec(DEAD_LETTER, 1, DELETE, Duration.ofDays(30).toMillis(),
                "rejected input: original bytes, reason and origin in headers", REPLICATION));
        all.add(new TopicSpec(SUBSCRIPTIONS, 1, COMPACT, FOREVER, "downstream subscriptions", REPLICATION));
        all.add(new TopicSpec(DELIVERIES, PARTITIONS, DELETE, FOREVER, "audit of every delivery to a subscriber",
                REPLICATION));
        all.add(new TopicSpec(ACCESS_AUDIT, PARTITIONS, DELETE, FOREVER,
                "audit of every call to the HTTP APIs: who asked about which patient, when, with what outcome",
                REPLICATION));
        all.add(new TopicSpec(HL7_MESSAGE_LOG, 1, COMPACT_DELETE, Duration.ofDays(HL7_MESSAGE_LOG_RETENTION_DAYS).toMillis(),
                "the HL7v2 adapter's memory: messages published (control id, content hash) and the last event per item",
                REPLICATION));
        return List.copyOf(all);
    }

    public static List<TopicSpec> all() {
        return ALL;
    }

    public static TopicSpec byName(String name) {
        return ALL.stream().filter(t -> t.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no such CareTrail topic: " + name));
    }
}
