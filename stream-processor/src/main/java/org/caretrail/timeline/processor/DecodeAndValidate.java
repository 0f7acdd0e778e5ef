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
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.topic.Topics;
import org.caretrail.timeline.errors.DeadLetterHandlers;
import org.caretrail.timeline.errors.DeadLetters;
import org.caretrail.timeline.errors.RegistryUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes a care event from its original bytes with the topic's Avro serde, puts every NHS number it carries
 * in the canonical ten-digit form ({@link CareEvents#canonical}: "999-000-1006" from a third-party producer
 * lands on 9990001006's timeline) and checks it with the shared {@link CareEventValidator} (contract rules and
 * the size limits of {@code CareEventLimits}: no field, list or event over its limit gets any further). A
 * valid event goes on keyed by the patient (NHS number, else {@code system|value}; see {@link #key}), without
 * the producer's headers (they are not the timeline's to carry); anything else (not Avro, unknown schema id,
 * invalid, over a limit) goes on as a rejection carrying the original bytes and dead-letter headers naming the
 * reason, source topic, partition and offset. Never throws for bad input; only an unreachable schema registry
 * stops it (the record is not at fault, see {@link RegistryUnavailableException}).
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
            SpecificRecord event = decode(topic, record.key(), record.value());
            context.forward(new Record<>(key(event), Decoded.valid(event, new HeldEvent(topic, partition, offset, 0,
                    record.key(), record.value())), record.timestamp(), new RecordHeaders()));
            return;
        } catch (Rejected r) {
            problem = r.getMessage();
        }
        LOG.warn("Rejected care event {}-{}@{}: {}", topic, partition, offset, problem);
        rejected.record();
        RecordHeaders headers = DeadLetters.keptHeaders(record.headers());
        DeadLetters.headers(headers, problem, topic, partition, offset);
        DeadLetters.truncation(headers, record.key(), record.value());
        context.forward(new Record<String, Decoded>(null, Decoded.rejected(DeadLetters.boundedKey(record.key()),
                DeadLetters.boundedValue(record.value()), problem), record.timestamp(), headers));
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
                return NhsNumber.canonicalOrSame(id.getSupersededNhsNumber());
            }
        }
        return CareEvents.patientKey(event);
    }

    /** Longest record key accepted: events are keyed by NHS number or {@code system|value}. */
    public static final int MAX_KEY_BYTES = 1024;

    private SpecificRecord decode(String topic, byte[] key, byte[] value) {
        CareEventType type = typesByTopic.get(topic);
        if (type == null) {
            throw new Rejected("topic " + topic + " is not an input topic of the timeline");
        }
        if (value == null) {
            throw new Rejected("empty record (no value) on " + topic);
        }
        if (key != null && key.length > MAX_KEY_BYTES) {
            throw new Rejected("the record key is " + key.length + " bytes; the limit is " + MAX_KEY_BYTES
                    + " (events are keyed by NHS number or local identifier)");
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
        CareEvents.canonical(event);
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
