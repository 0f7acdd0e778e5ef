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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.Timeline;
import org.caretrail.timeline.TimelineOrderIndependenceTest.Spec;

/**
 * Design rules 2 and 4 together: for generated event sets split between the NHS numbers of a merge
 * chain (A → B → C → D, one to three MERGEs or SUPERSEDEs), each merge arriving at any point of any
 * arrival order (events repeated), the last survivor's timeline is identical to that of a patient
 * who received every event directly (history, summary, as-of and care.timelines record), and the
 * superseded numbers keep nothing.
 */
class PatientMergeOrderIndependenceTest {

    private static Path stateDir;
    private static TimelineDriver driver;
    private static final AtomicInteger PATIENTS = new AtomicInteger(300_000);

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

    /** One generated event and which NHS number of the chain it names (modulo the chain's length). */
    record Placed(Spec spec, int under) {
    }

    @Provide
    Arbitrary<List<Placed>> eventSets() {
        Arbitrary<Spec> spec = Combinators.combine(
                Arbitraries.integers().between(0, 5),
                Arbitraries.integers().between(0, 1),
                Arbitraries.integers().between(0, 2),
                Arbitraries.of(Action.NEW, Action.NEW, Action.UPDATE, Action.CANCEL),
                Arbitraries.longs().between(1, 3),
                Arbitraries.integers().between(0, 48),
                Arbitraries.integers().between(0, 1_000_000)).as(Spec::new);
        return Combinators.combine(spec, Arbitraries.integers().between(0, 3)).as(Placed::new).list().ofMinSize(1)
                .ofMaxSize(12);
    }

    /**
     * A chain of one to three merges (A → B, B → C, C → D), each arriving anywhere among the events:
     * the last survivor's timeline is as if every event had named it.
     */
    @Property(tries = 80)
    void theSurvivorsTimelineIsAsIfEveryEventNamedItWhereverTheMergesArrive(
            @ForAll("eventSets") List<Placed> placed, @ForAll long seed, @ForAll boolean supersede,
            @ForAll @IntRange(min = 2, max = 4) int chainLength) {
        String reference = freshPatient();
        List<String> chain = new ArrayList<>();
        for (int i = 0; i < chainLength; i++) {
            chain.add(freshPatient());
        }
        String survivor = chain.get(chainLength - 1);
        List<SpecificRecord> direct = placed.stream()
                .map(p -> TimelineOrderIndependenceTest.event(reference, p.spec())).toList();

        Random random = new Random(seed);
        List<SpecificRecord> split = new ArrayList<>(placed.stream()
                .map(p -> TimelineOrderIndependenceTest.event(chain.get(p.under() % chainLength), p.spec())).toList());
        int repeats = random.nextInt(placed.size() + 1);
        for (int i = 0; i < repeats; i++) {
            split.add(split.get(random.nextInt(placed.size())));
        }
        Collections.shuffle(split, random);
        for (int i = 0; i + 1 < chainLength; i++) {
            split.add(random.nextInt(split.size() + 1), PatientMergeTest.merge(
                    supersede ? IdentityKind.SUPERSEDE : IdentityKind.MERGE, chain.get(i), chain.get(i + 1),
                    "merge-" + chain.get(i)));
        }

        driver.publish(direct);
        driver.publish(split);

        assertThat(driver.history(survivor)).isEqualTo(driver.history(reference));
        assertThat(json(driver.reader().summary(survivor).orElseThrow()))
                .isEqualTo(json(driver.reader().summary(reference).orElseThrow()));
        Instant afterAll = T0.plus(Duration.ofDays(30));
        assertThat(driver.reader().asOf(survivor, afterAll)).isEqualTo(driver.reader().asOf(reference, afterAll));
        Map<String, Timeline> latest = new HashMap<>();
        for (KeyValue<String, Timeline> kv : driver.timelines.readKeyValuesToList()) {
            latest.put(kv.key, kv.value);
        }
        assertThat(latest.get(survivor).getEntries()).isEqualTo(latest.get(reference).getEntries());
        for (String old : chain.subList(0, chainLength - 1)) {
            assertThat(driver.history(old)).as("merged-away %s keeps nothing", old).isEmpty();
            assertThat(driver.reader().summary(old)).isEmpty();
            assertThat(latest.get(old)).as("the superseded number's care.timelines record, last written").isNull();
        }
        driver.changes.readValuesToList();
    }

    private static String json(org.caretrail.events.model.TimelineSummary s) {
        return org.caretrail.events.json.CareEventJson.toJson(s).toString();
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
