package org.caretrail.timeline.errors;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
import org.caretrail.events.serde.SchemaRegistryException;
import org.caretrail.events.topic.CareTopics;
import org.junit.jupiter.api.Test;

/** The configured handlers: the record at fault to the dead-letter topic; a registry outage is not its fault. */
class DeadLetterHandlersTest {

    private static final byte[] KEY = "9990000018".getBytes(StandardCharsets.UTF_8);
    private static final byte[] VALUE = {1, 2, 3};

    record Context(String topic, int partition, long offset) implements ErrorHandlerContext {
        public Headers headers() {
            return new RecordHeaders();
        }

        public String processorNodeId() {
            return "timeline-builder";
        }

        public TaskId taskId() {
            return new TaskId(1, partition);
        }

        public long timestamp() {
            return 0;
        }

        public byte[] sourceRawKey() {
            return KEY;
        }

        public byte[] sourceRawValue() {
            return VALUE;
        }
    }

    private static final Map<String, Object> CONFIG = Map.of(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG,
            "care.dead-letter-test");
    private final Context context = new Context("caretrail-timeline-timeline-by-patient-repartition", 2, 42);

    @Test
    void anUndecodableRecordIsDeadLetteredWithItsOriginAndProcessingResumes() {
        var handler = new DeadLetterHandlers.Deserialization();
        handler.configure(CONFIG);
        var record = new ConsumerRecord<>("care.admissions", 1, 7L, KEY, VALUE);
        var response = handler.handleError(context, record, new SerializationException("unknown magic byte"));
        assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.RESUME);
        ProducerRecord<byte[], byte[]> dead = response.deadLetterQueueRecords().get(0);
        assertThat(dead.topic()).isEqualTo("care.dead-letter-test");
        assertThat(dead.value()).isEqualTo(VALUE);
        assertThat(DeadLetters.header(dead.headers(), CareTopics.HEADER_REASON)).contains("unknown magic byte");
        assertThat(DeadLetters.header(dead.headers(), CareTopics.HEADER_SOURCE_TOPIC)).isEqualTo("care.admissions");
        assertThat(DeadLetters.header(dead.headers(), CareTopics.HEADER_SOURCE_PARTITION)).isEqualTo("1");
        assertThat(DeadLetters.header(dead.headers(), CareTopics.HEADER_SOURCE_OFFSET)).isEqualTo("7");
    }

    @Test
    void aRegistryOutageFailsInsteadOfDeadLetteringAGoodRecord() {
        var handler = new DeadLetterHandlers.Deserialization();
        handler.configure(CONFIG);
        var outage = new SerializationException("cannot read",
                new SchemaRegistryException("cannot reach the schema registry", -1));
        var response = handler.handleError(context, new ConsumerRecord<>("care.admissions", 0, 1L, KEY, VALUE), outage);
        assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.FAIL);
        assertThat(response.deadLetterQueueRecords()).isEmpty();

        var processing = new DeadLetterHandlers.Processing();
        processing.configure(CONFIG);
        assertThat(processing.handleError(context, new Record<>("k", "v", 0L),
                new RegistryUnavailableException("registry down", null)).result())
                .isEqualTo(ProcessingExceptionHandler.Result.FAIL);
    }

    @Test
    void aProcessingBugDeadLettersTheInputRecord() {
        var handler = new DeadLetterHandlers.Processing();
        handler.configure(CONFIG);
        var response = handler.handleError(context, new Record<>("k", "v", 0L), new IllegalStateException("bug"));
        assertThat(response.result()).isEqualTo(ProcessingExceptionHandler.Result.RESUME);
        ProducerRecord<byte[], byte[]> dead = response.deadLetterQueueRecords().get(0);
        assertThat(dead.key()).isEqualTo(KEY);
        assertThat(DeadLetters.header(dead.headers(), CareTopics.HEADER_REASON))
                .contains("timeline-builder").contains("bug");
        assertThat(DeadLetters.header(dead.headers(), CareTopics.HEADER_SOURCE_OFFSET)).isEqualTo("42");
    }

    @Test
    void underExactlyOnceARefusedWriteFailsAtOnceForTheTransactionCannotCommit() {
        var handler = new DeadLetterHandlers.Production();
        handler.configure(Map.of(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2));
        var out = new ProducerRecord<byte[], byte[]>("care.timelines", KEY, VALUE);
        var response = handler.handleError(context, out,
                new org.apache.kafka.common.errors.RecordTooLargeException("too large"));
        assertThat(response.result()).isEqualTo(ProductionExceptionHandler.Result.FAIL);
        assertThat(response.deadLetterQueueRecords()).isEmpty();
    }

    @Test
    void anUnwritableOutputIsDeadLetteredButATimeoutIsRetried() {
        var handler = new DeadLetterHandlers.Production();
        handler.configure(CONFIG);
        var out = new ProducerRecord<byte[], byte[]>("care.timelines", KEY, VALUE);
        assertThat(handler.handleError(context, out,
                new org.apache.kafka.common.errors.RecordTooLargeException("too large")).result())
                .isEqualTo(ProductionExceptionHandler.Result.RESUME);
        assertThat(handler.handleError(context, out, new org.apache.kafka.common.errors.TimeoutException("slow"))
                .result()).isEqualTo(ProductionExceptionHandler.Result.RETRY);
    }

    @Test
    void anOutputRefusedAsTooLargeByItsSerializerBecomesADeadLetterForThatPatient() {
        var handler = new DeadLetterHandlers.Production();
        handler.configure(CONFIG);
        var serde = new BoundedSerde<>(org.apache.kafka.common.serialization.Serdes.String(), 10);
        OversizedRecordException refused = org.assertj.core.api.Assertions.catchThrowableOfType(
                OversizedRecordException.class, () -> serde.serializer().serialize("care.timelines", "x".repeat(11)));
        assertThat(refused.size()).isEqualTo(11);
        assertThat(serde.serializer().serialize("care.timelines", "x".repeat(10))).hasSize(10);
        var out = new ProducerRecord<Object, Object>("care.timelines", "9990000018", "a timeline");
        var response = handler.handleSerializationError(context, out, refused,
                ProductionExceptionHandler.SerializationExceptionOrigin.VALUE);
        assertThat(response.result()).isEqualTo(ProductionExceptionHandler.Result.RESUME);
        ProducerRecord<byte[], byte[]> dead = response.deadLetterQueueRecords().get(0);
        assertThat(dead.topic()).isEqualTo("care.dead-letter-test");
        assertThat(new String(dead.key(), StandardCharsets.UTF_8)).as("the patient").isEqualTo("9990000018");
        assertThat(dead.value()).as("the input being processed").isEqualTo(VALUE);
        assertThat(DeadLetters.header(dead.headers(), CareTopics.HEADER_REASON))
                .contains("the output for care.timelines was not written").contains("11 bytes; the limit is 10");
    }

    @Test
    void aDeadLetterIsBoundedWhateverTheInput() {
        byte[] huge = new byte[DeadLetters.MAX_VALUE_BYTES + 10];
        ProducerRecord<byte[], byte[]> dead = DeadLetters.record("dlq", new byte[DeadLetters.MAX_KEY_BYTES + 1], huge,
                "r".repeat(10_000), "care.admissions", 0, 1);
        assertThat(dead.value()).hasSize(DeadLetters.MAX_VALUE_BYTES);
        assertThat(dead.key()).hasSize(DeadLetters.MAX_KEY_BYTES);
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.HEADER_TRUNCATED))
                .isEqualTo("key=" + (DeadLetters.MAX_KEY_BYTES + 1) + ",value=" + huge.length);
        assertThat(DeadLetters.header(dead.headers(), CareTopics.HEADER_REASON)).hasSize(DeadLetters.MAX_REASON);
        Headers many = new RecordHeaders();
        many.add("bulk", new byte[DeadLetters.MAX_KEPT_HEADER_BYTES + 1]);
        assertThat(DeadLetters.keptHeaders(many).toArray()).isEmpty();
    }
}
