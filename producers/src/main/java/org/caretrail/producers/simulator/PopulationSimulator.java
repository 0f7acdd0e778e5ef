package org.caretrail.producers.simulator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.json.CareEventJson;

/**
 * A deterministic synthetic population and the care events its members generate, in the order
 * they reach CareTrail.
 *
 * <pre>{@code
 * PopulationSimulator sim = new PopulationSimulator(42, 1_000, Clock.systemUTC());
 * sim.events().forEach(publisher::publish);
 * }</pre>
 *
 * <p>Each patient's history covers the last {@value #WINDOW_DAYS} days before the clock's instant
 * (see {@link PathwayGenerator} for the pathways: GP registration, ambulance → A&amp;E → admission
 * → transfers → discharge → community, social care and GP follow-up, elective referrals with
 * waits, mental health, repeat prescriptions, deaths). All clinical times are at or before the
 * clock's instant and {@code recordedAt >= occurredAt}.
 *
 * <p>The same seed, patient count, clock instant and profile give the same events, eventIds
 * included. Generation is lazy: patients are generated in cohorts of {@link #COHORT_SIZE}, whose
 * events are interleaved by arrival time, so memory stays bounded however large the population.
 * Up to {@link #MAX_PATIENTS} patients.
 */
public final class PopulationSimulator implements Iterable<SpecificRecord> {

    public static final int WINDOW_DAYS = 180;
    public static final int COHORT_SIZE = 200;
    /** NHS numbers 999 000 000x to 999 999 999x: each patient takes one of a pair of prefixes. */
    public static final int MAX_PATIENTS = 500_000;

    private static final String[] GIVEN = {"Olivia", "Amelia", "Isla", "Ava", "Mia", "Grace", "Freya", "Aisha",
        "Margaret", "Joan", "Patricia", "Priya", "Zofia", "Siobhan", "Eileen", "Oliver", "George", "Noah", "Arthur",
        "Muhammad", "Leo", "Harry", "Jacob", "Kwame", "Dylan", "Tomasz", "Ravi", "Alan", "Derek", "Brian"};
    private static final String[] FAMILY = {"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson",
        "Davies", "Patel", "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
        "Khan", "Wood", "Jackson", "Clarke", "Hughes", "Edwards", "Okonkwo", "Nowak", "Murphy", "Ahmed", "Lewis",
        "Singh", "Turner", "Hill", "Begum", "Kelly", "Price", "Morgan", "Cooper", "Ward", "Mensah", "Fraser"};
    private static final String POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ";

    private final long seed;
    private final int patients;
    private final Instant now;
    private final SimulationProfile profile;

    /** A realistic population (duplicates, late events, hospital numbers linked later...). */
    public PopulationSimulator(long seed, int patients, Clock clock) {
        this(seed, patients, clock, SimulationProfile.REALISTIC);
    }

    public PopulationSimulator(long seed, int patients, Clock clock, SimulationProfile profile) {
        if (patients < 0 || patients > MAX_PATIENTS) {
            throw new IllegalArgumentException("patients must be 0 to " + MAX_PATIENTS + ", got " + patients);
        }
        this.seed = seed;
        this.patients = patients;
        // whole seconds: events carry millisecond timestamps, and round times read like real records
        this.now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        this.profile = profile;
    }

    public int patientCount() {
        return patients;
    }

    public SimulationProfile profile() {
        return profile;
    }

    /** The instant the simulated history ends at (the clock's instant at construction). */
    public Instant now() {
        return now;
    }

    /** Patient {@code index} (0-based): the same for a seed, whatever else is generated. */
    public SyntheticPatient patient(int index) {
        if (index < 0 || index >= patients) {
            throw new IndexOutOfBoundsException("patient " + index + " of " + patients);
        }
        SplittableRandom random = patientRandom(index, 0x5EED_0001L);
        // a permutation of the 500,000 prefix pairs, so consecutive patients do not get consecutive numbers
        long pair = (index * 7919L + Math.floorMod(seed, 500_000L)) % 500_000L;
        String prefix = String.format("999%06d", pair * 2);
        NhsNumber nhs = NhsNumber.withCheckDigit(prefix)
                .or(() -> NhsNumber.withCheckDigit(String.format("999%06d", pair * 2 + 1)))
                .orElseThrow(); // the two prefixes' check digits differ by 2 mod 11: at most one is 10
        int age = ageFor(random);
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        LocalDate birth = today.minusYears(age).minusDays(random.nextInt(1, 365));
        String given = GIVEN[random.nextInt(GIVEN.length)];
        String family = FAMILY[random.nextInt(FAMILY.length)];
        String postcode = "QX" + random.nextInt(1, 10) + " " + random.nextInt(10)
                + POSTCODE_LETTERS.charAt(random.nextInt(POSTCODE_LETTERS.length()))
                + POSTCODE_LETTERS.charAt(random.nextInt(POSTCODE_LETTERS.length()));
        CareProvider practice = CareProviders.GP_PRACTICES.get(random.nextInt(CareProviders.GP_PRACTICES.size()));
        return new SyntheticPatient(index, nhs, given, family, birth, postcode, practice);
    }

    /** The population's events in arrival order (lazy; each call starts again from the beginning). */
    public Stream<SpecificRecord> events() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator(),
                Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    /** One patient's events in arrival order. */
    public List<SpecificRecord> eventsOf(int index) {
        return scheduledOf(index).stream().map(PathwayGenerator.Scheduled::event).toList();
    }

    /**
     * The first patient whose events come from at least {@code providerKinds} kinds of provider
     * (e.g. 4: GP, ambulance, acute, social care): a good one to show in a demo or check in a test.
     * Only the first cohort is searched, so the patient's events arrive early.
     */
    public java.util.Optional<SyntheticPatient> showcasePatient(int providerKinds) {
        for (int i = 0; i < Math.min(patients, COHORT_SIZE); i++) {
            long kinds = eventsOf(i).stream()
                    .map(e -> org.caretrail.events.CareEvents.header(e).getSource().getKind()).distinct().count();
            if (kinds >= providerKinds) {
                return java.util.Optional.of(patient(i));
            }
        }
        return java.util.Optional.empty();
    }

    @Override
    public Iterator<SpecificRecord> iterator() {
        return new CohortIterator();
    }

    /**
     * Writes every event as one JSON line ({@link CareEventJson#toEventJsonLine}) and returns how
     * many were written.
     */
    public long writeJsonLines(Writer writer) {
        long count = 0;
        try {
            for (SpecificRecord event : this) {
                writer.write(CareEventJson.toEventJsonLine(event));
                writer.write('\n');
                count++;
            }
            writer.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("could not write simulated events: " + e.getMessage(), e);
        }
        return count;
    }

    private List<PathwayGenerator.Scheduled> scheduledOf(int index) {
        return new PathwayGenerator(patient(index), patientRandom(index, 0x9A7B_0002L), now, profile).generate();
    }

    private SplittableRandom patientRandom(int index, long salt) {
        long mixed = seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + salt;
        return new SplittableRandom(mixed);
    }

    /** An English-looking age mix: fewer children, many adults, a long tail past 80. */
    private static int ageFor(SplittableRandom random) {
        double r = random.nextDouble();
        if (r < 0.18) {
            return random.nextInt(0, 18);
        }
        if (r < 0.62) {
            return random.nextInt(18, 50);
        }
        if (r < 0.84) {
            return random.nextInt(50, 70);
        }
        if (r < 0.96) {
            return random.nextInt(70, 85);
        }
        return random.nextInt(85, 101);
    }

    private final class CohortIterator implements Iterator<SpecificRecord> {
        private int nextPatient;
        private List<PathwayGenerator.Scheduled> cohort = List.of();
        private int position;

        @Override
        public boolean hasNext() {
            while (position >= cohort.size() && nextPatient < patients) {
                int end = Math.min(patients, nextPatient + COHORT_SIZE);
                List<PathwayGenerator.Scheduled> next = new ArrayList<>();
                for (int i = nextPatient; i < end; i++) {
                    next.addAll(scheduledOf(i));
                }
                next.sort(PathwayGenerator.Scheduled.ARRIVAL_ORDER);
                cohort = next;
                position = 0;
                nextPatient = end;
            }
            return position < cohort.size();
        }

        @Override
        public SpecificRecord next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return cohort.get(position++).event();
        }
    }
}
