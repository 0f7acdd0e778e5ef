package org.caretrail.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.caretrail.consumers.subscriptions.DeliveryConfig;
import org.caretrail.deploy.PlatformSettings;
import org.caretrail.events.settings.SettingSource;
import org.caretrail.events.settings.Settings;
import org.caretrail.producers.hl7.Hl7Settings;
import org.caretrail.timeline.TimelineSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code caretrail config} run through the real command line in-process: every setting of every module, its value
 * and its source, with the precedence option > environment > file > default, and secrets hidden.
 */
class ConfigCommandTest {

    private record Run(int exit, String out, String err) {
        List<String> lines() {
            return Arrays.asList(out.split("\n"));
        }
    }

    private static Run config(Map<String, String> env, String... args) {
        CommandLine cli = CareTrail.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        ((ConfigCommand) cli.getSubcommands().get("config").getCommand()).sources.environment = env;
        String[] all = new String[args.length + 1];
        all[0] = "config";
        System.arraycopy(args, 0, all, 1, args.length);
        int exit = cli.execute(all);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void with_nothing_set_every_setting_of_every_module_is_listed_at_its_default_grouped_by_module() {
        Run run = config(Map.of());
        assertThat(run.exit()).as(run.err()).isZero();
        List<String> settingLines = run.lines().stream().filter(l -> l.contains(" = ")).toList();
        assertThat(settingLines).hasSize(SettingsCatalog.ALL.size());
        assertThat(run.lines()).contains("up.kafka-port = 9092  (default)", "kafka.compression = lz4  (default)",
                "timeline.num.standby.replicas = 0  (default)", "hl7.default-ods-code = (none)  (default)",
                "delivery.park-after = PT24H  (default)", "access.api-token = (not set)  (default)");
        // grouped: each module's header once, its settings after it
        for (String group : List.of("up", "kafka", "access", "http", "timeline", "hl7", "fhir", "delivery")) {
            assertThat(run.lines()).filteredOn(l -> l.startsWith("# " + group + ":")).hasSize(1);
        }
        int hl7Header = run.lines().indexOf(run.lines().stream().filter(l -> l.startsWith("# hl7:")).findFirst()
                .orElseThrow());
        assertThat(run.lines().get(hl7Header + 1)).startsWith("hl7.");
    }

    @Test
    void an_option_beats_the_environment_which_beats_the_file_and_each_line_says_where_it_came_from(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("caretrail.properties");
        Files.writeString(file, """
                # a trust's feed whose MSH-4 is its PAS's name, not an ODS code
                hl7.default-ods-code = RJ1
                hl7.max-connections = 64
                delivery.park-after = PT1H
                timeline.num.standby.replicas = 1
                kafka.compression = zstd
                """);
        Run run = config(Map.of("CARETRAIL_HL7_MAX_CONNECTIONS", "32", "CARETRAIL_DELIVERY_PARK_AFTER", "P2D",
                        "CARETRAIL_SUBSCRIPTION_KEYS", "k1 c2VjcmV0LWtleS1ieXRlcy1ub3QtdG8tYmUtc2hvd24="),
                "--config", file.toString(), "--set", "hl7.max-connections=16");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.lines()).contains(
                "hl7.default-ods-code = RJ1  (file: " + file + ")",
                "hl7.max-connections = 16  (option: command line)",
                "delivery.park-after = PT48H  (env: CARETRAIL_DELIVERY_PARK_AFTER)",
                "timeline.num.standby.replicas = 1  (file: " + file + ")",
                "kafka.compression = zstd  (file: " + file + ")",
                "delivery.subscription-keys = (set)  (env: CARETRAIL_SUBSCRIPTION_KEYS)");
        assertThat(run.out()).doesNotContain("c2VjcmV0");
    }

    @Test
    void an_unknown_key_in_the_file_stops_it_naming_the_key_and_the_nearest_setting(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("caretrail.properties");
        Files.writeString(file, "timeline.num.standby.replica = 1\n");
        Run run = config(Map.of(), "--config", file.toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("unknown setting 'timeline.num.standby.replica' (did you mean "
                + "timeline.num.standby.replicas?) in " + file);
        assertThat(run.out()).isEmpty();
    }

    @Test
    void a_bad_value_stops_it_naming_setting_value_source_and_rule() {
        Run run = config(Map.of("CARETRAIL_HL7_DEFAULT_ODS_CODE", "St Thomas"));
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("setting hl7.default-ods-code = 'St Thomas' (from environment variable "
                + "CARETRAIL_HL7_DEFAULT_ODS_CODE)");
        Run missing = config(Map.of(), "--config", "/nonexistent/caretrail.properties");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("--config /nonexistent/caretrail.properties: no such file");
    }

    @Test
    void a_subscription_key_ring_that_cannot_be_read_stops_it_naming_the_setting_but_never_the_key() {
        // "k1:<key>" (a colon, not a space): no '<id> <key>' line; the key below is 32 bytes of Base64
        Run run = config(Map.of("CARETRAIL_SUBSCRIPTION_KEYS", "k1:c2VjcmV0LWtleS1ieXRlcy1ub3QtdG8tYmUtc2hvd24="));
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("setting delivery.subscription-keys = '(secret)' (from environment variable "
                + "CARETRAIL_SUBSCRIPTION_KEYS): is not a key ring: secret key line 1 is not").doesNotContain("c2VjcmV0");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void the_help_explains_the_order_of_the_sources() {
        CommandLine cli = CareTrail.commandLine();
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute("config", "--help")).isZero();
        String help = out.toString().replaceAll("\\s+", " ");
        assertThat(help).contains("highest first: a command-line option")
                .contains("then the environment variable CARETRAIL_<NAME>").contains("then the --config file")
                .contains("then its default");
    }

    @Test
    void ups_own_options_are_the_command_line_source_of_the_same_settings(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("caretrail.properties");
        Files.writeString(file, "up.kafka-port = 46001\nup.http-port = 46002\ntimeline.num.standby.replicas = 1\n"
                + "delivery.park-after = PT2H\nhl7.default-ods-code = RJ1\n");
        CommandLine cli = CareTrail.commandLine();
        CommandLine.ParseResult parsed = cli.parseArgs("up", "--config", file.toString(), "--kafka-port", "46003",
                "--standby-replicas", "2");
        UpCommand up = (UpCommand) parsed.subcommand().commandSpec().userObject();
        up.sources.environment = Map.of("CARETRAIL_UP_HTTP_PORT", "46004");
        Settings s = up.settings();
        assertThat(s.get(PlatformSettings.KAFKA_PORT)).isEqualTo(46003);
        assertThat(s.source(PlatformSettings.KAFKA_PORT)).isEqualTo(SettingSource.OPTION);
        assertThat(s.get(PlatformSettings.HTTP_PORT)).isEqualTo(46004);
        assertThat(s.source(PlatformSettings.HTTP_PORT)).isEqualTo(SettingSource.ENV);
        assertThat(s.get(TimelineSettings.NUM_STANDBY_REPLICAS)).isEqualTo(2);
        assertThat(s.get(PlatformSettings.MLLP_PORT)).isEqualTo(PlatformSettings.DEFAULT_MLLP_PORT);
        // the modules' records are built from the same view
        assertThat(TimelineSettings.from(s).get(TimelineSettings.NUM_STANDBY_REPLICAS)).isEqualTo(2);
        assertThat(Hl7Settings.from(s).defaultOdsCode()).hasValueSatisfying(o -> assertThat(o.value()).isEqualTo("RJ1"));
        assertThat(DeliveryConfig.from(s, "kafka:9092", dir).parkAfter()).isEqualTo(Duration.ofHours(2));
    }
}
