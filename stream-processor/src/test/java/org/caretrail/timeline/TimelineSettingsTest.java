package org.caretrail.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.caretrail.timeline.errors.DeadLetterHandlers;
import org.junit.jupiter.api.Test;

class TimelineSettingsTest {

    @Test
    void defaultsAreTheProductionChoices() {
        Properties p = TimelineSettings.defaults().toStreamsProperties();
        assertThat(p.get(StreamsConfig.APPLICATION_ID_CONFIG)).isEqualTo("caretrail-timeline-v3");
        assertThat(p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo("exactly_once_v2");
        assertThat((String) p.get(StreamsConfig.STATE_DIR_CONFIG)).endsWith("data/streams");
        assertThat(p.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG)).isEqualTo("care.dead-letter");
        assertThat(p.get(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG))
                .isEqualTo(DeadLetterHandlers.Deserialization.class);
        assertThat(p.get(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG))
                .isEqualTo(DeadLetterHandlers.Production.class);
        assertThat(p).doesNotContainKey(StreamsConfig.APPLICATION_SERVER_CONFIG);
        // Kafka itself accepts the configuration
        new StreamsConfig(p);
    }

    @Test
    void the_stream_processors_producers_compress_as_every_caretrail_producer_does() {
        String key = StreamsConfig.producerPrefix(org.apache.kafka.clients.producer.ProducerConfig.COMPRESSION_TYPE_CONFIG);
        try {
            System.setProperty(org.caretrail.events.kafka.DurableProducer.COMPRESSION_PROPERTY, "gzip");
            assertThat(TimelineSettings.defaults().toStreamsProperties().get(key)).isEqualTo("gzip");
            System.setProperty(org.caretrail.events.kafka.DurableProducer.COMPRESSION_PROPERTY, "lz5");
            assertThatThrownBy(() -> TimelineSettings.defaults().toStreamsProperties())
                    .hasMessageContaining("'lz5'");
        } finally {
            System.clearProperty(org.caretrail.events.kafka.DurableProducer.COMPRESSION_PROPERTY);
        }
        if (System.getenv(org.caretrail.events.kafka.DurableProducer.COMPRESSION_ENV) == null) {
            assertThat(TimelineSettings.defaults().toStreamsProperties().get(key)).isEqualTo("lz4");
        }
    }

    @Test
    void settingsAreReadFromTextAndChecked() {
        TimelineSettings s = TimelineSettings.fromMap(Map.of("timeline.num.standby.replicas", "1",
                "timeline.max.entries", "50", "timeline.max.future.skew", "PT2H", "unrelated.key", "x"));
        assertThat(s.get(TimelineSettings.NUM_STANDBY_REPLICAS)).isEqualTo(1);
        assertThat(s.maxTimelineEntries()).isEqualTo(50);
        assertThat(s.maxFutureSkew()).isEqualTo(Duration.ofHours(2));
        assertThatThrownBy(() -> TimelineSettings.fromMap(Map.of("timeline.max.entries", "0")))
                .hasMessageContaining("timeline.max.entries").hasMessageContaining("1..5000");
        assertThatThrownBy(() -> TimelineSettings.fromMap(Map.of("timeline.max.entires", "10")))
                .hasMessageContaining("unknown setting timeline.max.entires");
        assertThatThrownBy(() -> TimelineSettings.fromMap(Map.of("timeline.processing.guarantee", "exactly_once")))
                .hasMessageContaining("exactly_once_v2 or at_least_once");
        assertThatThrownBy(() -> TimelineSettings.fromMap(Map.of("timeline.commit.interval", "soon")))
                .hasMessageContaining("timeline.commit.interval").hasMessageContaining("is not a valid duration");
        assertThatThrownBy(() -> TimelineSettings.defaults().with(TimelineSettings.APPLICATION_SERVER, "nohost"))
                .hasMessageContaining("host:port");
    }

    @Test
    void everySettingIsDocumented() {
        assertThat(TimelineSettings.all()).allSatisfy(s -> assertThat(s.doc()).isNotBlank());
    }

    @Test
    void theByteBudgetAndTheRetryBudgetAreSettingsReadFromText() {
        TimelineSettings s = TimelineSettings.fromMap(Map.of("timeline.record.budget", "65536",
                "timeline.max.record.bytes", "500000", "timeline.thread.max.restarts", "3",
                "timeline.thread.restart.window", "PT1M"));
        assertThat(s.recordBudget()).isEqualTo(65_536);
        assertThat(s.maxRecordBytes()).isEqualTo(500_000);
        assertThat(s.threadMaxRestarts()).isEqualTo(3);
        assertThat(s.threadRestartWindow()).isEqualTo(Duration.ofMinutes(1));
        assertThatThrownBy(() -> TimelineSettings.fromMap(Map.of("timeline.max.record.bytes", "2000000")))
                .hasMessageContaining("timeline.max.record.bytes");
        assertThatThrownBy(() -> TimelineSettings.fromMap(Map.of("timeline.record.budget", "100")))
                .hasMessageContaining("16384..1000000");
    }

    @Test
    void anApplicationNotStartedSaysItIsDown() {
        TimelineApplication app = new TimelineApplication(TimelineSettings.defaults(),
                new org.caretrail.events.serde.InMemorySchemaRegistry());
        TimelineHealth health = app.health();
        assertThat(health.status()).isEqualTo(TimelineHealth.Status.DOWN);
        assertThat(health.cause()).isEqualTo("not started");
        assertThat(health.up()).isFalse();
    }
}
