package org.caretrail.events.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {

    static final Setting<Integer> MAX_CONNECTIONS = Setting.integer("hl7.max-connections", 128,
            "Connections open at once.").between(1, 10_000);
    static final Setting<String> DEFAULT_ODS = Setting.text("hl7.default-ods-code", "",
            "The organisation when MSH-4 is no ODS code.");
    static final Setting<Duration> PARK_AFTER = Setting.duration("delivery.park-after", Duration.ofHours(24),
            "How long one change may keep failing.").checkedBy(d -> d.isNegative() ? "must not be negative" : null);
    static final Setting<String> TOKEN = Setting.text("http.api-token", "", "The API's bearer token.").secret()
            .alsoFromEnv("CARETRAIL_API_TOKEN");
    static final List<Setting<?>> ALL = List.of(MAX_CONNECTIONS, DEFAULT_ODS, PARK_AFTER, TOKEN);

    private static Properties file(String... pairs) {
        Properties p = new Properties();
        for (int i = 0; i < pairs.length; i += 2) {
            p.setProperty(pairs[i], pairs[i + 1]);
        }
        return p;
    }

    @Test
    void the_environment_variable_is_derived_from_the_name() {
        assertThat(DEFAULT_ODS.envName()).isEqualTo("CARETRAIL_HL7_DEFAULT_ODS_CODE");
        assertThat(PARK_AFTER.envName()).isEqualTo("CARETRAIL_DELIVERY_PARK_AFTER");
        assertThat(TOKEN.envNames()).containsExactly("CARETRAIL_HTTP_API_TOKEN", "CARETRAIL_API_TOKEN");
        assertThat(DEFAULT_ODS.group()).isEqualTo("hl7");
    }

    @Test
    void an_option_beats_the_environment_which_beats_the_file_which_beats_the_default() {
        Settings defaults = Settings.defaults(ALL);
        assertThat(defaults.get(MAX_CONNECTIONS)).isEqualTo(128);
        assertThat(defaults.source(MAX_CONNECTIONS)).isEqualTo(SettingSource.DEFAULT);

        Properties f = file("hl7.max-connections", "64", "hl7.default-ods-code", "RJ1", "delivery.park-after", "PT1H");
        Map<String, String> env = Map.of("CARETRAIL_HL7_MAX_CONNECTIONS", "32", "CARETRAIL_DELIVERY_PARK_AFTER", "P2D");
        Map<String, String> options = Map.of("hl7.max-connections", "16");

        Settings fileOnly = Settings.resolve(ALL, Map.of(), Map.of(), f, "caretrail.properties");
        assertThat(fileOnly.get(MAX_CONNECTIONS)).isEqualTo(64);
        assertThat(fileOnly.source(MAX_CONNECTIONS)).isEqualTo(SettingSource.FILE);

        Settings withEnv = Settings.resolve(ALL, Map.of(), env, f, "caretrail.properties");
        assertThat(withEnv.get(MAX_CONNECTIONS)).isEqualTo(32);
        assertThat(withEnv.source(MAX_CONNECTIONS)).isEqualTo(SettingSource.ENV);
        assertThat(withEnv.get(PARK_AFTER)).isEqualTo(Duration.ofDays(2));
        assertThat(withEnv.get(DEFAULT_ODS)).isEqualTo("RJ1"); // only the file sets it
        assertThat(withEnv.source(DEFAULT_ODS)).isEqualTo(SettingSource.FILE);

        Settings all = Settings.resolve(ALL, options, env, f, "caretrail.properties");
        assertThat(all.get(MAX_CONNECTIONS)).isEqualTo(16);
        assertThat(all.source(MAX_CONNECTIONS)).isEqualTo(SettingSource.OPTION);
        assertThat(all.get(PARK_AFTER)).isEqualTo(Duration.ofDays(2));
    }

    @Test
    void a_variable_the_setting_had_before_still_works_and_the_derived_one_wins() {
        Settings old = Settings.resolve(ALL, Map.of(), Map.of("CARETRAIL_API_TOKEN", "s3cret-old"), new Properties(), null);
        assertThat(old.get(TOKEN)).isEqualTo("s3cret-old");
        Settings both = Settings.resolve(ALL, Map.of(), Map.of("CARETRAIL_API_TOKEN", "s3cret-old",
                "CARETRAIL_HTTP_API_TOKEN", "s3cret-new"), new Properties(), null);
        assertThat(both.get(TOKEN)).isEqualTo("s3cret-new");
    }

    @Test
    void a_bad_value_names_the_setting_the_value_its_source_and_the_rule() {
        assertThatThrownBy(() -> Settings.resolve(ALL, Map.of(), Map.of("CARETRAIL_HL7_MAX_CONNECTIONS", "0"),
                new Properties(), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("setting hl7.max-connections = '0' (from environment variable CARETRAIL_HL7_MAX_CONNECTIONS)"
                        + ": must be 1..10000");
        assertThatThrownBy(() -> Settings.resolve(ALL, Map.of(), Map.of(), file("hl7.max-connections", "many"),
                "/etc/caretrail.properties"))
                .hasMessage("setting hl7.max-connections = 'many' (from /etc/caretrail.properties) is not a valid integer");
        assertThatThrownBy(() -> Settings.resolve(ALL, Map.of("delivery.park-after", "one day"), Map.of(),
                new Properties(), null))
                .hasMessageStartingWith("setting delivery.park-after = 'one day' (from the command line) is not a valid "
                        + "duration");
        assertThatThrownBy(() -> Settings.resolve(ALL, Map.of("delivery.park-after", "-PT1S"), Map.of(),
                new Properties(), null))
                .hasMessageEndingWith(": must not be negative");
    }

    @Test
    void an_unknown_key_in_the_file_is_an_error_naming_it_and_the_nearest_known_one() {
        assertThatThrownBy(() -> Settings.resolve(ALL, Map.of(), Map.of(), file("hl7.max-conections", "10"),
                "caretrail.properties"))
                .hasMessage("unknown setting 'hl7.max-conections' (did you mean hl7.max-connections?) in "
                        + "caretrail.properties");
        assertThatThrownBy(() -> Settings.resolve(ALL, Map.of(), Map.of(), file("colour", "blue"), "c.properties"))
                .hasMessage("unknown setting 'colour' in c.properties");
        assertThatThrownBy(() -> Settings.resolve(ALL, Map.of("hl7.defualt-ods-code", "RJ1"), Map.of(),
                new Properties(), null))
                .hasMessageContaining("did you mean hl7.default-ods-code?");
        // an unknown CARETRAIL_ variable is not an error: the environment holds variables of other programs too
        assertThat(Settings.resolve(ALL, Map.of(), Map.of("CARETRAIL_NOT_A_SETTING", "x"), new Properties(), null)
                .get(MAX_CONNECTIONS)).isEqualTo(128);
    }

    @Test
    void a_secret_is_never_printed_nor_put_in_an_error() {
        Settings s = Settings.resolve(ALL, Map.of(), Map.of("CARETRAIL_API_TOKEN", "s3cret-token"), new Properties(),
                null);
        Settings.Resolved token = s.all().stream().filter(r -> r.setting() == TOKEN).findFirst().orElseThrow();
        assertThat(token.describe()).isEqualTo("http.api-token = (set)  (env: CARETRAIL_API_TOKEN)")
                .doesNotContain("s3cret");
        assertThat(Settings.defaults(ALL).all().get(3).describe()).isEqualTo("http.api-token = (not set)  (default)");
        Setting<Integer> secretNumber = Setting.integer("x.pin", 1, "A PIN.").secret();
        assertThatThrownBy(() -> Settings.resolve(List.of(secretNumber), Map.of("x.pin", "12ab-secret"), Map.of(),
                new Properties(), null))
                .hasMessageNotContaining("12ab-secret")
                .hasMessageContaining("x.pin");
    }

    @Test
    void the_file_is_read_as_java_properties(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("caretrail.properties");
        Files.writeString(f, "# the trust's feed\nhl7.default-ods-code = RJ1\nhl7.max-connections: 40\n");
        Settings s = Settings.resolve(ALL, Map.of(), Map.of(), Settings.load(f), f.toString());
        assertThat(s.get(DEFAULT_ODS)).isEqualTo("RJ1");
        assertThat(s.get(MAX_CONNECTIONS)).isEqualTo(40);
        assertThat(s.all().get(0).describe()).isEqualTo("hl7.max-connections = 40  (file: " + f + ")");
    }

    @Test
    void a_default_that_fails_its_own_check_or_a_name_defined_twice_is_a_programming_error() {
        assertThatThrownBy(() -> Setting.integer("x.n", 0, "n").between(1, 5))
                .hasMessageContaining("default of x.n");
        assertThatThrownBy(() -> Settings.defaults(List.of(MAX_CONNECTIONS, MAX_CONNECTIONS)))
                .hasMessageContaining("defined twice");
        assertThatThrownBy(() -> Setting.integer("NoDots", 0, "n")).hasMessageContaining("module.name");
    }
}
