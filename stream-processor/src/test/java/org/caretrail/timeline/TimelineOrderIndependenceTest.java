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
import java.util.Comparator;
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
import org.caretrail.events.model.Action;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;

/**
 * Design rule 2, proven: for generated event sets (several providers and types, updates, cancels,
 * out-of-order clinical times), every arrival order, with any events repeated, yields the identical
 * timeline: the same history (entries, statuses, order), the same summary and the same
 * care.timelines record. One TopologyTestDriver serves every try; each arrival order is published
 * for its own patient, so the patients' timelines can be compared.
 */
class TimelineOrderIndependenceTest {

    private static Path stateDir;
    private static TimelineDriver driver;
    private static final AtomicInteger PATIENTS = new AtomicInteger(100);

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

    /** One generated event, before it is given a patient. */
    record Spec(int kind, int source, int subject, Action action, long version, int hour, int eventNo) {
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
                Arbitraries.integers().between(0, 1_000_000)).as(Spec::new);
        return spec.list().ofMinSize(1).ofMaxSize(14);
    }

    @Property(tries = 100)
    void everyArrivalOrderWithDuplicatesYieldsTheSameTimeline(@ForAll("eventSets") List<Spec> specs,
            @ForAll long seed) {
        String first = freshPatient();
        String second = freshPatient();
        List<SpecificRecord> inOrder = specs.stream().map(s -> event(first, s)).toList();

        Random random = new Random(seed);
        List<SpecificRecord> shuffled = new ArrayList<>(specs.stream().map(s -> event(second, s)).toList());
        int repeats = random.nextInt(specs.size() + 1);
        for (int i = 0; i < repeats; i++) {
            shuffled.add(shuffled.get(random.nextInt(specs.size())));
        }
        java.util.Collections.shuffle(shuffled, random);

        driver.publish(inOrder);
        driver.publish(shuffled);

        assertThat(withoutPatient(driver.history(second))).isEqualTo(withoutPatient(driver.history(first)));
        TimelineSummary a = driver.reader().summary(first).orElseThrow();
        TimelineSummary b = driver.reader().summary(second).orElseThrow();
        assertThat(json(b)).isEqualTo(json(a));
        Map<String, Timeline> timelines = driver.timelines.readKeyValuesToMap();
        assertThat(timelines.get(second).getEntries()).isEqualTo(timelines.get(first).getEntries());
        assertThat(json(timelines.get(second).getSummary())).isEqualTo(json(timelines.get(first).getSummary()));
        assertThat(timelines.get(second).getTruncated()).isEqualTo(timelines.get(first).getTruncated());
        driver.changes.readValuesToList();
        // and "as of" a moment after every event is the timeline itself
        Instant afterAll = T0.plus(Duration.ofDays(30));
        assertThat(driver.reader().asOf(second, afterAll)).isEqualTo(driver.history(first));
    }

    /** Avro's generated equals cannot compare arrays of records with optional timestamps; JSON can. */
    private static String json(TimelineSummary s) {
        return org.caretrail.events.json.CareEventJson.toJson(s).toString();
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

    /** The entries carry no NHS number, but make the comparison explicit about what is compared. */
    private static List<TimelineEntry> withoutPatient(List<TimelineEntry> entries) {
        return entries;
    }

    private static final String[] SOURCES = {"RJ1", "RYJ"};

    static SpecificRecord event(String nhs, Spec s) {
        String ods = SOURCES[s.source()];
        Instant at = T0.plus(Duration.ofHours(s.hour()));
        String name = "event-" + s.eventNo();
        String subject = "item-" + s.subject();
        SpecificRecord e = switch (s.kind()) {
            case 0 -> CareEventFixtures.admission(nhs, subject, s.action(), s.version(), at, "Ward " + s.hour(), name);
            case 1 -> CareEventFixtures.transfer(nhs, subject, "item-0", s.action(), s.version(), at, "AMU",
                    "Ward " + s.hour(), name);
            case 2 -> CareEventFixtures.discharge(nhs, subject, "item-0", s.action(), s.version(), at, "Home", name);
            case 3 -> CareEventFixtures.appointment(nhs, ods, ProviderKind.COMMUNITY, subject, s.action(),
                    s.version(), at, name);
            case 4 -> CareEventFixtures.referral(nhs, subject, s.action(), s.version(), at,
                    s.hour() % 2 == 0 ? "open" : "completed", name);
            default -> CareEventFixtures.prescription(nhs, subject, s.action(), s.version(), at, null, name);
        };
        EventHeader h = org.caretrail.events.CareEvents.header(e);
        if (s.kind() <= 3) {
            h.getSource().setOdsCode(ods);
        }
        return e;
    }
}
