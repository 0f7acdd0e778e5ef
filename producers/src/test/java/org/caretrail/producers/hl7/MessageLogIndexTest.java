package org.caretrail.producers.hl7;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.caretrail.events.CareEventType;
import org.caretrail.events.model.Action;
import org.junit.jupiter.api.Test;

/** The message log's in-memory copy: repeats, reused control ids, and its bounds in count and age. */
class MessageLogIndexTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-20T09:00:00Z"));

    private static PublishedItem item(String subject, String visit, String eventId, Instant at) {
        return new PublishedItem(new PublishedItem.Key("RJ1", CareEventType.ADMISSION, subject), visit, eventId, null,
                Action.NEW, at, null, at);
    }

    @Test
    void the_same_control_id_is_a_repeat_only_with_the_same_content() {
        MessageLogIndex index = new MessageLogIndex(100, Duration.ofDays(30), clock);
        assertThat(index.seen("k1", "h1")).isEqualTo(MessageLogIndex.Seen.NEW);
        index.message("k1", "h1", clock.instant());
        assertThat(index.seen("k1", "h1")).isEqualTo(MessageLogIndex.Seen.REPEAT);
        assertThat(index.seen("k1", "h2")).isEqualTo(MessageLogIndex.Seen.CONTROL_ID_REUSED);
        index.message("k1", "h2", clock.instant());
        assertThat(index.seen("k1", "h2")).isEqualTo(MessageLogIndex.Seen.REPEAT);
    }

    @Test
    void at_most_max_entries_are_held_the_least_recently_used_going_first() {
        MessageLogIndex index = new MessageLogIndex(3, Duration.ofDays(30), clock);
        for (int i = 1; i <= 3; i++) {
            index.message("k" + i, "h", clock.instant());
            index.item(item("V" + i, "V" + i, "e" + i, clock.instant()));
        }
        index.seen("k1", "h");                                        // k1 used: k2 is now the eldest
        index.item(new PublishedItem.Key("RJ1", CareEventType.ADMISSION, "V1"));
        index.message("k4", "h", clock.instant());
        index.item(item("V4", "V4", "e4", clock.instant()));

        assertThat(index.messageCount()).isEqualTo(3);
        assertThat(index.seen("k2", "h")).as("forgotten: a miss").isEqualTo(MessageLogIndex.Seen.NEW);
        assertThat(index.seen("k1", "h")).isEqualTo(MessageLogIndex.Seen.REPEAT);
        assertThat(index.itemCount()).isEqualTo(3);
        assertThat(index.item(new PublishedItem.Key("RJ1", CareEventType.ADMISSION, "V2"))).isEmpty();
        assertThat(index.ofVisit("RJ1", "V2")).as("the visit index follows").isEmpty();
        assertThat(index.ofVisit("RJ1", "V1")).extracting(PublishedItem::eventId).containsExactly("e1");
    }

    @Test
    void nothing_older_than_max_age_is_known() {
        MessageLogIndex index = new MessageLogIndex(100, Duration.ofDays(30), clock);
        index.message("k1", "h", clock.instant());
        index.item(item("V1", "V1", "e1", clock.instant()));
        index.message("old", "h", clock.instant().minus(Duration.ofDays(31)));
        assertThat(index.seen("old", "h")).as("too old to be held at all").isEqualTo(MessageLogIndex.Seen.NEW);

        clock.advance(Duration.ofDays(31));

        assertThat(index.seen("k1", "h")).isEqualTo(MessageLogIndex.Seen.NEW);
        assertThat(index.item(new PublishedItem.Key("RJ1", CareEventType.ADMISSION, "V1"))).isEmpty();
        assertThat(index.ofVisit("RJ1", "V1")).isEmpty();
    }

    @Test
    void a_later_publication_of_an_item_wins_over_an_earlier_one_read_late() {
        MessageLogIndex index = new MessageLogIndex(100, Duration.ofDays(30), clock);
        Instant now = clock.instant();
        index.item(item("V1", "V1", "later", now));
        index.item(item("V1", "V1", "earlier", now.minusSeconds(5)));   // another instance's older write, read now
        assertThat(index.item(new PublishedItem.Key("RJ1", CareEventType.ADMISSION, "V1")))
                .hasValueSatisfying(i -> assertThat(i.eventId()).isEqualTo("later"));
    }

    private static final class MutableClock extends Clock {
        private Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
