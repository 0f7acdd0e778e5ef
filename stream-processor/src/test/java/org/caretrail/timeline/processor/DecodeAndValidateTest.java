package org.caretrail.timeline.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.timeline.CareEventFixtures.T0;
import static org.caretrail.timeline.CareEventFixtures.attendance;
import static org.caretrail.timeline.CareEventFixtures.nhs;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEventValidator;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.serde.InMemorySchemaRegistry;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.topic.Topics;
import org.caretrail.timeline.errors.DeadLetters;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The decode step on its own ({@link MockProcessorContext}): one spelling of NHS numbers, limits, bounds. */
class DecodeAndValidateTest {

    private static final String PATIENT = nhs(600);
    private final Topics topics = new Topics(new InMemorySchemaRegistry());
    private MockProcessorContext<String, Decoded> context;
    private DecodeAndValidate decode;

    @BeforeEach
    void start() {
        context = MockTimelineContext.create();
        context.setRecordMetadata("care.attendances", 2, 40L);
        decode = new DecodeAndValidate(topics, new CareEventValidator(Clock.fixed(T0.plus(Duration.ofDays(1)),
                ZoneOffset.UTC), Duration.ofHours(24)), List.of(CareEventType.ATTENDANCE));
        decode.init(context);
    }

    private byte[] bytes(Attendance a) {
        return topics.events(CareEventType.ATTENDANCE).valueSerde().serializer().serialize("care.attendances", a);
    }

    @Test
    void aHyphenatedNhsNumberIsKeyedAndCarriedInItsTenDigitForm() {
        String hyphenated = PATIENT.substring(0, 3) + "-" + PATIENT.substring(3, 6) + "-" + PATIENT.substring(6);
        RecordHeaders headers = new RecordHeaders();
        headers.add("x-producer", "value".getBytes(StandardCharsets.UTF_8));
        decode.process(new Record<>(hyphenated.getBytes(StandardCharsets.UTF_8),
                bytes(attendance(hyphenated, "ae-1", T0, "ae")), 0L, headers));
        assertThat(context.forwarded()).singleElement().satisfies(f -> {
            assertThat(f.record().key()).isEqualTo(PATIENT);
            assertThat(((Attendance) f.record().value().event()).getHeader().getPatient().getNhsNumber())
                    .isEqualTo(PATIENT);
            assertThat(f.record().headers().toArray()).as("the producer's headers stay behind").isEmpty();
        });
    }

    @Test
    void anEventOverALimitIsRejectedWithTheFieldItsSizeAndTheLimit() {
        Attendance a = attendance(PATIENT, "ae-1", T0, "ae");
        a.setChiefComplaint("c".repeat(5_000));
        decode.process(new Record<>(null, bytes(a), 0L));
        assertThat(context.forwarded()).singleElement().satisfies(f -> {
            assertThat(f.record().value().isValid()).isFalse();
            assertThat(DeadLetters.header(f.record().headers(), CareTopics.HEADER_REASON))
                    .contains("chiefComplaint is 5000 characters long; the limit is 4000");
            assertThat(DeadLetters.header(f.record().headers(), CareTopics.HEADER_SOURCE_OFFSET)).isEqualTo("40");
        });
        assertThat(MockTimelineContext.metric(context, "rejected-events-total")).isEqualTo(1.0);
    }

    @Test
    void aRejectedRecordsBulkyValueAndHeadersAreBoundedInItsDeadLetter() {
        byte[] garbage = new byte[DeadLetters.MAX_VALUE_BYTES + 1000];
        java.util.Arrays.fill(garbage, (byte) 7);
        RecordHeaders headers = new RecordHeaders();
        headers.add("x-bulky", new byte[DeadLetters.MAX_KEPT_HEADER_BYTES + 1]);
        decode.process(new Record<>(null, garbage, 0L, headers));
        assertThat(context.forwarded()).singleElement().satisfies(f -> {
            assertThat(f.record().value().originalValue()).hasSize(DeadLetters.MAX_VALUE_BYTES);
            assertThat(f.record().headers().lastHeader("x-bulky")).isNull();
            assertThat(DeadLetters.header(f.record().headers(), DeadLetters.HEADER_TRUNCATED))
                    .isEqualTo("key=0,value=" + garbage.length);
            assertThat(DeadLetters.header(f.record().headers(), CareTopics.HEADER_REASON))
                    .contains("not a Confluent-framed Avro record");
        });
    }
}
