package org.caretrail.it.adapters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.producers.hl7.AdtMessageBuilder.adt;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.caretrail.events.model.EventType;
import org.caretrail.timeline.query.TimelinePage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Identity over MLLP, end to end: a PID-3 that pairs an NHS number with a hospital number links
 * them; merges by hospital number alone (MRG-1 = the retiring MRN, the usual NHS form: HL7 v2.5.1
 * 3.3.40, issue 8 item 5), their undoing (A37), and a replaced NHS number (A47).
 */
@Tag("integration")
class Hl7IdentityIT {

    static Hl7TimelineFixture hl7;
    static final Instant DAY = Instant.now().minus(4, ChronoUnit.DAYS).truncatedTo(ChronoUnit.DAYS);

    @BeforeAll
    static void start() throws Exception {
        hl7 = new Hl7TimelineFixture("hl7-identity");
    }

    @AfterAll
    static void stop() throws Exception {
        if (hl7 != null) {
            hl7.close();
        }
    }

    @Test
    void events_known_only_by_hospital_number_join_the_timeline_once_a_pid_3_pairs_it_with_the_nhs_number()
            throws Exception {
        String nhs = Hl7TimelineFixture.nhsNumber(300110);
        Instant admitted = DAY.plusSeconds(3 * 3600);
        // an unconscious patient: the PAS knows only its hospital number
        hl7.accepted(adt("A01", "ID-A01", admitted).facility("RJ1").localId("43000110", "MRENTR").visitNumber("IV1")
                .location("RESUS", "RJ100").admitTime(admitted).build());
        // traced: an update whose PID-3 carries both numbers
        hl7.accepted(adt("A08", "ID-A08", admitted.plusSeconds(5 * 3600)).facility("RJ1").nhsNumber(nhs)
                .localId("43000110", "MRENTR").visitNumber("IV1").location("WARD 3", "RJ100").admitTime(admitted)
                .build());

        TimelinePage page = hl7.timelineOf(nhs, p -> !p.summary().getSpells().isEmpty()
                && "WARD 3".equals(p.summary().getSpells().get(0).getCurrentWard()));
        assertThat(page.entries()).filteredOn(e -> e.getType() == EventType.ADMISSION).hasSize(1);
        assertThat(page.summary().getSpells().get(0).getAdmittedAt()).isEqualTo(admitted);
    }

    @Test
    void a_replaced_nhs_number_a47_moves_the_timeline_to_the_new_number() throws Exception {
        String wrong = Hl7TimelineFixture.nhsNumber(300120);
        String right = Hl7TimelineFixture.nhsNumber(300130);
        Instant admitted = DAY.plusSeconds(5 * 3600);
        hl7.accepted(adt("A01", "CH-A01", admitted).facility("RJ1").nhsNumber(wrong).localId("43000120", "MRENTR")
                .visitNumber("CV1").location("WARD 4", "RJ100").admitTime(admitted).build());
        hl7.accepted(adt("A47", "CH-A47", admitted.plusSeconds(3600)).facility("RJ1").nhsNumber(right)
                .localId("43000120", "MRENTR").withoutPv1().merged(wrong + "^^^NHS^NH").build());

        TimelinePage page = hl7.timelineOf(right, p -> !p.summary().getSpells().isEmpty());
        assertThat(page.summary().getSpells().get(0).getSpellId()).isEqualTo("CV1");
        assertThat(hl7.page(wrong)).as("the replaced number's timeline is gone").isEmpty();
    }

    @Test
    void an_a40_by_hospital_number_alone_moves_the_retired_records_entries_and_a37_moves_them_back() throws Exception {
        String survivor = Hl7TimelineFixture.nhsNumber(300140);
        String retired = Hl7TimelineFixture.nhsNumber(300150);
        Instant t0 = DAY.plusSeconds(7 * 3600);
        // a duplicate registration: the same person under another hospital number and NHS number
        hl7.accepted(adt("A01", "MR-A01a", t0).facility("RJ1").nhsNumber(retired).localId("43000150", "MRENTR")
                .visitNumber("MV1").location("WARD 5", "RJ100").admitTime(t0).build());
        hl7.accepted(adt("A01", "MR-A01b", t0.plusSeconds(86400)).facility("RJ1").nhsNumber(survivor)
                .localId("43000140", "MRENTR").visitNumber("MV2").location("WARD 6", "RJ100")
                .admitTime(t0.plusSeconds(86400)).build());
        hl7.timelineOf(retired, p -> !p.entries().isEmpty());
        String a40 = String.join("\r",
                "MSH|^~\\&|PAS|RJ1|CARETRAIL|CARETRAIL|" + org.caretrail.producers.hl7.AdtMessageBuilder.hl7Time(
                        t0.plusSeconds(2 * 86400)) + "||ADT^A40^ADT_A39|MR-A40|P|2.5.1",
                "EVN|A40|" + org.caretrail.producers.hl7.AdtMessageBuilder.hl7Time(t0.plusSeconds(2 * 86400)),
                "PID|||" + survivor + "^^^NHS^NH~43000140^^^MRENTR^MEDREC||SMITH^JANE||19400101|F",
                "MRG|43000150^^^MRENTR^MEDREC") + "\r";
        hl7.accepted(a40);

        TimelinePage merged = hl7.timelineOf(survivor, p -> p.summary().getSpells().size() == 2);
        assertThat(merged.summary().getSpells()).extracting(s -> s.getSpellId()).containsExactlyInAnyOrder("MV1", "MV2");
        assertThat(hl7.page(retired)).as("the retired number's timeline moved to the survivor").isEmpty();

        String a37 = String.join("\r",
                "MSH|^~\\&|PAS|RJ1|CARETRAIL|CARETRAIL|" + org.caretrail.producers.hl7.AdtMessageBuilder.hl7Time(
                        t0.plusSeconds(3 * 86400)) + "||ADT^A37^ADT_A37|MR-A37|P|2.5.1",
                "EVN|A37|" + org.caretrail.producers.hl7.AdtMessageBuilder.hl7Time(t0.plusSeconds(3 * 86400)),
                "PID|||" + survivor + "^^^NHS^NH~43000140^^^MRENTR^MEDREC||SMITH^JANE||19400101|F",
                "PID|||43000150^^^MRENTR^MEDREC||SMITH^JANE||19400101|F") + "\r";
        hl7.accepted(a37);

        TimelinePage unmerged = hl7.timelineOf(survivor, p -> p.summary().getSpells().size() == 1);
        assertThat(unmerged.summary().getSpells().get(0).getSpellId()).isEqualTo("MV2");
        TimelinePage back = hl7.timelineOf(retired, p -> !p.summary().getSpells().isEmpty());
        assertThat(back.summary().getSpells().get(0).getSpellId()).isEqualTo("MV1");
    }
}
