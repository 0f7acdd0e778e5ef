package org.caretrail.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.timeline.CareEventFixtures.T0;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEvents;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;
import org.caretrail.timeline.CausalStories.Story;
import org.caretrail.timeline.CausalStories.Told;
import org.caretrail.timeline.domain.TimelineSummaries;

/**
 * Design rule 2, proven, with clocks that disagree.
 *
 * <ol>
 *   <li>For generated care stories ({@link CausalStories}: corrections, cancels and re-issues that name what
 *       they follow with versions drawn at random, as skewed clocks give them; stories told by version alone;
 *       cancels of events never sent; resends of one event with another version), every arrival order, with
 *       events repeated, shows what the senders MEANT: the expected timeline is computed from the stories, not
 *       by the processor's rules.
 *   <li>For arbitrary event sets (any versions, ties, and {@code supersedes} links between any of them, forged
 *       cycles included), two arrival orders give the identical timeline: history, summary, care.timelines
 *       record, as-of.
 * </ol>
 * One TopologyTestDriver serves every try; each try publishes for patients of its own.
 */
class TimelineOrderIndependenceTest {

    private static Path stateDir;
    private static TimelineDriver driver;
    private static final AtomicInteger PATIENTS = new AtomicInteger(100);
    private static final AtomicInteger TRIES = new AtomicInteger();

    @BeforeContainer
    static void start() throws IOException {
        stateDir = Files.createTempDirectory("timeline-property");
        driver = new TimelineDriver(stateDir);
    }

    @AfterContainer
    static void stop() throws IOException {
        driver.close();
        try (Stream<Path> files = Files.walk(stateDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    @Provide
    Arbitrary<List<Story>> stories() {
        return CausalStories.stories(10);
    }

    @Property(tries = 150)
    void whatTheSendersMeantShowsWhateverTheClocksAndTheArrivalOrder(@ForAll("stories") List<Story> stories,
            @ForAll long seed) {
        String patient = freshPatient();
        List<Told> told = CausalStories.tell(stories, patient, "story-" + TRIES.incrementAndGet());
        Map<Integer, String> origin = new HashMap<>();
        for (int i = 0; i < stories.size(); i++) {
            origin.put(i, patient);
        }
        List<TimelineEntry> meant = CausalStories.meant(stories, told, origin);
        Set<String> admissions = CausalStories.admissionsWithNew(told);

        driver.publish(CausalStories.arrivalOrder(told, seed));

        assertThat(driver.history(patient)).as("history=true, in timeline order").isEqualTo(meant);
        if (meant.isEmpty()) {
            assertThat(driver.reader().summary(patient)).as("only cancels of things never shown: no timeline")
                    .isEmpty();
        } else {
            TimelineSummary expected = TimelineSummaries.of(meant, e -> admissions.contains(e.getEntryId()),
                    Instant.now());
            assertThat(json(driver.reader().summary(patient).orElseThrow())).isEqualTo(json(expected));
            Timeline record = latest().get(patient);
            List<TimelineEntry> current = meant.stream().filter(e -> e.getStatus() == EntryStatus.CURRENT).toList();
            assertThat(record.getEntries()).isEqualTo(current.subList(Math.max(0, current.size() - 100),
                    current.size()));
        }
        assertThat(driver.reader().asOf(patient, T0.plus(Duration.ofDays(30)))).isEqualTo(meant);
        driver.changes.readValuesToList();
    }

    /** One generated event with an optional link to another of the set (which may form a cycle). */
    record Spec(int kind, int source, int subject, Action action, long version, int hour, int eventNo, int link) {
    }

    @Provide
    Arbitrary<List<Spec>> eventSets() {
        Arbitrary<Spec> spec = Combinators.combine(
                Arbitraries.integers().between(0, 5),
                Arbitraries.integers().between(0, 1),
                Arbitraries.integers().between(0, 2),
                Arbitraries.of(Action.NEW, Action.NEW, Action.UPDATE, Action.CANCEL),
                Arbitraries.longs().between(1, 3),
                Arbitraries.integers().between(0, 48),
                Arbitraries.integers().between(0, 1_000_000),
                Arbitraries.integers().between(-6, 13)).as(Spec::new);
        return spec.list().ofMinSize(1).ofMaxSize(14);
    }

    @Property(tries = 100)
    void anySetOfEventsAndLinksGivesOneTimelineWhateverTheArrivalOrder(@ForAll("eventSets") List<Spec> specs,
            @ForAll long seed) {
        String first = freshPatient();
        String second = freshPatient();
        List<SpecificRecord> inOrder = events(first, specs);
        Random random = new Random(seed);
        List<SpecificRecord> shuffled = new ArrayList<>(events(second, specs));
        int repeats = random.nextInt(specs.size() + 1);
        for (int i = 0; i < repeats; i++) {
            shuffled.add(shuffled.get(random.nextInt(specs.size())));
        }
        java.util.Collections.shuffle(shuffled, random);

        driver.publish(inOrder);
        driver.publish(shuffled);

        assertThat(withOrigin(driver.history(second), first)).isEqualTo(driver.history(first));
        assertThat(driver.reader().summary(second).map(TimelineOrderIndependenceTest::json)
                .map(j -> j.toString().replace(second, first)))
                .isEqualTo(driver.reader().summary(first).map(s -> json(s).toString()));
        Map<String, Timeline> timelines = latest();
        if (timelines.containsKey(first)) {
            assertThat(withOrigin(timelines.get(second).getEntries(), first))
                    .isEqualTo(timelines.get(first).getEntries());
            assertThat(timelines.get(second).getTruncated()).isEqualTo(timelines.get(first).getTruncated());
        }
        Instant afterAll = T0.plus(Duration.ofDays(30));
        assertThat(withOrigin(driver.reader().asOf(second, afterAll), first)).isEqualTo(driver.history(first));
        driver.changes.readValuesToList();
    }

    private static List<SpecificRecord> events(String nhs, List<Spec> specs) {
        List<SpecificRecord> events = new ArrayList<>();
        for (Spec s : specs) {
            SpecificRecord e = CausalStories.event(nhs, new Story(s.kind(), s.source(), s.subject(), s.hour(), false,
                    false, List.of()), s.action(), s.version(), "event-" + s.eventNo());
            EventHeader h = CareEvents.header(e);
            h.setRecordedAt(T0.plus(Duration.ofHours(s.hour())).plusSeconds(60));
            if (s.link() >= 0 && s.link() < specs.size()) {
                h.setSupersedes(CareEventFixtures.id("event-" + specs.get(s.link()).eventNo()));
            }
            events.add(e);
        }
        return events;
    }

    private static Map<String, Timeline> latest() {
        Map<String, Timeline> latest = new HashMap<>();
        driver.timelines.readKeyValuesToList().forEach(kv -> latest.put(kv.key, kv.value));
        return latest;
    }

    /** The entries as they would be for another patient: only the origin differs. */
    private static List<TimelineEntry> withOrigin(List<TimelineEntry> entries, String nhs) {
        return entries.stream().map(e -> TimelineEntry.newBuilder(e).setOriginNhsNumber(nhs).build()).toList();
    }

    /** Avro's generated equals cannot compare arrays of records with optional timestamps; JSON trees can. */
    static JsonNode json(TimelineSummary s) {
        return CareEventJson.toJson(s);
    }

    /** A patient no earlier try used (seeds whose check digit computes to 10 are skipped, not reused). */
    private static String freshPatient() {
        while (true) {
            var n = org.caretrail.events.NhsNumber.withCheckDigit(String.format("999%06d", PATIENTS.getAndIncrement()));
            if (n.isPresent()) {
                return n.get().value();
            }
        }
    }
}
