package org.caretrail.timeline.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;
import org.junit.jupiter.api.Test;

/**
 * Incremental view upkeep ({@link TimelineSummaries#update}) always equals the full recomputation
 * ({@link TimelineSummaries#deriveViews}), including when bounded lists overflow and lose members.
 */
class TimelineSummariesTest {

    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
    private final Map<String, TimelineEntry> items = new LinkedHashMap<>();

    private final TimelineSummaries.ViewSource source = new TimelineSummaries.ViewSource() {
        @Override
        public Collection<TimelineEntry> itemsOfType(EventType type) {
            return items.values().stream().filter(e -> e.getType() == type).toList();
        }

        @Override
        public Collection<TimelineEntry> spellMembers(String odsCode, String spellId) {
            return items.values().stream().filter(e -> e.getType() == EventType.ADMISSION
                            || e.getType() == EventType.TRANSFER || e.getType() == EventType.DISCHARGE)
                    .filter(e -> e.getSource().getOdsCode().equals(odsCode)
                            && spellId.equals(HospitalSpells.spellId(e)))
                    .toList();
        }

        @Override
        public List<TimelineEntry> entriesAfter(Instant t, int limit) {
            return items.values().stream().filter(e -> e.getOccurredAt().isAfter(t))
                    .sorted(TimelineOrder.ORDER).limit(limit).toList();
        }
    };

    private static TimelineEntry entry(EventType type, String subject, int hour, EntryStatus status,
            Map<String, String> details) {
        return TimelineEntry.newBuilder()
                .setEntryId(TimelineEntries.entryId(type, "RJ1", subject)).setEventId("e-" + subject + "-" + status)
                .setType(type).setAction(status == EntryStatus.CURRENT ? Action.NEW : Action.CANCEL)
                .setSubjectId(subject).setVersion(1)
                .setOccurredAt(T0.plus(Duration.ofHours(hour))).setRecordedAt(T0.plus(Duration.ofHours(hour)))
                .setSource(new Source("RJ1", null, ProviderKind.ACUTE, null)).setSensitivity(Sensitivity.NORMAL)
                .setStatus(status).setSummary(type + " " + subject).setDetails(details).setLocalId(null).build();
    }

    private static String views(TimelineSummary s) {
        var json = CareEventJson.toJson(s);
        return json.get("spells") + " " + json.get("openReferrals") + " " + json.get("currentPrescriptions") + " "
                + json.get("registeredPracticeOdsCode") + " " + json.get("deceased") + " "
                + json.get("activityAfterDeath") + " " + json.get("medications") + " " + json.get("omitted");
    }

    @Test
    void incrementalViewsEqualTheFullRecomputationThroughOverflowAndWithdrawals() {
        Random random = new Random(7);
        TimelineSummary incremental = TimelineSummaries.empty();
        Map<String, Integer> hours = new HashMap<>();
        List<String> subjects = new ArrayList<>();
        Instant now = T0.plus(Duration.ofDays(10_000));
        for (int step = 0; step < 600; step++) {
            TimelineEntry after;
            int kind = random.nextInt(6);
            boolean withdraw = !subjects.isEmpty() && random.nextInt(5) == 0;
            boolean leave = !withdraw && !subjects.isEmpty() && random.nextInt(12) == 0;
            if (leave) {
                // an item leaves the timeline (an unmerge or a visit move took it to another patient)
                String gone = subjects.remove(random.nextInt(subjects.size()));
                TimelineEntry before = items.remove(gone);
                TimelineSummaries.update(incremental, before, null, source, now);
                TimelineSummary reference = TimelineSummaries.empty();
                TimelineSummaries.deriveViews(reference, source, now);
                assertThat(views(incremental)).as("after step %d (%s left)", step, gone).isEqualTo(views(reference));
                continue;
            }
            if (withdraw) {
                TimelineEntry old = items.get(subjects.get(random.nextInt(subjects.size())));
                after = TimelineEntry.newBuilder(old)
                        .setStatus(old.getStatus() == EntryStatus.CURRENT ? EntryStatus.WITHDRAWN : EntryStatus.CURRENT)
                        .build();
            } else {
                String subject = "s" + step;
                int hour = random.nextInt(2000);
                hours.put(subject, hour);
                String spell = "s" + random.nextInt(step + 1);
                after = switch (kind) {
                    case 0 -> entry(EventType.ADMISSION, subject, hour, EntryStatus.CURRENT, Map.of("ward", "W" + hour));
                    case 1 -> entry(EventType.TRANSFER, subject, hour, EntryStatus.CURRENT,
                            Map.of("spellId", spell, "toWard", "T" + hour));
                    case 2 -> entry(EventType.DISCHARGE, subject, hour, EntryStatus.CURRENT,
                            Map.of("spellId", spell, "destination", "Home"));
                    case 3 -> entry(EventType.REFERRAL, subject, hour, EntryStatus.CURRENT,
                            Map.of("status", random.nextBoolean() ? "open" : "completed"));
                    case 4 -> entry(EventType.PRESCRIPTION, subject, hour, EntryStatus.CURRENT,
                            Map.of("medication", "Medicine " + random.nextInt(70)));
                    default -> entry(EventType.DEATH, subject, hour + 1500, EntryStatus.CURRENT, Map.of());
                };
            }
            TimelineEntry before = items.get(after.getEntryId());
            items.put(after.getEntryId(), after);
            if (before == null) {
                subjects.add(after.getEntryId());
            }
            TimelineSummaries.update(incremental, before, after, source, now);

            TimelineSummary reference = TimelineSummaries.empty();
            TimelineSummaries.deriveViews(reference, source, now);
            assertThat(views(incremental)).as("after step %d (%s)", step, after.getEntryId())
                    .isEqualTo(views(reference));
        }
        assertThat(incremental.getSpells()).hasSize(TimelineSummaries.MAX_LISTED);
        assertThat(incremental.getOmitted()).containsKeys(TimelineSummaries.SPELLS);
    }
}
