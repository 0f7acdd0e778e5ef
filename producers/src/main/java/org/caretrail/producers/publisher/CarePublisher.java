package org.caretrail.producers.publisher;

import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEventValidator;
import org.caretrail.events.CareEvents;
import org.caretrail.events.InvalidCareEventException;
import org.caretrail.events.kafka.DurableProducer;
import org.caretrail.events.metrics.CareMetrics;
import org.caretrail.events.kafka.KafkaClientSettings;
import org.caretrail.events.serde.SchemaRegistry;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.topic.Topic;
import org.caretrail.events.topic.Topics;

/**
 * The publisher library provider systems embed: validate a care event against the contract, then
 * send it to its topic, keyed by patient, with an idempotent {@code acks=all} producer
 * ({@link DurableProducer}).
 *
 * <pre>{@code
 * try (CarePublisher publisher = CarePublisher.connect("localhost:9092", "http://localhost:8081")) {
 *     publisher.publish(admission).join();   // completes when the broker has the write
 * }
 * }</pre>
 *
 * <p>An invalid event is never sent: the returned future fails with
 * {@link InvalidCareEventException} naming every problem.
 */
public final class CarePublisher implements AutoCloseable {

    private final Producer<String, byte[]> producer;
    private final Topics topics;
    private final CareEventValidator validator;
    private final boolean ownsRegistry;
    private volatile MeterRegistry meters;

    public CarePublisher(Producer<String, byte[]> producer, Topics topics, CareEventValidator validator) {
        this(producer, topics, validator, false);
    }

    private CarePublisher(Producer<String, byte[]> producer, Topics topics, CareEventValidator validator,
                          boolean ownsRegistry) {
        this.producer = producer;
        this.topics = topics;
        this.validator = validator;
        this.ownsRegistry = ownsRegistry;
    }

    /** A publisher with its own producer and registry client. */
    public static CarePublisher connect(String bootstrapServers, String schemaRegistryUrl) {
        return connect(KafkaClientSettings.plaintext(bootstrapServers), schemaRegistryUrl);
    }

    /**
     * A publisher with its own producer and registry client, connecting as {@code kafka} (on a secured
     * cluster: TLS and the publishing system's SCRAM principal).
     */
    public static CarePublisher connect(KafkaClientSettings kafka, String schemaRegistryUrl) {
        Topics topics = new Topics(new org.caretrail.events.serde.RestSchemaRegistry(schemaRegistryUrl));
        return new CarePublisher(durableProducer(kafka, "caretrail-publisher"), topics, new CareEventValidator(), true);
    }

    /** A publisher sharing {@code topics} (and so its registry client) with the caller. */
    public static CarePublisher connect(String bootstrapServers, Topics topics, String clientId) {
        return connect(KafkaClientSettings.plaintext(bootstrapServers), topics, clientId);
    }

    /** A publisher sharing {@code topics} with the caller, connecting as {@code kafka}. */
    public static CarePublisher connect(KafkaClientSettings kafka, Topics topics, String clientId) {
        return new CarePublisher(durableProducer(kafka, clientId), topics, new CareEventValidator(), false);
    }

    /**
     * A publisher for the adapters, whose every publish has a sender waiting for its answer (an MLLP ACK,
     * a FHIR 201): the same durable producer without a linger ({@link DurableProducer#ANSWERING_LINGER_MS}),
     * so a waiting sender is not kept waiting for a batch to fill. Sharing {@code topics} with the caller.
     */
    public static CarePublisher forWaitingSenders(KafkaClientSettings kafka, Topics topics, String clientId) {
        return new CarePublisher(DurableProducer.createAnswering(kafka.config(), clientId, new StringSerializer(),
                new ByteArraySerializer()), topics, new CareEventValidator(), false);
    }

    /**
     * Durable, ordered, idempotent, and bounded in time: {@link DurableProducer}'s settings (acks=all,
     * idempotence, a send blocks at most 3 s, a write is retried for at most 30 s).
     */
    private static Producer<String, byte[]> durableProducer(KafkaClientSettings kafka, String clientId) {
        return DurableProducer.create(kafka.config(), clientId, new StringSerializer(), new ByteArraySerializer());
    }

    /**
     * Validates and sends one event. The future completes when the broker has acknowledged the
     * write to all in-sync replicas, or fails with the reason (invalid event, registry or broker
     * error). Every NHS number the event carries is first put in its canonical ten-digit form
     * ({@link CareEvents#canonical}), so "999-000-1006" and "9990001006" reach one timeline.
     */
    public CompletableFuture<RecordMetadata> publish(SpecificRecord event) {
        CompletableFuture<RecordMetadata> result = new CompletableFuture<>();
        byte[] value;
        String topicName;
        String key;
        String type = eventType(event);
        try {
            CareEvents.canonical(event);
            validator.requireValid(event);
            Topic<String, SpecificRecord> topic = topics.events(CareEventType.of(event));
            topicName = topic.name();
            key = CareEvents.patientKey(event);
            value = topic.valueSerde().serializer().serialize(topicName, event);
        } catch (RuntimeException e) {
            rejected(type, e instanceof InvalidCareEventException ? "invalid" : "unencodable");
            result.completeExceptionally(e);
            return result;
        }
        send(new ProducerRecord<>(topicName, key, value), result);
        MeterRegistry registry = meters;
        if (registry != null) {
            result.whenComplete((metadata, error) -> {
                if (error == null) {
                    registry.counter(CareMetrics.EVENTS_PUBLISHED, CareMetrics.EVENT_TYPE, type).increment();
                } else {
                    rejected(type, "not-stored");
                }
            });
        }
        return result;
    }

    /**
     * Counts from now on, on {@code registry}: {@link CareMetrics#EVENTS_PUBLISHED} (the broker has the
     * event) and {@link CareMetrics#EVENTS_REJECTED} with a reason of {@code invalid} (broke the contract,
     * never sent), {@code unencodable} (the registry or serializer failed) or {@code not-stored} (the
     * broker did not take it), both by event type (admission, discharge ...: a fixed set).
     */
    public CarePublisher meterWith(MeterRegistry registry) {
        // every type and reason starts at 0 (a few dozen series), so rates and the alert rules are defined at once
        for (CareEventType type : CareEventType.values()) {
            registry.counter(CareMetrics.EVENTS_PUBLISHED, CareMetrics.EVENT_TYPE, type.jsonName());
            for (String reason : REJECTION_REASONS) {
                registry.counter(CareMetrics.EVENTS_REJECTED, CareMetrics.EVENT_TYPE, type.jsonName(),
                        CareMetrics.REASON, reason);
            }
        }
        this.meters = registry;
        return this;
    }

    /** The reasons {@link CareMetrics#EVENTS_REJECTED} gives. */
    static final java.util.Set<String> REJECTION_REASONS = java.util.Set.of("invalid", "unencodable", "not-stored");

    private void rejected(String type, String reason) {
        MeterRegistry registry = meters;
        if (registry != null) {
            registry.counter(CareMetrics.EVENTS_REJECTED, CareMetrics.EVENT_TYPE, type, CareMetrics.REASON, reason)
                    .increment();
        }
    }

    private static String eventType(SpecificRecord event) {
        try {
            return CareEventType.of(event).jsonName();
        } catch (RuntimeException e) { // not a care event at all: the validator says why
            return CareMetrics.OTHER;
        }
    }

    /** Sends, completing {@code result} from the producer's callback; a send that throws fails it too. */
    private void send(ProducerRecord<String, byte[]> record, CompletableFuture<RecordMetadata> result) {
        try {
            producer.send(record, (metadata, error) -> {
                if (error != null) {
                    result.completeExceptionally(error);
                } else {
                    result.complete(metadata);
                }
            });
        } catch (RuntimeException e) { // a closed producer, an interrupted send: the caller learns it from the future
            result.completeExceptionally(e);
        }
    }

    /** Sends each event; one future per event, in the same order. */
    public List<CompletableFuture<RecordMetadata>> publishAll(Collection<? extends SpecificRecord> events) {
        List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>(events.size());
        for (SpecificRecord event : events) {
            futures.add(publish(event));
        }
        return futures;
    }

    /** Completes when every event has been acknowledged; fails if any failed. */
    public CompletableFuture<Void> publishBatch(Collection<? extends SpecificRecord> events) {
        return CompletableFuture.allOf(publishAll(events).toArray(CompletableFuture[]::new));
    }

    /**
     * Records rejected input on {@code care.dead-letter}: the original bytes, the reason and where
     * it came from (an adapter names itself, e.g. {@code mllp:2575}, in the source-topic header).
     * Adapters call this before they answer a sender with a rejection, so nothing is lost silently.
     */
    public CompletableFuture<RecordMetadata> publishDeadLetter(String key, byte[] original, String reason,
                                                               String origin) {
        CompletableFuture<RecordMetadata> result = new CompletableFuture<>();
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topics.deadLetter().name(), key, original);
        record.headers().add(CareTopics.HEADER_REASON, reason.getBytes(StandardCharsets.UTF_8));
        record.headers().add(CareTopics.HEADER_SOURCE_TOPIC, origin.getBytes(StandardCharsets.UTF_8));
        send(record, result);
        return result;
    }

    public void flush() {
        producer.flush();
    }

    public Topics topics() {
        return topics;
    }

    @Override
    public void close() {
        producer.close();
        if (ownsRegistry) {
            topics.registry().close();
        }
    }

    /** The schema registry this publisher writes ids from. */
    public SchemaRegistry registry() {
        return topics.registry();
    }
}
