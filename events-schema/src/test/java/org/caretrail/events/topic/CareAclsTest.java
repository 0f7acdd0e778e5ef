package org.caretrail.events.topic;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.caretrail.events.CareEventType;
import org.junit.jupiter.api.Test;

class CareAclsTest {

    private static boolean allows(CarePrincipal who, AclOperation op, String topic) {
        return CareAcls.of(who).stream().anyMatch(b -> b.pattern().resourceType() == ResourceType.TOPIC
                && (b.pattern().patternType() == PatternType.LITERAL ? b.pattern().name().equals(topic)
                        : topic.startsWith(b.pattern().name()))
                && (b.entry().operation() == op || b.entry().operation() == AclOperation.ALL));
    }

    @Test
    void anAnalystReadsTheCareEventTopicsAndConsentsAndWritesNothing() {
        for (CareEventType type : CareEventType.values()) {
            assertThat(allows(CarePrincipal.ANALYST, AclOperation.READ, type.topic())).as(type.topic()).isTrue();
        }
        assertThat(allows(CarePrincipal.ANALYST, AclOperation.READ, "care.consents")).isTrue();
        assertThat(CareAcls.of(CarePrincipal.ANALYST)).extracting(b -> b.entry().operation())
                .containsOnly(AclOperation.READ, AclOperation.DESCRIBE);
        for (String notForAnalysts : List.of(CareTopics.ACCESS_AUDIT, CareTopics.TIMELINES, CareTopics.SUBSCRIPTIONS,
                CareTopics.DELIVERIES, CareTopics.DEAD_LETTER, CareTopics.HL7_MESSAGE_LOG, CareTopics.TIMELINE_CHANGES)) {
            assertThat(allows(CarePrincipal.ANALYST, AclOperation.READ, notForAnalysts)).as(notForAnalysts).isFalse();
            assertThat(allows(CarePrincipal.ANALYST, AclOperation.DESCRIBE, notForAnalysts)).as(notForAnalysts).isFalse();
        }
    }

    @Test
    void eachWayInWritesOnlyWhatItsJobNeeds() {
        // the adapters publish care events but cannot read them back, nor touch timelines or audits
        assertThat(allows(CarePrincipal.ADAPTERS, AclOperation.WRITE, "care.admissions")).isTrue();
        assertThat(allows(CarePrincipal.ADAPTERS, AclOperation.READ, "care.admissions")).isFalse();
        assertThat(allows(CarePrincipal.ADAPTERS, AclOperation.WRITE, CareTopics.TIMELINES)).isFalse();
        assertThat(allows(CarePrincipal.ADAPTERS, AclOperation.WRITE, CareTopics.SUBSCRIPTIONS)).isFalse();
        // only subscriptions writes care.subscriptions (whoever writes it chooses where webhooks go)
        for (CarePrincipal p : CarePrincipal.values()) {
            if (p != CarePrincipal.SUBSCRIPTIONS && p != CarePrincipal.ADMIN) {
                assertThat(allows(p, AclOperation.WRITE, CareTopics.SUBSCRIPTIONS)).as(p.user()).isFalse();
            }
        }
        // only the audit writes the access audit, and nobody but the operator reads it
        for (CarePrincipal p : CarePrincipal.values()) {
            if (p != CarePrincipal.ADMIN) {
                assertThat(allows(p, AclOperation.WRITE, CareTopics.ACCESS_AUDIT)).as(p.user())
                        .isEqualTo(p == CarePrincipal.AUDIT);
                assertThat(allows(p, AclOperation.READ, CareTopics.ACCESS_AUDIT)).as(p.user()).isFalse();
            }
        }
        // the audit writes nothing else
        assertThat(CareAcls.of(CarePrincipal.AUDIT)).allMatch(b -> b.pattern().name().equals(CareTopics.ACCESS_AUDIT));
    }

    @Test
    void theStreamProcessorOwnsItsApplicationIdPrefixForInternalTopicsGroupsAndTransactions() {
        String changelog = "caretrail-timeline-v2-timeline-items-changelog";
        assertThat(allows(CarePrincipal.TIMELINE, AclOperation.CREATE, changelog)).isTrue();
        assertThat(allows(CarePrincipal.TIMELINE, AclOperation.WRITE, CareTopics.TIMELINES)).isTrue();
        assertThat(CareAcls.of(CarePrincipal.TIMELINE)).filteredOn(b -> b.pattern().patternType() == PatternType.PREFIXED)
                .extracting(b -> b.pattern().resourceType())
                .containsExactlyInAnyOrder(ResourceType.TOPIC, ResourceType.GROUP, ResourceType.TRANSACTIONAL_ID);
        // a prefix that would also cover the care topics would be a hole
        assertThat(CareAcls.all()).filteredOn(b -> b.pattern().patternType() == PatternType.PREFIXED)
                .allMatch(b -> !"care.admissions".startsWith(b.pattern().name()));
    }

    @Test
    void everyGrantIsAnAllowOfANamedCareTrailPrincipalAndTheOperatorNeedsNone() {
        Set<String> principals = new HashSet<>();
        for (CarePrincipal p : CarePrincipal.values()) {
            principals.add(p.kafkaPrincipal());
        }
        assertThat(CareAcls.all()).allMatch(b -> b.entry().permissionType() == AclPermissionType.ALLOW)
                .allMatch(b -> principals.contains(b.entry().principal()))
                .allMatch(b -> b.entry().host().equals("*"))
                .doesNotHaveDuplicates();
        assertThat(CareAcls.of(CarePrincipal.ADMIN)).isEmpty();
        assertThat(CareAcls.superUsers()).containsExactly(CarePrincipal.ADMIN);
    }

    @Test
    void everyCareTrailTopicHasAWriterAndEveryGrantNamesADeclaredTopic() {
        for (TopicSpec topic : CareTopics.all()) {
            boolean written = false;
            for (CarePrincipal p : CarePrincipal.values()) {
                written |= allows(p, AclOperation.WRITE, topic.name());
            }
            assertThat(written).as(topic.name() + " has a writer").isTrue();
        }
        Set<String> names = new HashSet<>();
        CareTopics.all().forEach(t -> names.add(t.name()));
        List<AclBinding> literalTopics = CareAcls.all().stream()
                .filter(b -> b.pattern().resourceType() == ResourceType.TOPIC
                        && b.pattern().patternType() == PatternType.LITERAL).toList();
        assertThat(literalTopics).allMatch(b -> names.contains(b.pattern().name()));
    }
}
