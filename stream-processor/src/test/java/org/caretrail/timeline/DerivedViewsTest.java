package org.caretrail.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.timeline.CareEventFixtures.T0;
import static org.caretrail.timeline.CareEventFixtures.admission;
import static org.caretrail.timeline.CareEventFixtures.appointment;
import static org.caretrail.timeline.CareEventFixtures.attendance;
import static org.caretrail.timeline.CareEventFixtures.death;
import static org.caretrail.timeline.CareEventFixtures.nhs;
import static org.caretrail.timeline.CareEventFixtures.prescription;
import static org.caretrail.timeline.CareEventFixtures.referral;
import static org.caretrail.timeline.CareEventFixtures.registration;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The derived views of the summary (design rule 6), through the topology. */
class DerivedViewsTest {

    private static final String PATIENT = nhs(21);
    @TempDir
    Path stateDir;
    TimelineDriver t;

    @BeforeEach
    void start() {
        t = new TimelineDriver(stateDir);
    }

    @AfterEach
    void stop() {
        t.close();
    }

    private TimelineSummary summary() {
        return t.reader().summary(PATIENT).orElseThrow();
    }

    @Test
    void openReferralsLeaveOutClosedAndCancelledOnes() {
        t.publish(referral(PATIENT, "ref-1", Action.NEW, 1, T0, "open", "r1"),
                referral(PATIENT, "ref-2", Action.NEW, 1, T0, "open", "r2"),
                referral(PATIENT, "ref-2", Action.UPDATE, 2, T0, "completed", "r2-done"),
                referral(PATIENT, "ref-3", Action.NEW, 1, T0, "open", "r3"),
                referral(PATIENT, "ref-3", Action.CANCEL, 2, T0, "open", "r3-cancel"));
        assertThat(summary().getOpenReferrals()).extracting(TimelineEntry::getSubjectId).containsExactly("ref-1");
    }

    @Test
    void currentPrescriptionsLeaveOutEndedOnes() {
        Instant future = Instant.now().plus(Duration.ofDays(30));
        t.publish(prescription(PATIENT, "rx-1", Action.NEW, 1, T0, null, "rx1"),
                prescription(PATIENT, "rx-2", Action.NEW, 1, T0, T0.plus(Duration.ofDays(7)), "rx2"),
                prescription(PATIENT, "rx-3", Action.NEW, 1, T0, future, "rx3"));
        assertThat(summary().getCurrentPrescriptions()).extracting(TimelineEntry::getSubjectId)
                .containsExactlyInAnyOrder("rx-1", "rx-3");
    }

    @Test
    void theRegisteredPracticeIsTheLatestRegistration() {
        t.publish(registration(PATIENT, "A81001", T0, "registered", "reg1"),
                registration(PATIENT, "B82002", T0.plus(Duration.ofDays(10)), "registered", "reg2"));
        assertThat(summary().getRegisteredPracticeOdsCode()).isEqualTo("B82002");
        assertThat(summary().getRegisteredPracticeName()).isEqualTo("Practice B82002");
    }

    @Test
    void deathIsShownAndLaterActivityFlagged() {
        Instant died = T0.plus(Duration.ofDays(5));
        t.publish(attendance(PATIENT, "ae-1", T0, "before"),
                appointment(PATIENT, "A81001", ProviderKind.GP, "appt-1", Action.NEW, 1, died.plus(Duration.ofDays(2)),
                        "booked-after-death"));
        assertThat(summary().getDeceased()).isFalse();
        t.publish(death(PATIENT, died, "death"));
        TimelineSummary s = summary();
        assertThat(s.getDeceased()).isTrue();
        assertThat(s.getDiedAt()).isEqualTo(died);
        assertThat(s.getActivityAfterDeath()).containsExactly("APPOINTMENT|A81001|appt-1");
        // activity arriving after the death is flagged too
        t.publish(attendance(PATIENT, "ae-2", died.plus(Duration.ofDays(3)), "ae-after"));
        assertThat(summary().getActivityAfterDeath()).containsExactly("APPOINTMENT|A81001|appt-1", "ATTENDANCE|RJ1|ae-2");
    }

    @Test
    void countsFollowTheEntries() {
        t.publish(attendance(PATIENT, "ae-1", T0, "ae1"), attendance(PATIENT, "ae-2", T0.plusSeconds(60), "ae2"),
                admission(PATIENT, "spell-1", Action.NEW, 1, T0, "AMU", "adm"),
                admission(PATIENT, "spell-1", Action.CANCEL, 2, T0, "AMU", "adm-cancel"));
        TimelineSummary s = summary();
        assertThat(s.getAttendances()).isEqualTo(2);
        assertThat(s.getTotalEntries()).isEqualTo(3);
        assertThat(s.getCurrentEntries()).isEqualTo(2);
        assertThat(s.getWithdrawnEntries()).isEqualTo(1);
        assertThat(s.getFirstOccurredAt()).isEqualTo(T0);
        assertThat(s.getLastOccurredAt()).isEqualTo(T0.plusSeconds(60));
        assertThat(s.getSpells()).isEmpty();
        assertThat(t.reader().itemsOfType(PATIENT, EventType.ADMISSION)).hasSize(1);
    }
}
