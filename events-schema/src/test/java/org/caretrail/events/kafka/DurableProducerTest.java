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
    void a_producer_with_a_sender_waiting_on_every_write_has_no_linger_and_is_otherwise_as_durable() {
        Map<String, Object> client = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "broker-1:9093",
                ProducerConfig.ACKS_CONFIG, "1", ProducerConfig.LINGER_MS_CONFIG, 50);
        Map<String, Object> answering = DurableProducer.answeringConfig(client, "caretrail-adapters");
        Map<String, Object> durable = DurableProducer.config(client, "caretrail-adapters");

        // an MLLP sender waits for its events, then for the message-log record: a linger would be waited twice
        assertThat(answering).containsEntry(ProducerConfig.LINGER_MS_CONFIG, 0);
        assertThat(durable).containsEntry(ProducerConfig.LINGER_MS_CONFIG, DurableProducer.LINGER_MS);
        Map<String, Object> rest = new java.util.HashMap<>(answering);
        rest.remove(ProducerConfig.LINGER_MS_CONFIG);
        Map<String, Object> durableRest = new java.util.HashMap<>(durable);
        durableRest.remove(ProducerConfig.LINGER_MS_CONFIG);
        assertThat(rest).isEqualTo(durableRest).containsEntry(ProducerConfig.ACKS_CONFIG, "all");
    }

    @Test
    void the_compression_is_lz4_unless_a_setting_chooses_one_kafka_knows_and_a_typo_is_refused_naming_the_choices() {
        String before = System.getProperty(DurableProducer.COMPRESSION_PROPERTY);
        try {
            System.clearProperty(DurableProducer.COMPRESSION_PROPERTY);
            if (System.getenv(DurableProducer.COMPRESSION_ENV) == null) {
                assertThat(DurableProducer.compression()).isEqualTo("lz4");
                assertThat(DurableProducer.config("broker-1:9093", "t"))
                        .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
            }
            // every value Kafka's compression.type takes is accepted, as Kafka spells it
            for (String choice : new String[] {"lz4", "zstd", "gzip", "snappy", "none"}) {
                System.setProperty(DurableProducer.COMPRESSION_PROPERTY, choice);
                assertThat(DurableProducer.config("broker-1:9093", "t"))
                        .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, choice);
                // and Kafka itself takes it (its ConfigDef would refuse a value it does not know)
                Map<String, Object> full = DurableProducer.config("broker-1:9093", "t");
                full.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
                full.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
                assertThat(new ProducerConfig(full).getString(ProducerConfig.COMPRESSION_TYPE_CONFIG)).isEqualTo(choice);
            }
            System.setProperty(DurableProducer.COMPRESSION_PROPERTY, " GZip ");
            assertThat(DurableProducer.compression()).isEqualTo("gzip");
            System.setProperty(DurableProducer.COMPRESSION_PROPERTY, "lz5");
            org.assertj.core.api.Assertions.assertThatThrownBy(DurableProducer::compression)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(DurableProducer.COMPRESSION_PROPERTY)
                    .hasMessageContaining("'lz5'")
                    .hasMessageContaining("lz4, zstd, gzip, snappy, none");
            // a producer is never made with it
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> DurableProducer.config("broker-1:9093", "t"))
                    .isInstanceOf(IllegalArgumentException.class);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> DurableProducer.compression("brotli",
                            DurableProducer.COMPRESSION_ENV))
                    .hasMessageStartingWith("setting kafka.compression = 'brotli' (from CARETRAIL_KAFKA_COMPRESSION)")
                    .hasMessageContaining("must be one of lz4, zstd, gzip, snappy, none");
        } finally {
            if (before == null) {
                System.clearProperty(DurableProducer.COMPRESSION_PROPERTY);
            } else {
                System.setProperty(DurableProducer.COMPRESSION_PROPERTY, before);
            }
        }
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
