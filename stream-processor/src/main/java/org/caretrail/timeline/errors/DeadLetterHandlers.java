package org.caretrail.timeline.errors;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.caretrail.events.serde.SchemaRegistryException;
import org.caretrail.events.topic.CareTopics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams error handlers (configured in {@code TimelineSettings.toStreamsProperties()}) that
 * send the record at fault to the dead-letter topic named by {@code errors.dead.letter.queue.topic.name}
 * (KIP-1034), with CareTrail's headers, log topic/partition/offset, and resume. Retriable problems
 * (a broker timeout, the schema registry unreachable) are not the record's fault: they fail or
 * retry instead of dead-lettering good events.
 *
 * <p>Most bad input never reaches these: the timeline topology reads care events as bytes and its
 * decode step routes undecodable and invalid events itself. These are the safety net for everything
 * else (internal topics, output serialization, bugs).
 */
public final class DeadLetterHandlers {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterHandlers.class);

    private DeadLetterHandlers() {
    }

    private static String topic(Map<String, ?> configs) {
        Object t = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
        return t == null || t.toString().isBlank() ? CareTopics.DEAD_LETTER : t.toString();
    }

    private static String reason(String what, Exception e) {
        return what + ": " + e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    private static List<ProducerRecord<byte[], byte[]>> deadLetter(String dlq, ErrorHandlerContext c, String reason) {
        return List.of(DeadLetters.record(dlq, c.sourceRawKey(), c.sourceRawValue(), reason, c.topic(),
                c.partition(), c.offset()));
    }

    private static byte[] keyBytes(Object key) {
        if (key instanceof byte[] b) {
            return b;
        }
        return key == null ? null : key.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** True when {@code e} (or a cause) says the registry could not be asked, rather than refused. */
    public static boolean registryUnavailable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RegistryUnavailableException) {
                return true;
            }
            if (t instanceof SchemaRegistryException r && (r.status() < 0 || r.status() >= 500)) {
                return true;
            }
        }
        return false;
    }

    /** Undecodable records on any topic the topology reads with a typed serde. */
    public static final class Deserialization implements DeserializationExceptionHandler {
        private String dlq = CareTopics.DEAD_LETTER;

        @Override
        public void configure(Map<String, ?> configs) {
            dlq = topic(configs);
        }

        @Override
        public Response handleError(ErrorHandlerContext c, org.apache.kafka.clients.consumer.ConsumerRecord<byte[],
                byte[]> record, Exception e) {
            if (registryUnavailable(e)) {
                LOG.error("Schema registry unavailable reading {}-{}@{}; failing so the record is read again",
                        c.topic(), c.partition(), c.offset(), e);
                return Response.fail();
            }
            String reason = reason("cannot deserialize", e);
            LOG.warn("Dead-lettering record {}-{}@{}: {}", c.topic(), c.partition(), c.offset(), reason);
            return Response.resume(List.of(DeadLetters.record(dlq, record.key(), record.value(), reason,
                    record.topic(), record.partition(), record.offset())));
        }
    }

    /** Exceptions thrown inside a processor for one record. */
    public static final class Processing implements ProcessingExceptionHandler {
        private String dlq = CareTopics.DEAD_LETTER;

        @Override
        public void configure(Map<String, ?> configs) {
            dlq = topic(configs);
        }

        @Override
        public Response handleError(ErrorHandlerContext c, Record<?, ?> record, Exception e) {
            if (registryUnavailable(e) || e instanceof RetriableException) {
                LOG.error("Retriable failure processing {}-{}@{} in {}; failing the task so it is retried",
                        c.topic(), c.partition(), c.offset(), c.processorNodeId(), e);
                return Response.fail();
            }
            String reason = reason("processing failed in " + c.processorNodeId(), e);
            LOG.error("Dead-lettering record {}-{}@{}: {}", c.topic(), c.partition(), c.offset(), reason, e);
            return Response.resume(deadLetter(dlq, c, reason));
        }
    }

    /**
     * Failures writing output. A record refused as too large by its serializer
     * ({@link OversizedRecordException}: see {@link BoundedSerde} for why the check is there) is replaced by a
     * dead letter keyed by the record's key (the patient), with the input record being processed as its value
     * (when Kafka Streams still holds it) and the reason; processing goes on and, under exactly_once_v2, the
     * transaction commits.
     *
     * <p>A write the producer or the broker refuses ({@code RecordTooLargeException} and the like) is
     * dead-lettered under at_least_once. Under exactly_once_v2 the producer has doomed the transaction by then
     * (it cannot send the dead letter, nor commit), so the handler fails at once with the real cause rather than
     * ask for a dead letter that cannot be written: the task is retried, and the stream thread's retry budget
     * stops a loop.
     */
    public static final class Production implements ProductionExceptionHandler {
        private String dlq = CareTopics.DEAD_LETTER;
        private boolean exactlyOnce;

        @Override
        public void configure(Map<String, ?> configs) {
            dlq = topic(configs);
            exactlyOnce = StreamsConfig.EXACTLY_ONCE_V2.equals(String.valueOf(
                    configs.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)));
        }

        @Override
        public Response handleError(ErrorHandlerContext c, ProducerRecord<byte[], byte[]> record, Exception e) {
            if (e instanceof RetriableException) {
                LOG.warn("Retrying write to {} for input {}-{}@{}: {}", record.topic(), c.topic(), c.partition(),
                        c.offset(), e.toString());
                return Response.retry();
            }
            if (exactlyOnce) {
                LOG.error("Cannot write to {} for input {}-{}@{}: {}; under exactly_once_v2 the transaction cannot "
                        + "commit any more, failing the task", record.topic(), c.topic(), c.partition(), c.offset(),
                        e.toString());
                return Response.fail();
            }
            String reason = reason("cannot write to " + record.topic(), e);
            LOG.error("Dead-lettering input {}-{}@{}: {}", c.topic(), c.partition(), c.offset(), reason, e);
            return Response.resume(deadLetter(dlq, c, reason));
        }

        @Override
        @SuppressWarnings("rawtypes")
        public Response handleSerializationError(ErrorHandlerContext c, ProducerRecord record, Exception e,
                SerializationExceptionOrigin origin) {
            if (registryUnavailable(e)) {
                LOG.error("Schema registry unavailable writing to {} for input {}-{}@{}; failing the task so it "
                        + "is retried", record.topic(), c.topic(), c.partition(), c.offset(), e);
                return Response.fail();
            }
            if (e instanceof OversizedRecordException oversized) {
                String reason = "the output for " + record.topic() + " was not written: " + oversized.getMessage();
                LOG.error("Dead-lettering the output for {} of key {} (input {}-{}@{}): {}", record.topic(),
                        record.key(), c.topic(), c.partition(), c.offset(), reason);
                return Response.resume(List.of(DeadLetters.record(dlq, keyBytes(record.key()), c.sourceRawValue(),
                        reason, c.topic(), c.partition(), c.offset())));
            }
            String reason = reason("cannot serialize " + origin.name().toLowerCase() + " for " + record.topic(), e);
            LOG.error("Dead-lettering input {}-{}@{}: {}", c.topic(), c.partition(), c.offset(), reason, e);
            return Response.resume(deadLetter(dlq, c, reason));
        }
    }
}
