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
 * Design rules 2 and 4 together: for generated event sets split between two NHS numbers, with a
 * MERGE or SUPERSEDE of one into the other arriving at any point of any arrival order (events
 * repeated), the survivor's timeline is identical to that of a patient who received every event
 * directly (history, summary, as-of and care.timelines record), and the superseded number keeps
 * nothing.
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

    /** One generated event and whether it names the superseded NHS number (else the survivor's). */
    record Placed(Spec spec, boolean underOld) {
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
        return Combinators.combine(spec, Arbitraries.of(true, false)).as(Placed::new).list().ofMinSize(1)
                .ofMaxSize(12);
    }

    @Property(tries = 60)
    void theSurvivorsTimelineIsAsIfEveryEventNamedItWhereverTheMergeArrives(
            @ForAll("eventSets") List<Placed> placed, @ForAll long seed, @ForAll boolean supersede) {
        String reference = freshPatient();
        String old = freshPatient();
        String survivor = freshPatient();
        List<SpecificRecord> direct = placed.stream()
                .map(p -> TimelineOrderIndependenceTest.event(reference, p.spec())).toList();

        Random random = new Random(seed);
        List<SpecificRecord> split = new ArrayList<>(placed.stream()
                .map(p -> TimelineOrderIndependenceTest.event(p.underOld() ? old : survivor, p.spec())).toList());
        int repeats = random.nextInt(placed.size() + 1);
        for (int i = 0; i < repeats; i++) {
            split.add(split.get(random.nextInt(placed.size())));
        }
        Collections.shuffle(split, random);
        split.add(random.nextInt(split.size() + 1), PatientMergeTest.merge(
                supersede ? IdentityKind.SUPERSEDE : IdentityKind.MERGE, old, survivor, "merge-" + old));

        driver.publish(direct);
        driver.publish(split);

        assertThat(driver.history(survivor)).isEqualTo(driver.history(reference));
        assertThat(driver.history(old)).isEmpty();
        assertThat(driver.reader().summary(old)).isEmpty();
        assertThat(json(driver.reader().summary(survivor).orElseThrow()))
                .isEqualTo(json(driver.reader().summary(reference).orElseThrow()));
        Instant afterAll = T0.plus(Duration.ofDays(30));
        assertThat(driver.reader().asOf(survivor, afterAll)).isEqualTo(driver.reader().asOf(reference, afterAll));
        Map<String, Timeline> latest = new HashMap<>();
        for (KeyValue<String, Timeline> kv : driver.timelines.readKeyValuesToList()) {
            latest.put(kv.key, kv.value);
        }
        assertThat(latest.get(survivor).getEntries()).isEqualTo(latest.get(reference).getEntries());
        assertThat(latest.get(old)).as("the superseded number's care.timelines record, last written").isNull();
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
