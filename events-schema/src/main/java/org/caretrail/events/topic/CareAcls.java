package org.caretrail.events.topic;

import static org.apache.kafka.common.acl.AclOperation.ALL;
import static org.apache.kafka.common.acl.AclOperation.DELETE;
import static org.apache.kafka.common.acl.AclOperation.DESCRIBE;
import static org.apache.kafka.common.acl.AclOperation.READ;
import static org.apache.kafka.common.acl.AclOperation.WRITE;
import static org.apache.kafka.common.resource.PatternType.LITERAL;
import static org.apache.kafka.common.resource.PatternType.PREFIXED;
import static org.apache.kafka.common.resource.ResourceType.GROUP;
import static org.apache.kafka.common.resource.ResourceType.TOPIC;
import static org.apache.kafka.common.resource.ResourceType.TRANSACTIONAL_ID;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.caretrail.events.CareEventType;

/**
 * Who may do what on which topic: the Kafka ACLs of every {@link CarePrincipal}, declared once beside
 * the topics they name ({@link CareTopics}) and applied idempotently by {@code caretrail topics apply}
 * and {@code caretrail up}. The brokers run with {@code allow.everyone.if.no.acl.found=false}: what is
 * not granted here is refused.
 *
 * <table>
 * <caption>What each principal may do</caption>
 * <tr><th>principal</th><th>reads</th><th>writes</th><th>also</th></tr>
 * <tr><td>adapters</td><td>{@code care.hl7-message-log}</td><td>every care event topic, {@code care.dead-letter},
 *     {@code care.hl7-message-log}</td><td></td></tr>
 * <tr><td>timeline</td><td>every care event topic, {@code care.timeline-merge-moves}</td><td>{@code care.timelines},
 *     {@code care.timeline-changes}, {@code care.timeline-merge-moves}, {@code care.dead-letter}</td><td>everything
 *     under its application id prefix {@value #TIMELINE_APPLICATION_PREFIX}: internal topics (changelogs,
 *     repartitions), its consumer group, its transactional ids (exactly_once_v2)</td></tr>
 * <tr><td>subscriptions</td><td>{@code care.timeline-changes}, {@code care.subscriptions}</td><td>{@code
 *     care.subscriptions}, {@code care.deliveries}</td><td>consumer groups {@value #DELIVERY_GROUP_PREFIX}* (one
 *     per subscription; deleted with it)</td></tr>
 * <tr><td>audit</td><td></td><td>{@code care.access-audit}</td><td></td></tr>
 * <tr><td>analyst</td><td>every care event topic (consents and identities included)</td><td>nothing</td><td></td></tr>
 * <tr><td>admin</td><td colspan="3">a super user: it creates topics, principals and ACLs, which needs {@code ALTER}
 *     on the cluster, and that lets a principal grant itself anything; Kafka cannot make it less than a super
 *     user, so it is one openly. No running service uses it.</td></tr>
 * </table>
 * Every grant that lets a principal read or write a topic also lets it describe the topic (metadata, offsets).
 */
public final class CareAcls {

    /**
     * The prefix of the stream processor's application id ({@code caretrail-timeline-v3} today, a new version
     * later): its internal topics, consumer group and transactional ids all start with it.
     */
    public static final String TIMELINE_APPLICATION_PREFIX = "caretrail-timeline";
    /** The prefix of the subscriptions' consumer groups (one per subscription). */
    public static final String DELIVERY_GROUP_PREFIX = "caretrail-delivery-";

    private static final List<AclBinding> ALL_GRANTS = build();

    private CareAcls() {
    }

    /** Every ACL CareTrail declares, in a stable order. */
    public static List<AclBinding> all() {
        return ALL_GRANTS;
    }

    /** The ACLs of one principal. */
    public static List<AclBinding> of(CarePrincipal principal) {
        return ALL_GRANTS.stream().filter(b -> b.entry().principal().equals(principal.kafkaPrincipal())).toList();
    }

    /** The principals that are Kafka super users besides the brokers' own ({@link CarePrincipal#BROKER}). */
    public static List<CarePrincipal> superUsers() {
        return List.of(CarePrincipal.ADMIN);
    }

    private static List<AclBinding> build() {
        List<String> events = Arrays.stream(CareEventType.values()).map(CareEventType::topic).toList();
        List<AclBinding> all = new ArrayList<>();

        CarePrincipal adapters = CarePrincipal.ADAPTERS;
        events.forEach(t -> all.addAll(topic(adapters, t, WRITE)));
        all.addAll(topic(adapters, CareTopics.DEAD_LETTER, WRITE));
        all.addAll(topic(adapters, CareTopics.HL7_MESSAGE_LOG, READ, WRITE));

        CarePrincipal timeline = CarePrincipal.TIMELINE;
        events.forEach(t -> all.addAll(topic(timeline, t, READ)));
        all.addAll(topic(timeline, CareTopics.TIMELINES, WRITE));
        all.addAll(topic(timeline, CareTopics.TIMELINE_CHANGES, WRITE));
        all.addAll(topic(timeline, CareTopics.TIMELINE_MERGE_MOVES, READ, WRITE));
        all.addAll(topic(timeline, CareTopics.DEAD_LETTER, WRITE));
        all.add(grant(timeline, TOPIC, TIMELINE_APPLICATION_PREFIX, PREFIXED, ALL));
        all.add(grant(timeline, GROUP, TIMELINE_APPLICATION_PREFIX, PREFIXED, ALL));
        all.add(grant(timeline, TRANSACTIONAL_ID, TIMELINE_APPLICATION_PREFIX, PREFIXED, ALL));

        CarePrincipal subscriptions = CarePrincipal.SUBSCRIPTIONS;
        all.addAll(topic(subscriptions, CareTopics.TIMELINE_CHANGES, READ));
        all.addAll(topic(subscriptions, CareTopics.SUBSCRIPTIONS, READ, WRITE));
        all.addAll(topic(subscriptions, CareTopics.DELIVERIES, WRITE));
        Stream.of(READ, DESCRIBE, DELETE).forEach(op ->
                all.add(grant(subscriptions, GROUP, DELIVERY_GROUP_PREFIX, PREFIXED, op)));

        all.addAll(topic(CarePrincipal.AUDIT, CareTopics.ACCESS_AUDIT, WRITE));

        events.forEach(t -> all.addAll(topic(CarePrincipal.ANALYST, t, READ)));
        return List.copyOf(all);
    }

    /** {@code operations} on one topic, and DESCRIBE (metadata, offsets) with them. */
    private static List<AclBinding> topic(CarePrincipal principal, String topic, AclOperation... operations) {
        if (CareTopics.all().stream().noneMatch(s -> s.name().equals(topic))) {
            throw new IllegalArgumentException("an ACL names " + topic + ", which is not a CareTrail topic");
        }
        List<AclBinding> grants = new ArrayList<>();
        for (AclOperation op : operations) {
            grants.add(grant(principal, TOPIC, topic, LITERAL, op));
        }
        grants.add(grant(principal, TOPIC, topic, LITERAL, DESCRIBE));
        return grants;
    }

    private static AclBinding grant(CarePrincipal principal, ResourceType type, String name, PatternType pattern,
            AclOperation operation) {
        return new AclBinding(new ResourcePattern(type, name, pattern),
                new AccessControlEntry(principal.kafkaPrincipal(), "*", operation, AclPermissionType.ALLOW));
    }
}
