package org.caretrail.producers.simulator;

/**
 * What the simulator's traffic looks like.
 *
 * <ul>
 *   <li>{@link #REALISTIC}: what real feeds do. Some acute events carry only a hospital number and
 *       the NHS number is linked later (a {@code PatientIdentity} LINK); some events are sent twice
 *       (same eventId), some recorded days late, items are updated (higher version) and a few are
 *       cancelled as entered in error.
 *   <li>{@link #BENCHMARK}: only valid, unique events, every one carrying the NHS number, none
 *       duplicated, late or cancelled, so that each one yields exactly one timeline change.
 * </ul>
 */
public enum SimulationProfile {
    REALISTIC(0.15, 0.03, 0.04, 0.05),
    BENCHMARK(0, 0, 0, 0);

    final double localOnlyRate;
    final double duplicateRate;
    final double lateRate;
    final double cancelRate;

    SimulationProfile(double localOnlyRate, double duplicateRate, double lateRate, double cancelRate) {
        this.localOnlyRate = localOnlyRate;
        this.duplicateRate = duplicateRate;
        this.lateRate = lateRate;
        this.cancelRate = cancelRate;
    }
}
