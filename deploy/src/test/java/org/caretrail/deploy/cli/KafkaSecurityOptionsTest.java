package org.caretrail.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import picocli.CommandLine;
import org.junit.jupiter.api.Test;

/** Whether {@code caretrail up} secures Kafka, and with which files. */
class KafkaSecurityOptionsTest {

    private static UpCommand up(String... args) {
        UpCommand up = new UpCommand();
        new CommandLine(up).parseArgs(args);
        return up;
    }

    @Test
    void theEmbeddedKafkaIsSecuredByDefaultWithFilesUnderTheDataDirectory() {
        assertThat(up().kafkaSecurity()).isEqualTo(Path.of("data").toAbsolutePath().resolve("kafka-security"));
        assertThat(up("--data-dir", "/srv/ct", "--brokers", "3").kafkaSecurity())
                .isEqualTo(Path.of("/srv/ct/kafka-security"));
    }

    @Test
    void anExternalClusterIsSecuredOnlyWithTheOperatorsFilesAndTheOptOutIsExplicit() {
        assertThat(up("--bootstrap-servers", "kafka:9092").kafkaSecurity()).isNull();
        assertThat(up("--bootstrap-servers", "kafka:9092", "--kafka-security-dir", "/etc/ct/kafka").kafkaSecurity())
                .isEqualTo(Path.of("/etc/ct/kafka"));
        assertThat(up("--no-kafka-security").kafkaSecurity()).isNull();
        assertThatThrownBy(() -> up("--no-kafka-security", "--kafka-security-dir", "/x").kafkaSecurity())
                .hasMessageContaining("contradict");
    }
}
