package org.caretrail.timeline.errors;

import java.util.Map;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A serde whose serializer refuses a record larger than a limit ({@link OversizedRecordException}).
 *
 * <p>Why in the serializer: under {@code exactly_once_v2} a record the producer finds too large
 * ({@code RecordTooLargeException}, over {@code max.request.size}) puts the transaction in an abortable error
 * state (Kafka 4.3.1: {@code KafkaProducer.doSend} → {@code TransactionManager.maybeTransitionToErrorState}), so
 * the transaction aborts whatever the production exception handler answers, the task is retried and meets the
 * same record again, for ever. A serialization error is handled before the record reaches the producer
 * ({@code RecordCollectorImpl.send} → {@code ProductionExceptionHandler.handleSerializationError}): the handler
 * can send a dead letter instead and the transaction commits.
 */
public final class BoundedSerde<T> implements Serde<T> {

    private final Serde<T> inner;
    private final int limit;

    public BoundedSerde(Serde<T> inner, int limitBytes) {
        this.inner = inner;
        this.limit = limitBytes;
    }

    @Override
    public Serializer<T> serializer() {
        Serializer<T> s = inner.serializer();
        return new Serializer<>() {
            @Override
            public byte[] serialize(String topic, T data) {
                return check(topic, s.serialize(topic, data));
            }

            @Override
            public byte[] serialize(String topic, Headers headers, T data) {
                return check(topic, s.serialize(topic, headers, data));
            }
        };
    }

    private byte[] check(String topic, byte[] bytes) {
        if (bytes != null && bytes.length > limit) {
            throw new OversizedRecordException(topic, bytes.length, limit);
        }
        return bytes;
    }

    @Override
    public Deserializer<T> deserializer() {
        return inner.deserializer();
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        inner.configure(configs, isKey);
    }

    @Override
    public void close() {
        inner.close();
    }
}
