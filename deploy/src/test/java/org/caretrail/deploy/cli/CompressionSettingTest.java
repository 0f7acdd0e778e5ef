package org.caretrail.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.caretrail.events.kafka.DurableProducer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * An unknown Kafka compression ({@code CARETRAIL_KAFKA_COMPRESSION}, or its system property) stops every
 * command before it starts, naming the setting and the choices, rather than failing at the first write.
 */
class CompressionSettingTest {

    @AfterEach
    void clear() {
        System.clearProperty(DurableProducer.COMPRESSION_PROPERTY);
    }

    @Test
    void a_compression_kafka_does_not_know_stops_the_command_with_the_choices_and_exit_code_2() {
        System.setProperty(DurableProducer.COMPRESSION_PROPERTY, "lz5");
        StringWriter err = new StringWriter();
        StringWriter out = new StringWriter();
        CommandLine cli = CareTrail.commandLine();
        cli.setErr(new PrintWriter(err));
        cli.setOut(new PrintWriter(out));

        // `topics` alone would print its usage; here it never starts
        int exit = cli.execute("topics");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("caretrail: setting kafka.compression = 'lz5' (from system property caretrail.kafka.compression)")
                .contains("lz4, zstd, gzip, snappy, none");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void a_known_compression_lets_the_command_run() {
        System.setProperty(DurableProducer.COMPRESSION_PROPERTY, "zstd");
        StringWriter out = new StringWriter();
        CommandLine cli = CareTrail.commandLine();
        cli.setOut(new PrintWriter(out));

        assertThat(cli.execute("topics", "--help")).isZero();
        assertThat(out.toString()).contains("Usage:");
    }
}
