package org.caretrail.producers.hl7;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.producers.hl7.AdtMessageBuilder.adt;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.Optional;
import org.apache.kafka.common.errors.TimeoutException;
import org.caretrail.events.metrics.CareMetrics;
import org.caretrail.producers.support.MockPublisher;
import org.junit.jupiter.api.Test;

/**
 * What an operator counts on the MLLP feed ({@link CareMetrics#MLLP_MESSAGES}) and on the publisher behind it
 * ({@link CareMetrics#EVENTS_PUBLISHED}, {@link CareMetrics#EVENTS_REJECTED}): the trigger from MSH-9 and
 * the ACK code HL7v2 table 0008 gives each outcome, and never anything from the message's content.
 */
class Hl7MetricsTest {

    private static final String NHS = AdtMapperTest.NHS;
    private static final Instant T0 = Instant.parse("2026-11-20T09:00:00Z");

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private Hl7Processor processor(MockPublisher mock) {
        Hl7Settings settings = Hl7Settings.defaults();
        mock.publisher.meterWith(registry);
        return new Hl7Processor(mock.publisher, TestMessageLogs.empty(settings).log(), settings).meterWith(registry);
    }

    private static AdtMessageBuilder inpatient(String trigger, String id) {
        return adt(trigger, id, T0).nhsNumber(NHS).localId("40800000", "MRENTR").visitNumber("V100")
                .location("WARD 7", "ST THOMAS");
    }

    private double mllp(String trigger, String ack) {
        return Optional.ofNullable(registry.find(CareMetrics.MLLP_MESSAGES).tags(CareMetrics.TRIGGER, trigger,
                CareMetrics.ACK, ack).counter()).map(Counter::count).orElse(0.0);
    }

    @Test
    void each_message_is_counted_by_its_trigger_and_the_ack_it_got() {
        MockPublisher mock = new MockPublisher();
        Hl7Processor hl7 = processor(mock);

        // an admission that maps and validates: AA
        assertThat(hl7.handle(inpatient("A01", "M1").build()).code().name()).isEqualTo("AA");
        // a discharge whose NHS number fails Modulus 11: invalid content, AE
        assertThat(hl7.handle(inpatient("A03", "M2").nhsNumber("9990000019").build()).code().name()).isEqualTo("AE");
        // a lab result: not a message type CareTrail handles, AR; its trigger is not an ADT one: "other"
        assertThat(hl7.handle("MSH|^~\\&|LAB|RJ1|CT|CT|20261120090000||ORU^R01^ORU_R01|L1|P|2.5\rPID|||x\r")
                .code().name()).isEqualTo("AR");
        // not HL7 at all: AR, "unparsed"
        assertThat(hl7.handle("hello, 9990000018").code().name()).isEqualTo("AR");

        assertThat(mllp("ADT_A01", "AA")).isEqualTo(1.0);
        assertThat(mllp("ADT_A03", "AE")).isEqualTo(1.0);
        assertThat(mllp("other", "AR")).isEqualTo(1.0);
        assertThat(mllp("unparsed", "AR")).isEqualTo(1.0);
        assertThat(registry.find(CareMetrics.MLLP_MESSAGES).counters()).hasSize(4);
        // the admission's events were published and counted by type: the admission and its identity link
        assertThat(registry.get(CareMetrics.EVENTS_PUBLISHED).tag(CareMetrics.EVENT_TYPE, "admission").counter()
                .count()).isEqualTo(1.0);
        assertThat(registry.find(CareMetrics.EVENTS_PUBLISHED).counters().stream().mapToDouble(Counter::count).sum())
                .isEqualTo(mock.producer.history().stream().filter(r -> !r.topic().equals("care.dead-letter")).count());
        noPatientInAnyLabel();
    }

    @Test
    void a_write_kafka_refuses_is_counted_as_rejected_not_stored() {
        MockPublisher mock = new MockPublisher(false);
        Hl7Processor hl7 = processor(mock);
        Thread failer = new Thread(() -> {
            while (mock.producer.history().isEmpty()) {
                Thread.onSpinWait();
            }
            while (mock.producer.errorNext(new TimeoutException("broker away"))) {
                Thread.onSpinWait();
            }
        });
        failer.start();
        assertThat(hl7.handle(inpatient("A01", "M9").build()).code().name()).isEqualTo("AR");
        assertThat(mllp("ADT_A01", "AR")).isEqualTo(1.0);
        // which of the message's events (the admission, its identity link) Kafka refused first depends on the
        // order the sends leave in: at least one of them is counted as not stored, none as published
        assertThat(registry.find(CareMetrics.EVENTS_REJECTED).tag(CareMetrics.REASON, "not-stored").counters()
                .stream().mapToDouble(Counter::count).sum()).isGreaterThanOrEqualTo(1.0);
        assertThat(registry.find(CareMetrics.EVENTS_PUBLISHED).counters().stream().mapToDouble(Counter::count).sum())
                .isZero();
    }

    @Test
    void the_trigger_label_is_read_from_msh_9_and_bounded() {
        assertThat(Hl7Processor.triggerLabel("MSH|^~\\&|A|B|C|D|20261120||ADT^A08^ADT_A01|1|P|2.5")).isEqualTo("ADT_A08");
        // other delimiters, as MSH-1 and MSH-2 declare them
        assertThat(Hl7Processor.triggerLabel("MSH#$~\\&#A#B#C#D#20261120##ADT$A40#1#P#2.5")).isEqualTo("ADT_A40");
        // a sender cannot make a label of its choosing
        assertThat(Hl7Processor.triggerLabel("MSH|^~\\&|A|B|C|D|20261120||ADT^9990000018|1|P|2.5")).isEqualTo("other");
        assertThat(Hl7Processor.triggerLabel("MSH|^~\\&|A|B|C|D|20261120||ZZZ^A01|1|P|2.5")).isEqualTo("other");
        assertThat(Hl7Processor.triggerLabel("")).isEqualTo("unparsed");
    }

    private void noPatientInAnyLabel() {
        for (Meter meter : registry.getMeters()) {
            meter.getId().getTags().forEach(tag -> assertThat(tag.getValue()).doesNotContain(NHS)
                    .doesNotContain("9990000019").doesNotContain("40800000"));
        }
    }
}
