package org.caretrail.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.caretrail.deploy.infra.Ports;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.topic.CarePrincipal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The commands other than {@code up} read where they connect ({@code client.*}) through the same settings: their
 * own option, then the environment (the variables they had before too), then {@code --config}, then the default,
 * and {@code --set} sets any of them. In-process picocli, no broker needed: what a command would connect to is read
 * from its connection.
 */
class ClientSettingsTest {

    /** The command the arguments name (the deepest subcommand), parsed but not run. */
    private static Object parsed(String... args) {
        CommandLine.ParseResult parsed = CareTrail.commandLine().parseArgs(args);
        while (parsed.hasSubcommand()) {
            parsed = parsed.subcommand();
        }
        return parsed.commandSpec().userObject();
    }

    private static Path file(Path dir, String text) throws Exception {
        Path file = dir.resolve("caretrail.properties");
        Files.writeString(file, text);
        return file;
    }

    @Test
    void publish_connects_to_the_brokers_of_the_config_file_and_its_own_option_wins_over_the_file(@TempDir Path dir)
            throws Exception {
        Path file = file(dir, "client.bootstrap-servers = kafka-from-file:9092\n"
                + "client.schema-registry-url = http://registry-from-file:8081/apis/ccompat/v7\n");

        PublishCommand fromFile = (PublishCommand) parsed("publish", "--config", file.toString(),
                "--no-kafka-security", "events.jsonl");
        fromFile.connection.sources.environment = Map.of();
        assertThat(fromFile.connection.kafka(CarePrincipal.ADAPTERS).bootstrapServers())
                .isEqualTo("kafka-from-file:9092");
        assertThat(fromFile.connection.schemaRegistryUrl()).isEqualTo("http://registry-from-file:8081/apis/ccompat/v7");

        PublishCommand option = (PublishCommand) parsed("publish", "--config", file.toString(), "--bootstrap-servers",
                "kafka-from-option:9093", "--no-kafka-security", "events.jsonl");
        option.connection.sources.environment = Map.of("CARETRAIL_BOOTSTRAP_SERVERS", "kafka-from-env:9094");
        assertThat(option.connection.kafka(CarePrincipal.ADAPTERS).bootstrapServers())
                .isEqualTo("kafka-from-option:9093");
        // the file's registry is still the file's: one option does not hide the rest of the file
        assertThat(option.connection.schemaRegistryUrl()).isEqualTo("http://registry-from-file:8081/apis/ccompat/v7");
    }

    @Test
    void the_variables_these_options_had_before_still_work_and_beat_the_file(@TempDir Path dir) throws Exception {
        Path file = file(dir, "client.bootstrap-servers = kafka-from-file:9092\n");
        TopicsCommand.Apply apply = (TopicsCommand.Apply) parsed("topics", "apply", "--config", file.toString(),
                "--no-kafka-security");
        apply.connection.sources.environment = Map.of("CARETRAIL_BOOTSTRAP_SERVERS", "kafka-from-env:9094",
                "CARETRAIL_SCHEMA_REGISTRY_URL", "http://registry-from-env:8081/apis/ccompat/v7");
        assertThat(apply.connection.kafka(CarePrincipal.ADMIN).bootstrapServers()).isEqualTo("kafka-from-env:9094");
        assertThat(apply.connection.schemaRegistryUrl()).isEqualTo("http://registry-from-env:8081/apis/ccompat/v7");

        ReplayCommand replay = (ReplayCommand) parsed("replay", "--from", "2026-01-01T00:00:00Z", "--out",
                dir.resolve("replay.jsonl").toString(), "--set", "client.bootstrap-servers=kafka-set:9095",
                "--no-kafka-security");
        replay.connection.sources.environment = Map.of("CARETRAIL_CLIENT_BOOTSTRAP_SERVERS", "kafka-derived:9096");
        assertThat(replay.connection.kafka(CarePrincipal.ANALYST).bootstrapServers())
                .as("--set is a command-line option: it beats the environment").isEqualTo("kafka-set:9095");
        replay.connection.sources.set = null;
        assertThat(replay.connection.kafka(CarePrincipal.ANALYST).bootstrapServers())
                .as("the derived variable name works too").isEqualTo("kafka-derived:9096");
    }

    @Test
    void a_bad_registry_url_or_an_unknown_key_stops_the_command_naming_it(@TempDir Path dir) throws Exception {
        CommandLine cli = CareTrail.commandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        Path file = file(dir, "client.bootstrap-server = kafka:9092\n");
        assertThat(cli.execute("topics", "apply", "--config", file.toString(), "--no-kafka-security")).isEqualTo(1);
        assertThat(err.toString()).contains("unknown setting 'client.bootstrap-server' (did you mean "
                + "client.bootstrap-servers?) in " + file);

        StringWriter err2 = new StringWriter();
        CommandLine cli2 = CareTrail.commandLine();
        cli2.setErr(new PrintWriter(err2));
        assertThat(cli2.execute("topics", "apply", "--schema-registry-url", "registry:8081", "--no-kafka-security"))
                .isEqualTo(1);
        assertThat(err2.toString()).contains("setting client.schema-registry-url = 'registry:8081' (from the command "
                + "line): must be an http:// or https:// URL with a host");
    }

    @Test
    void timeline_reads_the_api_url_from_the_config_file_and_its_option_wins(@TempDir Path dir) throws Exception {
        // nothing listens on these ports: the message names the address the command tried
        int filePort = Ports.free();
        int optionPort = Ports.free();
        Path file = file(dir, "client.api-url = http://127.0.0.1:" + filePort + "\n");
        String nhs = NhsNumber.withCheckDigit("999000001").orElseThrow().value();

        assertThat(timeline(nhs, "--config", file.toString())).contains("cannot reach the timeline API at "
                + "http://127.0.0.1:" + filePort + " ");
        assertThat(timeline(nhs, "--config", file.toString(), "--api-url", "http://127.0.0.1:" + optionPort))
                .contains("cannot reach the timeline API at http://127.0.0.1:" + optionPort + " ");
    }

    private static String timeline(String... args) {
        CommandLine cli = CareTrail.commandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        ((TimelineCommand) cli.getSubcommands().get("timeline").getCommand()).sources.environment = Map.of();
        String[] all = new String[args.length + 1];
        all[0] = "timeline";
        System.arraycopy(args, 0, all, 1, args.length);
        assertThat(cli.execute(all)).isEqualTo(1);
        return err.toString();
    }

    @Test
    void caretrail_config_lists_the_client_settings_with_where_they_came_from() {
        CommandLine cli = CareTrail.commandLine();
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        ((ConfigCommand) cli.getSubcommands().get("config").getCommand()).sources.environment =
                Map.of("CARETRAIL_BOOTSTRAP_SERVERS", "kafka:9092");
        assertThat(cli.execute("config", "--set", "client.api-url=http://ct.example:8080")).isZero();
        assertThat(out.toString()).contains("# client: ",
                "client.bootstrap-servers = kafka:9092  (env: CARETRAIL_BOOTSTRAP_SERVERS)",
                "client.schema-registry-url = " + ConnectionOptions.DEFAULT_REGISTRY + "  (default)",
                "client.kafka-config = (none)  (default)",
                "client.api-url = http://ct.example:8080  (option: command line)");
    }
}
