package org.caretrail.bench;

/**
 * Hands out the simulator seeds of fresh synthetic patients: patients no earlier batch of the run had.
 *
 * <p>Every contender reads the same input topics, and a later one reads what the earlier ones were sent while it
 * catches up. Were each contender's warm-up, paced phases and probes made with the same seeds, a later contender
 * would see its paced events as repeats of events it had already read (no timeline change, so no latency sample):
 * the timeline jobs then had a latency sample for under 1% of their paced events. The simulator numbers patient
 * {@code i} of seed {@code s} with the NHS number of pair {@code (i * 7919 + s) mod 500,000}, one to one (7919 is
 * prime to 500,000), so seed {@code backlogSeed + 7919 * used} gives patients whose numbers follow those already
 * used, with events of their own.
 */
final class FreshPatients {

    /** The synthetic NHS numbers there are: pairs of the 999 range's prefixes. */
    static final long NUMBERS = 500_000;

    private final long backlogSeed;
    private long used;

    /** After a backlog of {@code backlogPatients} patients made with {@code backlogSeed}. */
    FreshPatients(long backlogSeed, int backlogPatients) {
        this.backlogSeed = backlogSeed;
        this.used = backlogPatients;
    }

    /** The seed of a batch of {@code patients} patients none of the earlier batches (or the backlog) had. */
    synchronized long seedFor(int patients) {
        if (used + patients > NUMBERS) {
            throw new IllegalStateException("the bench ran out of synthetic NHS numbers (" + NUMBERS
                    + " patients in one run): ask for fewer events or shorter paced phases");
        }
        long seed = backlogSeed + 7919L * used;
        used += patients;
        return seed;
    }
}
