package org.caretrail.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.timeline.CareEventFixtures.nhs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Timeline;
import org.caretrail.timeline.processor.TimelineProcessor;
import org.caretrail.timeline.query.TimelinePage;
import org.caretrail.timeline.query.TimelineQueries;
import org.caretrail.timeline.query.TimelineQuery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3 "any size": one patient with 20,000 events through the whole topology (RocksDB stores,
 * TopologyTestDriver), then page queries. Prints events/s, state size on disk and query latency.
 * Run: {@code mvn -o -q -pl stream-processor -am test -Dtest=LargePatientBenchmarkTest -Dcaretrail.bench=true
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@EnabledIfSystemProperty(named = "caretrail.bench", matches = "true")
class LargePatientBenchmarkTest {

    private static final int EVENTS = Integer.getInteger("caretrail.bench.events", 20_000);

    @TempDir
    Path stateDir;

    @Test
    void aPatientWith20000EventsWorks() throws IOException {
        String patient = nhs(777);
        List<SpecificRecord> events = events(patient, EVENTS);
        try (TimelineDriver t = new TimelineDriver(stateDir, TimelineSettings.defaults(), true)) {
            long start = System.nanoTime();
            for (int i = 0; i < events.size(); i += 1000) {
                t.publish(events.subList(i, Math.min(events.size(), i + 1000)));
                t.driver.advanceWallClockTime(Duration.ofSeconds(1)); // the emit interval: one timelines record
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("BENCH ingest: %d events for one patient in %.2f s = %.0f events/s%n", EVENTS, seconds,
                    EVENTS / seconds);

            Timeline last = t.timelines.readKeyValuesToMap().get(patient);
            assertThat(last.getEntries()).hasSize(100);
            assertThat(last.getTruncated()).isTrue();
            var summary = t.reader().summary(patient).orElseThrow();
            System.out.printf("BENCH summary: total %d, current %d, withdrawn %d, spells %d%n",
                    summary.getTotalEntries(), summary.getCurrentEntries(), summary.getWithdrawnEntries(),
                    summary.getSpells().size());

            TimelineQueries queries = new TimelineQueries(t::reader);
            int pages = summary.getCurrentEntries() / 100;
            Random random = new Random(1);
            long[] nanos = new long[500];
            for (int i = 0; i < nanos.length; i++) {
                int page = random.nextInt(pages);
                long q = System.nanoTime();
                TimelinePage p = queries.page(new TimelineQuery(patient, null, null, Set.of(), page, 100, false))
                        .orElseThrow();
                nanos[i] = System.nanoTime() - q;
                assertThat(p.entries()).hasSize(100);
            }
            report("page of 100 (random page, no filter)", nanos);
            for (int i = 0; i < nanos.length; i++) {
                int page = random.nextInt(5);
                long q = System.nanoTime();
                queries.page(new TimelineQuery(patient, null, null, Set.of(EventType.ADMISSION), page, 20, false));
                nanos[i] = System.nanoTime() - q;
            }
            report("page of 20 admissions (type filter)", nanos);
            for (int i = 0; i < nanos.length; i++) {
                Instant from = BASE.plus(Duration.ofHours(random.nextInt(EVENTS)));
                long q = System.nanoTime();
                queries.page(new TimelineQuery(patient, from, from.plus(Duration.ofDays(30)), Set.of(), 0, 100, false));
                nanos[i] = System.nanoTime() - q;
            }
            report("30-day window", nanos);
            long[] asOf = new long[50];
            for (int i = 0; i < asOf.length; i++) {
                Instant when = BASE.plus(Duration.ofHours(random.nextInt(EVENTS)));
                long q = System.nanoTime();
                queries.page(new TimelineQuery(patient, null, null, Set.of(), 0, 100, false, when));
                asOf[i] = System.nanoTime() - q;
            }
            report("asOf a random moment (rebuilt from the full history)", asOf);

            for (String store : TimelineProcessor.storeNames()) {
                t.driver.getKeyValueStore(store).flush();
            }
            long bytes;
            try (Stream<Path> files = Files.walk(stateDir)) {
                bytes = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
            }
            System.out.printf("BENCH state on disk (RocksDB, all stores, flushed): %.1f MB = %.0f bytes/event%n",
                    bytes / 1e6, (double) bytes / EVENTS);
        }
    }

    private static void report(String what, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf("BENCH query %s: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n", what,
                sorted[sorted.length / 2] / 1e6, sorted[(int) (sorted.length * 0.99)] / 1e6,
                sorted[sorted.length - 1] / 1e6);
    }

    private static final Instant BASE = Instant.parse("2020-01-01T00:00:00Z");

    /** A long care history: many spells, attendances, appointments, referrals, prescriptions, some cancelled. */
    static List<SpecificRecord> events(String nhs, int n) {
        List<SpecificRecord> events = new ArrayList<>(n);
        Random random = new Random(42);
        int i = 0;
        while (events.size() < n) {
            Instant at = BASE.plus(Duration.ofHours(i));
            String tag = "e" + i;
            switch (i % 10) {
                case 0 -> events.add(CareEventFixtures.admission(nhs, "spell-" + i, Action.NEW, 1, at, "AMU", tag));
                case 1 -> events.add(CareEventFixtures.transfer(nhs, "tr-" + i, "spell-" + (i - 1), Action.NEW, 1, at,
                        "AMU", "Ward " + random.nextInt(20), tag));
                case 2 -> events.add(CareEventFixtures.discharge(nhs, "dis-" + i, "spell-" + (i - 2), Action.NEW, 1, at,
                        "Home", tag));
                case 3, 4, 5 -> events.add(CareEventFixtures.appointment(nhs, "A81001", ProviderKind.GP, "appt-" + i,
                        Action.NEW, 1, at, tag));
                case 6 -> events.add(CareEventFixtures.attendance(nhs, "ae-" + i, at, tag));
                case 7 -> events.add(CareEventFixtures.referral(nhs, "ref-" + i, Action.NEW, 1, at,
                        random.nextBoolean() ? "open" : "completed", tag));
                case 8 -> events.add(CareEventFixtures.prescription(nhs, "rx-" + i, Action.NEW, 1, at,
                        at.plus(Duration.ofDays(28)), tag));
                default -> events.add(CareEventFixtures.appointment(nhs, "A81001", ProviderKind.GP, "appt-" + (i - 6),
                        random.nextInt(4) == 0 ? Action.CANCEL : Action.UPDATE, 2, at.minus(Duration.ofHours(6)), tag));
            }
            i++;
        }
        return events;
    }
}
