package org.caretrail.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.timeline.CareEventFixtures.T0;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
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
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;
import org.caretrail.timeline.CausalStories.Story;
import org.caretrail.timeline.CausalStories.Told;
import org.caretrail.timeline.domain.TimelineSummaries;

/**
 * Design rules 2 and 4 together, with unmerges: care stories ({@link CausalStories}) published under the NHS
 * numbers of a chain (A → B → C → D), and for each link of the chain a merge story told in any order with
 * skewed clocks: a merge (MERGE or SUPERSEDE, by NHS number or by hospital number through a LINK), perhaps
 * undone (HL7 A37: a CANCEL naming it), perhaps done again (a NEW naming the cancel), or only an unmerge of a
 * merge never sent. Whatever the arrival order (events repeated), each number's timeline is what the senders
 * meant: every event on the number its own published number finally leads to, following the merges that
 * stand at the end, computed from the stories (not by the processor's rules).
 */
class PatientMergeOrderIndependenceTest {

    private static Path stateDir;
    private static TimelineDriver driver;
    private static final AtomicInteger PATIENTS = new AtomicInteger(300_000);
    private static final AtomicInteger TRIES = new AtomicInteger();

    @BeforeContainer
    static void start() throws IOException {
        stateDir = Files.createTempDirectory("timeline-merge-property");
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

    /**
     * The story of one link of the chain: how many times it is merged / undone / merged again (1: merged;
     * 2: merged then undone; 3: merged, undone, merged again; 0: only an unmerge of a merge never sent),
     * each step's version (skewed), SUPERSEDE rather than MERGE, and whether it is told by hospital number.
     */
    record MergeStory(int steps, List<Long> versions, boolean supersede, boolean byHospitalNumber) {
        boolean mergedAtTheEnd() {
            return steps % 2 == 1;
        }
    }

    @Provide
    Arbitrary<List<Story>> stories() {
        return CausalStories.stories(8);
    }

    @Provide
    Arbitrary<List<MergeStory>> merges() {
        return Combinators.combine(Arbitraries.integers().between(0, 3),
                Arbitraries.longs().between(1, 5).list().ofSize(3), Arbitraries.of(true, false),
                Arbitraries.of(true, false)).as(MergeStory::new).list().ofMinSize(1).ofMaxSize(3);
    }

    @Property(tries = 120)
    void eachNumbersTimelineIsWhatTheSendersMeantWhereverTheMergesAndUnmergesArrive(
            @ForAll("stories") List<Story> stories, @ForAll("merges") List<MergeStory> merges,
            @ForAll @IntRange(min = 0, max = 3) int spread, @ForAll long seed) {
        int tryNo = TRIES.incrementAndGet();
        List<String> chain = new ArrayList<>();
        for (int i = 0; i <= merges.size(); i++) {
            chain.add(freshPatient());
        }
        // each care story is published under one number of the chain
        Random random = new Random(seed);
        Map<Integer, String> under = new HashMap<>();
        List<Told> told = new ArrayList<>();
        for (int i = 0; i < stories.size(); i++) {
            String nhs = chain.get((i + spread) % chain.size());
            under.put(i, nhs);
            for (Told t : CausalStories.tell(List.of(stories.get(i)), nhs, "merge-try-" + tryNo + "-" + i)) {
                told.add(new Told(t.event(), i, t.stepIndex(), t.meaning()));
            }
        }
        List<SpecificRecord> arriving = new ArrayList<>(CausalStories.arrivalOrder(told, seed));
        for (int i = 0; i < merges.size(); i++) {
            for (SpecificRecord e : tellMerge(merges.get(i), chain.get(i), chain.get(i + 1), tryNo + "-" + i)) {
                arriving.add(random.nextInt(arriving.size() + 1), e);
            }
        }

        driver.publish(arriving);

        List<TimelineEntry> meant = CausalStories.meant(stories, told, under);
        Set<String> admissions = CausalStories.admissionsWithNew(told);
        Map<String, Timeline> latest = new HashMap<>();
        for (KeyValue<String, Timeline> kv : driver.timelines.readKeyValuesToList()) {
            latest.put(kv.key, kv.value);
        }
        for (String nhs : chain) {
            List<TimelineEntry> mine = meant.stream()
                    .filter(e -> owner(e.getOriginNhsNumber(), chain, merges).equals(nhs)).toList();
            assertThat(driver.history(nhs)).as("history of %s (chain %s)", nhs, chain).isEqualTo(mine);
            assertThat(driver.reader().asOf(nhs, T0.plus(Duration.ofDays(30)))).isEqualTo(mine);
            if (mine.isEmpty()) {
                assertThat(driver.reader().summary(nhs)).as("%s has no timeline", nhs).isEmpty();
                assertThat(latest.get(nhs)).as("%s's last care.timelines record", nhs).isNull();
            } else {
                TimelineSummary expected = TimelineSummaries.of(mine, e -> admissions.contains(e.getEntryId()),
                        Instant.now());
                assertThat(TimelineOrderIndependenceTest.json(driver.reader().summary(nhs).orElseThrow()))
                        .as("summary of %s", nhs).isEqualTo(TimelineOrderIndependenceTest.json(expected));
                List<TimelineEntry> current = mine.stream().filter(e -> e.getStatus() == EntryStatus.CURRENT)
                        .toList();
                assertThat(latest.get(nhs).getEntries()).isEqualTo(current);
            }
        }
        driver.changes.readValuesToList();
    }

    /** Where an event published for {@code nhs} belongs once the merges that stand at the end are followed. */
    private static String owner(String nhs, List<String> chain, List<MergeStory> merges) {
        int i = chain.indexOf(nhs);
        while (i < merges.size() && merges.get(i).mergedAtTheEnd()) {
            i++;
        }
        return chain.get(i);
    }

    /** The identity events of one link's story (and the LINK of the hospital number it is told by). */
    private static List<SpecificRecord> tellMerge(MergeStory m, String from, String into, String tag) {
        List<SpecificRecord> events = new ArrayList<>();
        LocalIdentifier hospitalNumber = new LocalIdentifier("RJ1-MRN", "M-" + from);
        if (m.byHospitalNumber()) {
            events.add(PatientIdentity.newBuilder()
                    .setHeader(CareEventFixtures.header(from, "RJ1", org.caretrail.events.model.ProviderKind.ACUTE,
                            "link-" + from, Action.NEW, 1, T0, "link-" + tag))
                    .setKind(IdentityKind.LINK).setNhsNumber(from).setLocalId(hospitalNumber).build());
        }
        String previous = null;
        int steps = Math.max(1, m.steps());
        for (int s = 0; s < steps; s++) {
            Action action = m.steps() == 0 || s % 2 == 1 ? Action.CANCEL : Action.NEW;
            PatientIdentity e = PatientMergeTest.merge(m.supersede() && !m.byHospitalNumber() ? IdentityKind.SUPERSEDE
                    : IdentityKind.MERGE, from, into, "merge-" + tag + "-" + s);
            e.getHeader().setAction(action);
            e.getHeader().setVersion(m.versions().get(s));
            if (m.steps() == 0) {
                e.getHeader().setSupersedes(CareEventFixtures.id("merge-never-sent-" + tag));
            } else if (previous != null) {
                e.getHeader().setSupersedes(previous);
            }
            if (m.byHospitalNumber()) {
                e.setSupersededNhsNumber(null);
                e.setLocalId(hospitalNumber);
            }
            previous = e.getHeader().getEventId();
            events.add(e);
        }
        Collections.shuffle(events, new Random(tag.hashCode()));
        return events;
    }

    private static String freshPatient() {
        while (true) {
            var n = org.caretrail.events.NhsNumber.withCheckDigit(String.format("999%06d", PATIENTS.getAndIncrement()));
            if (n.isPresent()) {
                return n.get().value();
            }
        }
    }
}
