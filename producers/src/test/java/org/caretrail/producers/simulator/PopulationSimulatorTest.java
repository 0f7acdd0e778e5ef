package org.caretrail.producers.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import org.caretrail.events.model.Prescription;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEventValidator;
import org.caretrail.events.CareEvents;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Transfer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PopulationSimulatorTest {

    static final Instant NOW = Instant.parse("2026-11-22T14:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static List<SpecificRecord> realistic;

    @BeforeAll
    static void generate() {
        realistic = new PopulationSimulator(42, 2_000, CLOCK).events().toList();
    }

    @Test
    void sameSeedGivesTheSameEventsAndAnotherSeedDoesNot() {
        List<String> again = new PopulationSimulator(42, 2_000, CLOCK).events().map(CareEventJson::toEventJsonLine)
                .toList();
        assertThat(again).isEqualTo(realistic.stream().map(CareEventJson::toEventJsonLine).toList());
        List<String> other = new PopulationSimulator(43, 600, CLOCK).events().limit(200)
                .map(CareEventJson::toEventJsonLine).toList();
        assertThat(other).isNotEqualTo(again.subList(0, 200));
    }

    @Test
    void aPopulationLooksLikeCareAcrossEveryProviderKindAndEventType() {
        Set<ProviderKind> kinds = realistic.stream().map(e -> CareEvents.header(e).getSource().getKind())
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(ProviderKind.class)));
        assertThat(kinds).containsExactlyInAnyOrder(ProviderKind.values());
        Set<CareEventType> types = realistic.stream().map(CareEventType::of)
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(CareEventType.class)));
        assertThat(types).containsAll(EnumSet.complementOf(EnumSet.of(CareEventType.CONSENT)));
        double perPatient = realistic.size() / 2_000.0;
        assertThat(perPatient).as("events per patient").isBetween(4.0, 60.0);
        long deaths = realistic.stream().filter(e -> CareEventType.of(e) == CareEventType.DEATH).count();
        assertThat(deaths).as("deaths are few").isBetween(1L, 2_000 / 50L);
    }

    @Test
    void everyEventIsValidWithClinicalTimesInThePast() {
        CareEventValidator strict = new CareEventValidator(CLOCK, Duration.ofMinutes(5));
        for (SpecificRecord event : realistic) {
            assertThat(strict.problems(event)).as(CareEventJson.toEventJsonLine(event)).isEmpty();
            EventHeader h = CareEvents.header(event);
            assertThat(h.getOccurredAt()).isBeforeOrEqualTo(NOW);
            assertThat(h.getRecordedAt()).isBeforeOrEqualTo(NOW).isAfterOrEqualTo(h.getOccurredAt());
            if (h.getPatient().getNhsNumber() != null) {
                assertThat(h.getPatient().getNhsNumber()).startsWith("999");
                assertThat(NhsNumber.isValid(h.getPatient().getNhsNumber())).isTrue();
            }
        }
    }

    @Test
    void patientsHaveDistinctValidSyntheticNhsNumbers() {
        PopulationSimulator sim = new PopulationSimulator(7, 5_000, CLOCK);
        Set<String> numbers = new HashSet<>();
        for (int i = 0; i < 5_000; i++) {
            SyntheticPatient p = sim.patient(i);
            assertThat(p.nhsNumber().value()).startsWith("999");
            assertThat(p.postcode()).startsWith("QX");
            numbers.add(p.nhsNumber().value());
        }
        assertThat(numbers).hasSize(5_000);
        assertThat(sim.patient(123)).isEqualTo(new PopulationSimulator(7, 5_000, CLOCK).patient(123));
    }

    @Test
    void transfersAndDischargesBelongToAnAdmissionOfTheSamePatientAndSource() {
        Map<String, String> admissions = new HashMap<>(); // odsCode|spellId -> patient key (NHS number or local)
        Map<String, String> admissionNhs = new HashMap<>();
        for (SpecificRecord e : realistic) {
            if (e instanceof Admission a) {
                admissions.put(a.getHeader().getSource().getOdsCode() + "|" + a.getHeader().getSubjectId(),
                        a.getHeader().getPatient().getLocalId() == null ? null
                                : CareEvents.localKey(a.getHeader().getPatient().getLocalId()));
                admissionNhs.put(a.getHeader().getSubjectId(), a.getHeader().getPatient().getNhsNumber());
            }
        }
        // a temporary hospital number merged into the patient's own counts as the same patient
        Map<String, String> mergedInto = new HashMap<>();
        for (SpecificRecord e : realistic) {
            if (e instanceof PatientIdentity id && id.getKind() == IdentityKind.MERGE && id.getLocalId() != null) {
                mergedInto.put(CareEvents.localKey(id.getLocalId()),
                        CareEvents.localKey(id.getHeader().getPatient().getLocalId()));
            }
        }
        admissions.replaceAll((k, v) -> v == null ? null : mergedInto.getOrDefault(v, v));
        int checked = 0;
        for (SpecificRecord e : realistic) {
            String spellId = e instanceof Transfer t ? t.getSpellId() : e instanceof Discharge d ? d.getSpellId() : null;
            if (spellId == null) {
                continue;
            }
            EventHeader h = CareEvents.header(e);
            String key = h.getSource().getOdsCode() + "|" + spellId;
            assertThat(admissions).as("admission for " + key).containsKey(key);
            if (h.getPatient().getLocalId() != null && admissions.get(key) != null) {
                String local = CareEvents.localKey(h.getPatient().getLocalId());
                assertThat(mergedInto.getOrDefault(local, local)).isEqualTo(admissions.get(key));
            }
            checked++;
        }
        assertThat(checked).isGreaterThan(20);
    }

    @Test
    void eventsKnownOnlyByHospitalNumberAreLinkedLater() {
        Map<String, Integer> firstLocalOnly = new HashMap<>();
        Map<String, Integer> link = new HashMap<>();
        for (int i = 0; i < realistic.size(); i++) {
            SpecificRecord e = realistic.get(i);
            EventHeader h = CareEvents.header(e);
            if (h.getPatient().getNhsNumber() == null) {
                firstLocalOnly.putIfAbsent(CareEvents.localKey(h.getPatient().getLocalId()), i);
            }
            if (e instanceof PatientIdentity id && id.getLocalId() != null
                    && (id.getKind() == IdentityKind.LINK || id.getKind() == IdentityKind.MERGE)) {
                link.putIfAbsent(CareEvents.localKey(id.getLocalId()), i);
            }
        }
        assertThat(firstLocalOnly).isNotEmpty();
        firstLocalOnly.forEach((local, first) -> {
            assertThat(link).as("LINK (or MERGE of a temporary number) for " + local).containsKey(local);
            assertThat(link.get(local)).as("it arrives after the first event for " + local).isGreaterThan(first);
        });
    }

    @Test
    void some_patients_registered_under_a_temporary_hospital_number_are_merged_by_that_number_alone() {
        List<PatientIdentity> merges = realistic.stream().filter(PatientIdentity.class::isInstance)
                .map(PatientIdentity.class::cast).filter(p -> p.getKind() == IdentityKind.MERGE).toList();
        assertThat(merges).isNotEmpty().allSatisfy(m -> {
            assertThat(m.getLocalId()).as("the retiring hospital number").isNotNull();
            assertThat(m.getSupersededNhsNumber()).as("MRG-1 = hospital number only").isNull();
            assertThat(m.getHeader().getPatient().getLocalId()).as("the surviving hospital number")
                    .isNotNull().isNotEqualTo(m.getLocalId());
        });
        Set<String> retired = merges.stream().map(m -> CareEvents.localKey(m.getLocalId())).collect(Collectors.toSet());
        assertThat(realistic).as("events filed under a temporary number before the merge").anyMatch(e ->
                CareEvents.header(e).getPatient().getLocalId() != null
                        && retired.contains(CareEvents.localKey(CareEvents.header(e).getPatient().getLocalId())));
    }

    @Test
    void some_admissions_are_cancelled_as_entered_in_error_and_never_become_spells() {
        Set<String> cancelled = realistic.stream().filter(Admission.class::isInstance)
                .map(e -> ((Admission) e).getHeader()).filter(h -> h.getAction() == Action.CANCEL)
                .map(EventHeader::getSubjectId).collect(Collectors.toSet());
        assertThat(cancelled).isNotEmpty();
        assertThat(realistic).as("no discharge of a cancelled admission").noneMatch(e -> e instanceof Discharge d
                && cancelled.contains(d.getSpellId()));
    }

    @Test
    void prescriptions_carry_dmd_codes_where_known_and_pharmacies_dispense_as_pharmacies() {
        List<Prescription> prescriptions = realistic.stream().filter(Prescription.class::isInstance)
                .map(Prescription.class::cast).toList();
        assertThat(prescriptions).filteredOn(p -> p.getMedicationCode() != null).isNotEmpty().allSatisfy(p -> {
            assertThat(p.getMedicationCode().getSystem()).isEqualTo("https://dmd.nhs.uk");
            assertThat(p.getMedicationCode().getDisplay()).isEqualTo(p.getMedication());
        });
        assertThat(prescriptions).filteredOn(p -> p.getMedication().equals("Amlodipine 5mg tablets"))
                .isNotEmpty().allSatisfy(p -> assertThat(p.getMedicationCode().getCode()).isEqualTo("319283006"));
        assertThat(prescriptions).filteredOn(p -> p.getHeader().getSource().getOdsCode().startsWith("F9A"))
                .isNotEmpty()
                .allSatisfy(p -> assertThat(p.getHeader().getSource().getKind()).isEqualTo(ProviderKind.PHARMACY));
    }

    @Test
    void realisticTrafficHasDuplicatesLateUpdatesAndCancellations() {
        Map<String, List<String>> byEventId = new HashMap<>();
        for (SpecificRecord e : realistic) {
            byEventId.computeIfAbsent(CareEvents.header(e).getEventId(), k -> new ArrayList<>())
                    .add(CareEventJson.toEventJsonLine(e));
        }
        List<List<String>> duplicated = byEventId.values().stream().filter(l -> l.size() > 1).toList();
        assertThat(duplicated).isNotEmpty();
        duplicated.forEach(copies -> assertThat(copies).as("a resent event is identical").containsOnly(copies.get(0)));
        assertThat(realistic).anyMatch(e -> CareEvents.header(e).getAction() == Action.UPDATE
                && CareEvents.header(e).getVersion() > 1);
        assertThat(realistic).anyMatch(e -> CareEvents.header(e).getAction() == Action.CANCEL);
        assertThat(realistic).anyMatch(e -> Duration.between(CareEvents.header(e).getOccurredAt(),
                CareEvents.header(e).getRecordedAt()).toHours() >= 12 && CareEvents.header(e).getVersion() == 1);
    }

    @Test
    void benchmarkTrafficIsUniqueValidAndKeyedByNhsNumber() {
        List<SpecificRecord> bench = new PopulationSimulator(42, 300, CLOCK, SimulationProfile.BENCHMARK).events()
                .toList();
        CareEventValidator validator = new CareEventValidator(CLOCK, Duration.ofMinutes(5));
        Set<String> ids = new HashSet<>();
        for (SpecificRecord e : bench) {
            assertThat(validator.problems(e)).isEmpty();
            assertThat(ids.add(CareEvents.header(e).getEventId())).as("unique eventId").isTrue();
            assertThat(CareEvents.header(e).getPatient().getNhsNumber()).isNotNull();
            assertThat(CareEvents.header(e).getAction()).isNotEqualTo(Action.CANCEL);
        }
        assertThat(bench).hasSizeGreaterThan(1_000);
    }

    @Test
    void arrivalOrderKeepsEachItemsVersionsInOrderUnlessLate() {
        // a patient's own events: recordedAt never goes backwards in arrival order except for duplicates
        PopulationSimulator sim = new PopulationSimulator(42, 50, CLOCK, SimulationProfile.BENCHMARK);
        for (int i = 0; i < 50; i++) {
            Instant last = Instant.MIN;
            for (SpecificRecord e : sim.eventsOf(i)) {
                Instant recorded = CareEvents.header(e).getRecordedAt();
                assertThat(recorded).isAfterOrEqualTo(last);
                last = recorded;
            }
        }
    }

    @Test
    void inBenchmarkTrafficEveryItemsVersionsArriveInAscendingOrder() {
        // so that every event yields exactly one timeline change (a lower version arriving later yields none)
        List<SpecificRecord> bench = new PopulationSimulator(7, 5_000, CLOCK, SimulationProfile.BENCHMARK).events()
                .limit(20_000).toList();
        Map<String, Long> lastVersion = new HashMap<>();
        for (SpecificRecord e : bench) {
            EventHeader h = CareEvents.header(e);
            String item = e.getSchema().getName() + "|" + h.getSource().getOdsCode() + "|" + h.getSubjectId();
            Long previous = lastVersion.put(item, h.getVersion());
            assertThat(previous == null || previous < h.getVersion()).as(item + " v" + h.getVersion() + " after v" + previous)
                    .isTrue();
        }
    }

    @Test
    void eventsSurviveAvroTimestampMillisWithAWallClock() {
        // a wall clock has nanoseconds; timestamp-millis would silently drop them on the wire
        PopulationSimulator sim = new PopulationSimulator(5, 20, Clock.systemUTC());
        sim.events().forEach(e -> {
            String json = CareEventJson.toEventJsonLine(e);
            assertThat(json).doesNotContainPattern("\\.\\d{4,}Z");
        });
    }

    @Test
    void writesJsonLinesThatParseBack() {
        PopulationSimulator sim = new PopulationSimulator(5, 20, CLOCK);
        StringWriter out = new StringWriter();
        long written = sim.writeJsonLines(out);
        List<String> lines = out.toString().lines().toList();
        assertThat(lines).hasSize((int) written);
        assertThat(written).isEqualTo(sim.events().count());
        for (String line : lines) {
            assertThat(CareEventJson.toEventJsonLine(CareEventJson.parseEvent(line).event())).isEqualTo(line);
        }
    }

    @Test
    void aShowcasePatientHasCareFromSeveralProviderKinds() {
        PopulationSimulator sim = new PopulationSimulator(42, 2_000, CLOCK);
        SyntheticPatient patient = sim.showcasePatient(4).orElseThrow();
        Set<ProviderKind> kinds = realistic.stream()
                .filter(e -> patient.nhsNumber().value().equals(CareEvents.header(e).getPatient().getNhsNumber()))
                .map(e -> CareEvents.header(e).getSource().getKind()).collect(Collectors.toSet());
        assertThat(kinds).hasSizeGreaterThanOrEqualTo(4);
        assertThat(patient.index()).isLessThan(PopulationSimulator.COHORT_SIZE);
    }

    @Test
    void largePopulationsAreGeneratedLazily() {
        // 500,000 patients: only the first cohorts are generated to take the first events
        PopulationSimulator sim = new PopulationSimulator(1, PopulationSimulator.MAX_PATIENTS, CLOCK);
        assertThat(sim.events().limit(5_000).count()).isEqualTo(5_000);
        assertThat(sim.patient(PopulationSimulator.MAX_PATIENTS - 1).nhsNumber().value()).startsWith("999");
    }
}
