package org.caretrail.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.Set;
import org.caretrail.events.CareEvents;
import org.caretrail.producers.simulator.PopulationSimulator;
import org.caretrail.producers.simulator.SimulationProfile;
import org.junit.jupiter.api.Test;

/** Each batch of paced events is for patients, and of events, that no earlier batch or the backlog had. */
class FreshPatientsTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-01T09:00:00Z"), ZoneOffset.UTC);

    @Test
    void batchesAfterTheBacklogShareNoPatientAndNoEvent() {
        long backlogSeed = 7;
        int backlogPatients = 400;
        Set<String> patients = new HashSet<>();
        Set<String> events = new HashSet<>();
        collect(new PopulationSimulator(backlogSeed, backlogPatients, CLOCK, SimulationProfile.BENCHMARK), 1_500,
                patients, events);
        FreshPatients fresh = new FreshPatients(backlogSeed, backlogPatients);
        for (int batch = 0; batch < 3; batch++) {
            int size = 300;
            Set<String> batchPatients = new HashSet<>();
            Set<String> batchEvents = new HashSet<>();
            collect(new PopulationSimulator(fresh.seedFor(size), size, CLOCK, SimulationProfile.BENCHMARK), 1_000,
                    batchPatients, batchEvents);
            assertThat(batchPatients).as("batch %d's patients", batch).isNotEmpty().doesNotContainAnyElementsOf(patients);
            assertThat(batchEvents).as("batch %d's events", batch).hasSize(1_000).doesNotContainAnyElementsOf(events);
            patients.addAll(batchPatients);
            events.addAll(batchEvents);
        }
    }

    @Test
    void aRunThatWouldReuseNumbersIsRefused() {
        FreshPatients fresh = new FreshPatients(7, 499_000);
        fresh.seedFor(1_000);
        assertThatThrownBy(() -> fresh.seedFor(1)).hasMessageContaining("ran out of synthetic NHS numbers");
    }

    private static void collect(PopulationSimulator simulator, int count, Set<String> patients, Set<String> events) {
        simulator.events().limit(count).forEach(e -> {
            patients.add(CareEvents.patientKey(e));
            events.add(CareEvents.header(e).getEventId());
        });
    }
}
