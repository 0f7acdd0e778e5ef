package org.caretrail.timeline.processor;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEventValidator;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.topic.Topics;
import org.caretrail.timeline.errors.DeadLetterHandlers;
import org.caretrail.timeline.errors.DeadLetters;
import org.caretrail.timeline.errors.RegistryUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes a care event from its original bytes with the topic's Avro serde and checks it with the
 * {@link CareEventValidator}. A valid event goes on keyed by the patient (NHS number, else
 * {@code system|value}; see {@link #key}); anything else (not Avro, unknown schema id, invalid) goes on
 * as a rejection carrying the original bytes and dead-letter headers naming the reason, source topic,
 * partition and offset. Never throws for bad input; only an unreachable schema registry stops it
 * (the record is not at fault, see {@link RegistryUnavailableException}).
 */
public final class DecodeAndValidate implements Processor<byte[], byte[], String, Decoded> {

    private static final Logger LOG = LoggerFactory.getLogger(DecodeAndValidate.class);

    private final Topics topics;
    private final CareEventValidator validator;
    private final Map<String, CareEventType> typesByTopic;
    private ProcessorContext<String, Decoded> context;
    private Sensor rejected;

    public DecodeAndValidate(Topics topics, CareEventValidator validator, List<CareEventType> types) {
        this.topics = topics;
        this.validator = validator;
        this.typesByTopic = types.stream().collect(java.util.stream.Collectors.toMap(CareEventType::topic, t -> t));
    }

    @Override
    public void init(ProcessorContext<String, Decoded> context) {
        this.context = context;
        // a Kafka Streams metric, so it shows wherever the client's metrics go (Micrometer, JMX)
        this.rejected = context.metrics().addRateTotalSensor(METRICS_SCOPE, "decode-and-validate", "rejected-events",
                Sensor.RecordingLevel.INFO);
    }

    /** Scope of CareTrail's own stream metrics: {@code stream-caretrail-timeline-metrics}. */
    public static final String METRICS_SCOPE = "caretrail-timeline";

    @Override
    public void process(Record<byte[], byte[]> record) {
        Optional<RecordMetadata> meta = context.recordMetadata();
        String topic = meta.map(RecordMetadata::topic).orElse("");
        int partition = meta.map(RecordMetadata::partition).orElse(-1);
        long offset = meta.map(RecordMetadata::offset).orElse(-1L);
        String problem;
        try {
            SpecificRecord event = decode(topic, record.value());
            context.forward(record.withKey(key(event))
                    .withValue(Decoded.valid(event, new HeldEvent(topic, partition, offset, 0, record.key(),
                            record.value()))));
            return;
        } catch (Rejected r) {
            problem = r.getMessage();
        }
        LOG.warn("Rejected care event {}-{}@{}: {}", topic, partition, offset, problem);
        rejected.record();
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        DeadLetters.headers(headers, problem, topic, partition, offset);
        context.forward(new Record<String, Decoded>(null, Decoded.rejected(record.key(), record.value(), problem),
                record.timestamp(), headers));
    }

    /**
     * The key an event goes on with: the patient (NHS number, else {@code system|value}); for an
     * identity event, the identity it resolves (the local identifier, else the superseded NHS number).
     */
    static String key(SpecificRecord event) {
        if (event instanceof PatientIdentity id) {
            if (id.getLocalId() != null) {
                return CareEvents.localKey(id.getLocalId());
            }
            if (id.getSupersededNhsNumber() != null && !id.getSupersededNhsNumber().isBlank()) {
                return id.getSupersededNhsNumber().replace(" ", "");
            }
        }
        return CareEvents.patientKey(event);
    }

    private SpecificRecord decode(String topic, byte[] value) {
        CareEventType type = typesByTopic.get(topic);
        if (type == null) {
            throw new Rejected("topic " + topic + " is not an input topic of the timeline");
        }
        if (value == null) {
            throw new Rejected("empty record (no value) on " + topic);
        }
        SpecificRecord event;
        try {
            event = topics.events(type).valueSerde().deserializer().deserialize(topic, value);
        } catch (SerializationException | org.caretrail.events.serde.SchemaRegistryException e) {
            if (DeadLetterHandlers.registryUnavailable(e)) {
                throw new RegistryUnavailableException("cannot decode a record on " + topic
                        + ": the schema registry is unavailable: " + e.getMessage(), e);
            }
            throw new Rejected("cannot decode " + type.jsonName() + " event: " + e.getMessage());
        } catch (RuntimeException e) {
            throw new Rejected("cannot decode " + type.jsonName() + " event: " + e);
        }
        List<String> problems = validator.problems(event);
        if (!problems.isEmpty()) {
            throw new Rejected("invalid " + type.jsonName() + " event: " + String.join("; ", problems));
        }
        return event;
    }

    /** A record that cannot go on the timeline; its message is the dead-letter reason. */
    private static final class Rejected extends RuntimeException {
        Rejected(String reason) {
            super(reason, null, false, false);
        }
    }
}
