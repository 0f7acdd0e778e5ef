package org.caretrail.producers.files;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.caretrail.events.CareEventValidator;
import org.caretrail.events.serde.InMemorySchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.producers.publisher.CarePublisher;

/**
 * Run in a child JVM with a small heap by {@link FileImporterLargeFileTest} and
 * {@link FileImporterLimitsTest}: imports a file through a producer that acknowledges and forgets
 * every record, and prints the totals, why it stopped early if it did, and each rejected line.
 * {@code LargeFileImportMain FILE [maxCompressionRatio]}.
 */
public final class LargeFileImportMain {

    public static void main(String[] args) {
        MockProducer<String, byte[]> forgetful = new MockProducer<>(true, null, new StringSerializer(),
                new ByteArraySerializer()) {
            @Override
            public synchronized Future<RecordMetadata> send(ProducerRecord<String, byte[]> record, Callback callback) {
                RecordMetadata metadata = new RecordMetadata(new TopicPartition(record.topic(), 0), 0, 0,
                        System.currentTimeMillis(), 10, record.value().length);
                callback.onCompletion(metadata, null);
                return CompletableFuture.completedFuture(metadata);
            }
        };
        try (CarePublisher publisher = new CarePublisher(forgetful, new Topics(new InMemorySchemaRegistry()),
                new CareEventValidator())) {
            long start = System.nanoTime();
            ImportLimits limits = args.length > 1
                    ? ImportLimits.defaults().withMaxCompressionRatio(Integer.parseInt(args[1])) : ImportLimits.defaults();
            ImportResult result = FileImporter.importFile(Path.of(args[0]), ImportFormat.JSON_LINES, Optional.empty(),
                    publisher, limits, null);
            double seconds = (System.nanoTime() - start) / 1e9;
            Runtime rt = Runtime.getRuntime();
            System.out.printf("accepted=%d rejected=%d seconds=%.2f rowsPerSecond=%.0f maxHeapMb=%d stopped=%s%n",
                    result.accepted(), result.rejected(), seconds, result.rows() / seconds,
                    rt.maxMemory() / (1024 * 1024), result.stopped().orElse("none"));
            result.rejectedRows().forEach(System.out::println);
        }
    }
}
