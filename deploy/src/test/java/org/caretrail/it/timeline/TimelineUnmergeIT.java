package org.caretrail.it.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.caretrail.it.timeline.TimelineFaultFixture.daysAgo;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.utils.Utils;
import org.caretrail.events.CareEvents;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.timeline.TimelineApplication;
import org.caretrail.timeline.query.TimelineQuery;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 8 item 5 on the real broker, across partitions: an A40 by hospital number alone moves the entries of
 * the NHS number the MRN is linked to; an A37 undoes it and gives every entry back, also those that arrived
 * after the merge (the request to give them back and the entries travel the moves topic between partitions).
 */
@Tag("integration")
class TimelineUnmergeIT {

    private static TimelineFaultFixture fx;

    @BeforeAll
    static void start() {
        fx = new TimelineFaultFixture();
    }

    @AfterAll
    static void stop() {
        if (fx != null) {
            fx.close();
        }
    }

    @Test
    void anA40ByHospitalNumberThenAnA37AcrossPartitions() throws Exception {
        String old = patientInPartition(0);
        String survivor = patientInPartition(2);
        LocalIdentifier mrn = new LocalIdentifier("RJ1-MRN", "M" + UUID.randomUUID());
        Instant t0 = daysAgo(6);
        Attendance oldFirst = attendance(old, t0);
        Attendance survivorOwn = attendance(survivor, t0.plusSeconds(3600));
        fx.send(oldFirst, survivorOwn, link(old, mrn, t0));
        try (TimelineFaultFixture.Running running = fx.start(fx.settings("it-unmerge"))) {
            TimelineApplication app = running.app();
            await().atMost(Duration.ofSeconds(90)).until(() -> entries(app, old).size() == 1
                    && entries(app, survivor).size() == 1);
            // A40: MRG-1 = the MRN only
            PatientIdentity a40 = identity(survivor, t0.plusSeconds(7200), Action.NEW);
            a40.setKind(IdentityKind.MERGE);
            a40.setLocalId(mrn);
            fx.send(a40);
            await().atMost(Duration.ofSeconds(90)).until(() -> entries(app, survivor).size() == 2);
            assertThat(entries(app, survivor)).containsExactly(eventId(oldFirst), eventId(survivorOwn));
            assertThat(app.queries().mergedInto(old)).contains(survivor);
            // an event for the old number after the merge follows it
            Attendance afterMerge = attendance(old, t0.plusSeconds(9000));
            fx.send(afterMerge);
            await().atMost(Duration.ofSeconds(60)).until(() -> entries(app, survivor).size() == 3);

            // A37: the merge is undone, its clock behind the A40's
            PatientIdentity a37 = identity(survivor, t0.plusSeconds(10_000), Action.CANCEL);
            a37.setKind(IdentityKind.MERGE);
            a37.setLocalId(mrn);
            a37.getHeader().setVersion(0);
            a37.getHeader().setSupersedes(a40.getHeader().getEventId());
            fx.send(a37);
            await().atMost(Duration.ofSeconds(90)).until(() -> entries(app, old).size() == 2
                    && entries(app, survivor).size() == 1);
            assertThat(entries(app, old)).containsExactly(eventId(oldFirst), eventId(afterMerge));
            assertThat(entries(app, survivor)).containsExactly(eventId(survivorOwn));
            assertThat(app.queries().mergedInto(old)).isEmpty();
        }
    }

    private static List<String> entries(TimelineApplication app, String nhs) {
        try {
            return app.queries().page(new TimelineQuery(nhs, null, null, null, 0, 1000, false))
                    .map(p -> p.entries().stream().map(e -> e.getEventId()).toList()).orElse(List.of());
        } catch (org.apache.kafka.streams.errors.InvalidStateStoreException e) {
            return List.of("not queryable yet");
        }
    }

    /** A valid synthetic NHS number whose key lands in {@code partition} (default partitioner). */
    private static String patientInPartition(int partition) {
        for (int s = 100_000 + (int) (Math.random() * 400_000); ; s++) {
            var n = NhsNumber.withCheckDigit(String.format("999%06d", s));
            if (n.isPresent() && Utils.toPositive(Utils.murmur2(n.get().value().getBytes(StandardCharsets.UTF_8)))
                    % CareTopics.PARTITIONS == partition) {
                return n.get().value();
            }
        }
    }

    private static String eventId(SpecificRecord e) {
        return CareEvents.header(e).getEventId();
    }

    private static EventHeader eventHeader(String nhs, Instant at, Action action) {
        return EventHeader.newBuilder()
                .setEventId(UUID.randomUUID().toString()).setAction(action)
                .setSubjectId("item-" + UUID.randomUUID()).setVersion(at.toEpochMilli())
                .setOccurredAt(at).setRecordedAt(at.plusSeconds(30))
                .setSource(new Source("RJ1", null, ProviderKind.ACUTE, "it"))
                .setPatient(PatientRef.newBuilder().setNhsNumber(nhs).build())
                .setSensitivity(Sensitivity.NORMAL).build();
    }

    private static Attendance attendance(String nhs, Instant at) {
        return Attendance.newBuilder().setHeader(eventHeader(nhs, at, Action.NEW)).setDepartment("ED").build();
    }

    private static PatientIdentity link(String nhs, LocalIdentifier local, Instant at) {
        return PatientIdentity.newBuilder().setHeader(eventHeader(nhs, at, Action.NEW)).setKind(IdentityKind.LINK)
                .setNhsNumber(nhs).setLocalId(local).build();
    }

    private static PatientIdentity identity(String survivor, Instant at, Action action) {
        EventHeader h = eventHeader(survivor, at, action);
        h.setSubjectId("merge/RJ1-MRN");
        return PatientIdentity.newBuilder().setHeader(h).setKind(IdentityKind.MERGE).setNhsNumber(survivor).build();
    }
}
