package org.caretrail.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.timeline.CareEventFixtures.T0;
import static org.caretrail.timeline.CareEventFixtures.admission;
import static org.caretrail.timeline.CareEventFixtures.attendance;
import static org.caretrail.timeline.CareEventFixtures.id;
import static org.caretrail.timeline.CareEventFixtures.nhs;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.caretrail.events.CareEventLimits;
import org.caretrail.events.CareEventType;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Coding;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.Location;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.Prescription;
import org.caretrail.events.model.Referral;
import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineSummary;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.timeline.domain.CareItem;
import org.caretrail.timeline.domain.EncodedSize;
import org.caretrail.timeline.domain.TimelineSummaries;
import org.caretrail.timeline.errors.DeadLetters;
import org.caretrail.timeline.processor.TimelineStores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9 item 1 and issue 8 item 6 in the stream processor: every input is checked by the shared validator
 * (size limits included) and read in one NHS-number spelling; every record written is built to a byte budget;
 * one that is still too large goes to the dead-letter topic and the pipeline goes on.
 */
class BoundedInputAndOutputTest {

    private static final String PATIENT = nhs(51);
    private static final String OTHER = nhs(52);

    @TempDir
    Path stateDir;

    private static String hyphenated(String nhs) {
        return nhs.substring(0, 3) + "-" + nhs.substring(3, 6) + "-" + nhs.substring(6);
    }

    private static byte[] bytes(TimelineDriver t, SpecificRecord event) {
        String topic = t.topics.events(CareEventType.of(event)).name();
        return t.topics.events(CareEventType.of(event)).valueSerde().serializer().serialize(topic, event);
    }

    @Test
    void aHyphenatedOrSpacedNhsNumberFromAThirdPartyProducerLandsOnTheOneTimeline() {
        try (TimelineDriver t = new TimelineDriver(stateDir)) {
            // a third-party producer writes the number as people do, and keys the record with it
            var hyphens = attendance(hyphenated(PATIENT), "ae-1", T0, "hyphens");
            var spaces = attendance(PATIENT.substring(0, 3) + " " + PATIENT.substring(3, 6) + "\t"
                    + PATIENT.substring(6), "ae-2", T0.plusSeconds(60), "spaces");
            t.publishBytes("care.attendances", hyphenated(PATIENT).getBytes(StandardCharsets.UTF_8), bytes(t, hyphens));
            t.publishBytes("care.attendances", "999 000".getBytes(StandardCharsets.UTF_8), bytes(t, spaces));
            t.publish(attendance(PATIENT, "ae-3", T0.plusSeconds(120), "plain"));

            assertThat(t.current(PATIENT)).extracting(e -> e.getEventId())
                    .containsExactly(id("hyphens"), id("spaces"), id("plain"));
            assertThat(t.current(PATIENT)).allMatch(e -> e.getOriginNhsNumber().equals(PATIENT));
            assertThat(t.reader().summary(hyphenated(PATIENT))).isEmpty();
            assertThat(t.deadLetters.readRecordsToList()).isEmpty();
            // a merge naming both numbers hyphenated merges them
            PatientIdentity merge = PatientMergeTest.merge(IdentityKind.MERGE, hyphenated(OTHER), hyphenated(PATIENT),
                    "merge-hyphens");
            t.publish(attendance(OTHER, "ae-9", T0.plusSeconds(180), "other"));
            t.publishBytes("care.patient-identities", null, bytes(t, merge));
            assertThat(t.current(PATIENT)).extracting(e -> e.getEventId()).contains(id("other"));
            assertThat(t.reader().mergedInto(OTHER)).contains(PATIENT);
        }
    }

    @Test
    void anEventOverItsLimitsInjectedOnAnInputTopicIsDeadLetteredWithTheReasonAndOthersGoOn() {
        try (TimelineDriver t = new TimelineDriver(stateDir)) {
            // the poison: a valid admission whose ward is 460 KB, written straight to the topic
            Admission huge = admission(PATIENT, "spell-1", Action.NEW, 1, T0, "W".repeat(460 * 1024), "huge");
            byte[] original = bytes(t, huge);
            t.publishBytes("care.admissions", PATIENT.getBytes(StandardCharsets.UTF_8), original);
            t.publish(attendance(PATIENT, "ae-1", T0.plusSeconds(60), "after"), attendance(OTHER, "ae-2", T0, "other"));

            List<TestRecord<byte[], byte[]>> dead = t.deadLetters.readRecordsToList();
            assertThat(dead).hasSize(1);
            assertThat(DeadLetters.header(dead.get(0).headers(), CareTopics.HEADER_REASON))
                    .contains("ward is " + (460 * 1024) + " characters long; the limit is "
                            + CareEventLimits.MAX_TEXT_CHARS);
            assertThat(dead.get(0).value()).isEqualTo(original);
            assertThat(t.current(PATIENT)).extracting(e -> e.getEventId()).containsExactly(id("after"));
            assertThat(t.current(OTHER)).hasSize(1);
        }
    }

    @Test
    void aRecordKeyOverItsLimitAndThirdPartyHeadersGoNoFurther() {
        try (TimelineDriver t = new TimelineDriver(stateDir)) {
            byte[] longKey = "k".repeat(5_000).getBytes(StandardCharsets.UTF_8);
            t.publishBytes("care.attendances", longKey, bytes(t, attendance(PATIENT, "ae-1", T0, "long-key")));
            List<TestRecord<byte[], byte[]>> dead = t.deadLetters.readRecordsToList();
            assertThat(dead).singleElement().satisfies(r -> {
                assertThat(DeadLetters.header(r.headers(), CareTopics.HEADER_REASON))
                        .contains("the record key is 5000 bytes; the limit is 1024");
                assertThat(r.key()).hasSize(DeadLetters.MAX_KEY_BYTES);
                assertThat(DeadLetters.header(r.headers(), DeadLetters.HEADER_TRUNCATED))
                        .isEqualTo("key=5000,value=" + r.value().length);
            });
            // a valid event with 100 KB of producer headers: placed, the headers not carried on
            RecordHeaders headers = new RecordHeaders();
            headers.add("x-bulky", new byte[100_000]);
            var topic = t.driver.createInputTopic("care.attendances", new ByteArraySerializer(),
                    new ByteArraySerializer());
            topic.pipeInput(new TestRecord<>(PATIENT.getBytes(StandardCharsets.UTF_8),
                    bytes(t, attendance(PATIENT, "ae-2", T0, "bulky-headers")), headers));
            assertThat(t.current(PATIENT)).hasSize(1);
            assertThat(t.changes.readRecordsToList()).singleElement()
                    .satisfies(r -> assertThat(r.headers().lastHeader("x-bulky")).isNull());
        }
    }

    // ---- records built to a byte budget --------------------------------------------------------------

    /** Text of exactly {@code n} characters. */
    private static String text(String seed, int n) {
        return (seed + " " + "x".repeat(n)).substring(0, n);
    }

    /** An event with every text field at (or near) its limit, shrunk until the whole event is within its own. */
    private static <T extends SpecificRecord> T atTheLimits(T event, java.util.function.Consumer<Integer> fill) {
        for (int size = CareEventLimits.MAX_TEXT_CHARS; size > 0; size -= 50) {
            fill.accept(size);
            if (CareEventLimits.problems(event).isEmpty()) {
                return event;
            }
        }
        throw new IllegalStateException("cannot fit the event");
    }

    private static List<SpecificRecord> eventsAtTheirLimits(String nhs, int n) {
        List<SpecificRecord> events = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int k = i;
            java.time.Instant at = T0.plusSeconds(i * 3600L);
            switch (i % 3) {
                case 0 -> {
                    Referral r = CareEventFixtures.referral(nhs, "ref-" + i, Action.NEW, 1, at, "open", "ref-" + i);
                    events.add(atTheLimits(r, size -> {
                        r.setSpecialty(text("specialty " + k, size));
                        r.setPriority(text("priority", size));
                        r.setStatus("open");
                        r.setReason(text("reason " + k, CareEventLimits.MAX_FREE_TEXT_CHARS));
                        r.setToOdsCode(text("RJ1", CareEventLimits.MAX_IDENTIFIER_CHARS));
                        r.setReasonCode(new Coding(text("http://snomed.info/sct", size), "code" + k,
                                text("display", size)));
                        r.setSpecialtyCode(new Coding(text("https://fhir.nhs.uk/specialty", size), "300",
                                text("display", size)));
                    }));
                }
                case 1 -> {
                    Prescription p = CareEventFixtures.prescription(nhs, "rx-" + i, Action.NEW, 1, at, null, "rx-" + i);
                    events.add(atTheLimits(p, size -> {
                        p.setMedication(text("Medicine " + k, size));
                        p.setDose(text("dose", size));
                        p.setRoute(text("route", size));
                        p.setMedicationCode(new Coding(text("https://dmd.nhs.uk", size), "code" + k,
                                text("display", size)));
                    }));
                }
                default -> {
                    Admission a = admission(nhs, "spell-" + i, Action.NEW, 1, at, "AMU", "adm-" + i);
                    events.add(atTheLimits(a, size -> {
                        a.setWard(text("Ward " + k, size));
                        a.setSite(text("Site", size));
                        a.setSpecialty(text("Specialty", size));
                        a.setConsultant(text("Dr", size));
                        a.setLocation(new Location(text("Ward " + k, size), text("bay", size), text("bed", size),
                                text("site", size), text("building", size), text("floor", size)));
                        a.setDiagnoses(codes(size));
                    }));
                }
            }
        }
        return events;
    }

    private static List<Coding> codes(int size) {
        List<Coding> codes = new ArrayList<>();
        for (int c = 0; c < 20; c++) {
            codes.add(new Coding(text("http://snomed.info/sct", size / 4), "code" + c, text("display", size / 4)));
        }
        return codes;
    }

    @Test
    void aPatientWhoseEventsAreAllAtTheFieldLimitsGetsRecordsWithinTheBudget() {
        int budget = TimelineSettings.RECORD_BUDGET.defaultValue();
        try (TimelineDriver t = new TimelineDriver(stateDir)) {
            TestOutputTopic<String, byte[]> timelines = t.driver.createOutputTopic(CareTopics.TIMELINES,
                    new StringDeserializer(), new ByteArrayDeserializer());
            TestOutputTopic<String, byte[]> changes = t.driver.createOutputTopic(CareTopics.TIMELINE_CHANGES,
                    new StringDeserializer(), new ByteArrayDeserializer());
            List<SpecificRecord> events = eventsAtTheirLimits(PATIENT, 180);
            assertThat(events).allMatch(e -> CareEventLimits.problems(e).isEmpty())
                    .allMatch(e -> CareEventLimits.encodedSize(e) > 4_000);
            t.publish(events);
            assertThat(t.deadLetters.readRecordsToList()).isEmpty();

            List<byte[]> records = timelines.readValuesToList();
            assertThat(records).hasSize(180);
            assertThat(records).allSatisfy(r -> assertThat(r.length).isLessThanOrEqualTo(budget + 5));
            assertThat(changes.readValuesToList()).allSatisfy(r -> assertThat(r.length)
                    .isLessThan(TimelineSettings.MAX_RECORD_BYTES.defaultValue()));
            Timeline last = t.topics.timelines().valueSerde().deserializer().deserialize(CareTopics.TIMELINES,
                    records.get(records.size() - 1));
            assertThat(last.getTruncated()).isTrue();
            assertThat(last.getEntries()).isNotEmpty().hasSizeLessThan(100);
            TimelineSummary shown = last.getSummary();
            assertThat(shown.getCurrentEntries()).isEqualTo(180);
            assertThat(shown.getOmitted()).containsKeys(TimelineSummaries.OPEN_REFERRALS,
                    TimelineSummaries.CURRENT_PRESCRIPTIONS, TimelineSummaries.SPELLS);
            assertThat(shown.getOmitted().get(TimelineSummaries.OPEN_REFERRALS)
                    + shown.getOpenReferrals().size()).as("listed + left out = every open referral").isEqualTo(60);
            // no summary copy carries unbounded text, and the stored state stays far below a record's limit
            assertThat(shown.getOpenReferrals()).allSatisfy(e -> assertThat(e.getDetails().values())
                    .allMatch(v -> v.length() <= org.caretrail.timeline.domain.SummaryBudget.BRIEF_CHARS));
            TimelineSummary stored = t.reader().summary(PATIENT).orElseThrow();
            assertThat(EncodedSize.of(stored)).isLessThan(TimelineSettings.MAX_RECORD_BYTES.defaultValue() / 2);
            var items = t.driver.<String, CareItem>getKeyValueStore(TimelineStores.ITEMS);
            try (var it = items.all()) {
                it.forEachRemaining(kv -> assertThat(kv.value.events().stream().mapToLong(EncodedSize::of).sum())
                        .isLessThanOrEqualTo(CareItem.MAX_BYTES));
            }
        }
    }

    @Test
    void aRecordThatIsStillTooLargeGoesToTheDeadLetterTopicForThatPatientAndThePipelineGoesOn() {
        // a budget above the backstop, so the backstop is reached (a budget is normally well below it)
        TimelineSettings settings = TimelineSettings.defaults()
                .with(TimelineSettings.RECORD_BUDGET, 200_000)
                .with(TimelineSettings.MAX_RECORD_BYTES, 60_000);
        try (TimelineDriver t = new TimelineDriver(stateDir, settings)) {
            t.publish(eventsAtTheirLimits(PATIENT, 6));
            List<TestRecord<byte[], byte[]>> dead = t.deadLetters.readRecordsToList();
            assertThat(dead).isNotEmpty().allSatisfy(r -> {
                assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(PATIENT);
                assertThat(DeadLetters.header(r.headers(), CareTopics.HEADER_REASON))
                        .contains("the output for care.timelines was not written")
                        .contains("the limit is 60000");
            });
            // the pipeline goes on: another patient's events are placed and announced
            t.publish(attendance(OTHER, "ae-1", T0, "other"));
            assertThat(t.current(OTHER)).hasSize(1);
            assertThat(t.changes.readValuesToList()).anyMatch(c -> c.getNhsNumber().equals(OTHER));
            assertThat(t.timelines.readKeyValuesToMap()).containsKey(OTHER);
        }
    }

    @Test
    void theRecordBudgetIsASettingWithADefaultWellBelowTheProducersLimit() {
        assertThat(TimelineSettings.RECORD_BUDGET.defaultValue())
                .isLessThanOrEqualTo(TimelineSettings.PRODUCER_MAX_REQUEST_SIZE / 2);
        assertThat(TimelineSettings.MAX_RECORD_BYTES.defaultValue())
                .isLessThan(TimelineSettings.PRODUCER_MAX_REQUEST_SIZE);
        assertThat(TimelineSettings.defaults().toStreamsProperties().get("producer.max.request.size"))
                .isEqualTo(TimelineSettings.PRODUCER_MAX_REQUEST_SIZE);
    }
}
