package org.caretrail.deploy;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.caretrail.producers.hl7.Hl7MessageLog;
import org.caretrail.producers.hl7.Hl7Processor;
import org.caretrail.producers.hl7.MllpAdapter;

/** The HL7v2 listener's figures on {@code /metrics}: what an operator watches on the MLLP feed. */
final class Hl7Metrics {

    private Hl7Metrics() {
    }

    static void bind(MllpAdapter mllp, MeterRegistry metrics) {
        Hl7Processor hl7 = mllp.processor();
        hl7.meterWith(metrics); // caretrail_mllp_messages_total{trigger, ack}
        FunctionCounter.builder("caretrail.hl7.reused.control.ids", hl7, Hl7Processor::reusedControlIds)
                .description("messages published under a control id (MSH-10) already used for other content: "
                        + "the sender reuses ids")
                .register(metrics);
        FunctionCounter.builder("caretrail.hl7.unrecorded.messages", hl7, Hl7Processor::unrecordedMessages)
                .description("messages published whose record in the HL7 message log could not be written")
                .register(metrics);
        Gauge.builder("caretrail.hl7.message.log.items", hl7.messageLog(), Hl7MessageLog::itemsHeld)
                .description("care items the HL7 message log holds in memory").register(metrics);
        Gauge.builder("caretrail.hl7.message.log.messages", hl7.messageLog(), Hl7MessageLog::messagesHeld)
                .description("messages the HL7 message log holds in memory").register(metrics);
        Gauge.builder("caretrail.mllp.connections", mllp, MllpAdapter::openConnections)
                .description("MLLP connections open").register(metrics);
    }
}
