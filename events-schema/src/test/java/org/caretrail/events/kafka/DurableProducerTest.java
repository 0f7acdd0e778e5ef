package org.caretrail.events.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class DurableProducerTest {

    @Test
    void every_durable_setting_is_laid_over_what_the_client_gives_so_none_can_be_weakened() {
        Map<String, Object> config = DurableProducer.config(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "broker-1:9093",
                "security.protocol", "SASL_SSL",
                ProducerConfig.ACKS_CONFIG, "1",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000), "caretrail-test");

        assertThat(config).containsEntry(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "broker-1:9093")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry(ProducerConfig.CLIENT_ID_CONFIG, "caretrail-test")
                .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
                .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true)
                .containsEntry(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5)
                .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4")
                .containsEntry(ProducerConfig.MAX_BLOCK_MS_CONFIG, 3_000)
                .containsEntry(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000)
                .containsEntry(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        // Kafka's own rule: a write must be allowed at least one full request (plus linger) before it expires
        assertThat(DurableProducer.DELIVERY_TIMEOUT)
                .isGreaterThanOrEqualTo(DurableProducer.REQUEST_TIMEOUT.plusMillis(DurableProducer.LINGER_MS));
    }

    @Test
    void with_no_broker_a_send_is_answered_with_a_failure_well_within_a_senders_timeout() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort(); // free now, and nothing listens on it once closed
        }
        try (KafkaProducer<String, String> producer = DurableProducer.create("127.0.0.1:" + closedPort,
                "durable-producer-test", new StringSerializer(), new StringSerializer())) {
            long started = System.nanoTime();
            Future<RecordMetadata> sent = producer.send(new ProducerRecord<>("care.admissions", "9990001006", "x"));
            ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> sent.get(60, TimeUnit.SECONDS));
            Duration waited = Duration.ofNanos(System.nanoTime() - started);

            assertThat(failure.getCause()).isInstanceOf(TimeoutException.class);
            // Kafka's default would block the send for 60 s; bounded, it fails after max.block.ms (3 s).
            // The limit here is generous for a loaded machine, and still far below the default.
            assertThat(waited).isLessThan(Duration.ofSeconds(30));
            System.out.printf("no broker: send failed after %d ms (%s)%n", waited.toMillis(),
                    failure.getCause().getMessage());
        }
    }
}
