package org.caretrail.timeline;

import static org.caretrail.timeline.CareEventFixtures.T0;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.timeline.domain.TimelineEntries;
import org.caretrail.timeline.domain.TimelineOrder;

/**
 * Generated care stories, as a sender tells them, and what the sender MEANT: the expected timeline is
 * computed here from the story itself (the last thing said about each item), never by running the
 * processor's rules.
 *
 * <p>A story is about one care item: a first event (NEW), then corrections (UPDATE), cancellations (CANCEL)
 * and re-issues (NEW after a cancel). It is told in one of two ways, as real senders do:
 * <ul>
 *   <li><b>linked</b>: every step names the event it corrects or withdraws ({@code supersedes}); versions are
 *       drawn at random, as skewed clocks give them (a cancel's version is often below its target's);
 *   <li><b>by version</b>: no links, each step's version above every earlier one (one sender's sequence).
 * </ul>
 * Some stories are an orphan cancel: a CANCEL of an event never sent (an adapter cancelling a visit it could
 * not class): such an item must stay invisible. Linked stories may resend a step under the same eventId with
 * another version (a resend through another route): the same event, counted once, shown with its lowest
 * version.
 */
final class CausalStories {

    private CausalStories() {
    }

    /** One step of a story. */
    record Step(Action action, long version, long resentVersion) {
    }

    /** One item's story; {@code kind} and {@code subject} name the item, {@code hour} its clinical time. */
    record Story(int kind, int source, int subject, int hour, boolean linked, boolean orphanCancel, List<Step> steps) {
    }

    /** A set of stories about distinct items. */
    static Arbitrary<List<Story>> stories(int maxItems) {
        Arbitrary<Step> step = Combinators.combine(Arbitraries.of(Action.UPDATE, Action.CANCEL, Action.NEW),
                Arbitraries.longs().between(1, 6), Arbitraries.longs().between(0, 6)).as(Step::new);
        Arbitrary<Story> story = Combinators.combine(
                Arbitraries.integers().between(0, 5),
                Arbitraries.integers().between(0, 1),
                Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(0, 48),
                Arbitraries.of(true, true, false),
                Arbitraries.of(false, false, false, false, true),
                step.list().ofMinSize(1).ofMaxSize(4)).as(Story::new);
        return story.list().ofMinSize(1).ofMaxSize(maxItems).map(CausalStories::distinctItems);
    }

    private static List<Story> distinctItems(List<Story> stories) {
        Map<String, Story> byItem = new LinkedHashMap<>();
        for (Story s : stories) {
            byItem.putIfAbsent(itemKey(s), s);
        }
        return List.copyOf(byItem.values());
    }

    /** Kinds 4 (referral) and 5 (prescription) have one source; the others two. */
    private static String itemKey(Story s) {
        return s.kind() + "|" + (s.kind() >= 4 ? 0 : s.source()) + "|" + s.subject();
    }

    /** One told event: the care event as published, and the step it tells. */
    record Told(SpecificRecord event, int storyIndex, int stepIndex, Action meaning) {
    }

    /**
     * The events a story's sender publishes for {@code nhs}, each once (resends with another version added
     * for linked stories); {@code tag} keeps eventIds distinct between tries.
     */
    static List<Told> tell(List<Story> stories, String nhs, String tag) {
        List<Told> told = new ArrayList<>();
        for (int i = 0; i < stories.size(); i++) {
            Story s = stories.get(i);
            if (s.orphanCancel()) {
                SpecificRecord cancel = event(nhs, s, Action.CANCEL, 1, tag + "-" + i + "-cancel");
                CareEvents.header(cancel).setSupersedes(CareEventFixtures.id(tag + "-" + i + "-never-sent"));
                told.add(new Told(cancel, i, 0, Action.CANCEL));
                continue;
            }
            List<Step> steps = steps(s);
            long highest = 0;
            String previous = null;
            for (int j = 0; j < steps.size(); j++) {
                Step step = steps.get(j);
                long version = s.linked() ? step.version() : highest + 1 + step.version() % 2;
                highest = Math.max(highest, version);
                SpecificRecord e = event(nhs, s, step.action(), version, tag + "-" + i + "-" + j);
                if (s.linked() && previous != null) {
                    CareEvents.header(e).setSupersedes(previous);
                }
                previous = CareEvents.header(e).getEventId();
                told.add(new Told(e, i, j, step.action()));
                if (s.linked() && step.resentVersion() > 0 && step.resentVersion() != version) {
                    SpecificRecord resent = SpecificData.get().deepCopy(e.getSchema(), e);
                    CareEvents.header(resent).setVersion(step.resentVersion());
                    told.add(new Told(resent, i, j, step.action()));
                }
            }
        }
        return told;
    }

    /** The story's steps: the first is always a NEW; a NEW later on is a re-issue. */
    private static List<Step> steps(Story s) {
        List<Step> steps = new ArrayList<>(s.steps());
        Step first = steps.get(0);
        steps.set(0, new Step(Action.NEW, first.version(), first.resentVersion()));
        return steps;
    }

    /**
     * What the senders meant, as the timeline must show it: for each item, its last step; a withdrawn item
     * shows its last statement before the cancel; orphan cancels show nothing. In timeline order; each entry's
     * {@code originNhsNumber} is {@code origin}.
     */
    static List<TimelineEntry> meant(List<Story> stories, List<Told> told, Map<Integer, String> originOfStory) {
        Map<String, Long> lowestVersion = new HashMap<>();
        for (Told t : told) {
            EventHeader h = CareEvents.header(t.event());
            lowestVersion.merge(h.getEventId(), h.getVersion(), Math::min);
        }
        List<TimelineEntry> meant = new ArrayList<>();
        for (int i = 0; i < stories.size(); i++) {
            Story s = stories.get(i);
            if (s.orphanCancel()) {
                continue;
            }
            int story = i;
            List<Told> mine = told.stream().filter(t -> t.storyIndex() == story).toList();
            int lastStep = mine.stream().mapToInt(Told::stepIndex).max().orElseThrow();
            Told last = mine.stream().filter(t -> t.stepIndex() == lastStep).findFirst().orElseThrow();
            TimelineEntry lastEntry = entry(last, lowestVersion, originOfStory.get(i));
            if (last.meaning() != Action.CANCEL) {
                meant.add(lastEntry);
                continue;
            }
            int lastStatement = mine.stream().filter(t -> t.meaning() != Action.CANCEL).mapToInt(Told::stepIndex)
                    .max().orElseThrow();
            Told stated = mine.stream().filter(t -> t.stepIndex() == lastStatement).findFirst().orElseThrow();
            meant.add(TimelineEntry.newBuilder(entry(stated, lowestVersion, originOfStory.get(i)))
                    .setStatus(EntryStatus.WITHDRAWN).setAction(Action.CANCEL)
                    .setEventId(lastEntry.getEventId()).setVersion(lastEntry.getVersion())
                    .setSupersedes(lastEntry.getSupersedes()).build());
        }
        meant.sort(TimelineOrder.ORDER);
        return meant;
    }

    /** True when the story of an admission item has a NEW (the admission itself, not only updates of it). */
    static Set<String> admissionsWithNew(List<Told> told) {
        Set<String> ids = new TreeSet<>();
        for (Told t : told) {
            if (CareEvents.header(t.event()).getAction() == Action.NEW) {
                ids.add(TimelineEntries.fromEvent(t.event()).getEntryId());
            }
        }
        return ids;
    }

    private static TimelineEntry entry(Told t, Map<String, Long> lowestVersion, String origin) {
        TimelineEntry e = TimelineEntries.fromEvent(t.event());
        return TimelineEntry.newBuilder(e).setVersion(lowestVersion.get(e.getEventId())).setOriginNhsNumber(origin)
                .build();
    }

    private static final String[] SOURCES = {"RJ1", "RYJ"};

    /** The care event of one step. */
    static SpecificRecord event(String nhs, Story s, Action action, long version, String name) {
        String ods = SOURCES[s.source()];
        Instant at = T0.plus(Duration.ofHours(s.hour()));
        String subject = "item-" + s.subject();
        SpecificRecord e = switch (s.kind()) {
            case 0 -> CareEventFixtures.admission(nhs, subject, action, version, at, "Ward " + s.hour(), name);
            case 1 -> CareEventFixtures.transfer(nhs, subject, "item-0", action, version, at, "AMU",
                    "Ward " + s.hour(), name);
            case 2 -> CareEventFixtures.discharge(nhs, subject, "item-0", action, version, at, "Home", name);
            case 3 -> CareEventFixtures.appointment(nhs, ods, ProviderKind.COMMUNITY, subject, action, version, at,
                    name);
            case 4 -> CareEventFixtures.referral(nhs, subject, action, version, at,
                    s.hour() % 2 == 0 ? "open" : "completed", name);
            default -> CareEventFixtures.prescription(nhs, subject, action, version, at, null, name);
        };
        if (s.kind() <= 3) {
            CareEvents.header(e).getSource().setOdsCode(ods);
        }
        // every step of a story says something new, so a later step is told apart from an earlier one
        CareEvents.header(e).setRecordedAt(at.plusSeconds(60 + (long) name.hashCode() % 50));
        return e;
    }

    /** The told events shuffled, with some repeated as they are (retries). */
    static List<SpecificRecord> arrivalOrder(List<Told> told, long seed) {
        Random random = new Random(seed);
        List<SpecificRecord> arriving = new ArrayList<>(told.stream().map(Told::event).toList());
        int repeats = random.nextInt(told.size() + 1);
        for (int i = 0; i < repeats; i++) {
            arriving.add(arriving.get(random.nextInt(told.size())));
        }
        java.util.Collections.shuffle(arriving, random);
        return arriving;
    }
}
