package org.caretrail.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.caretrail.events.settings.Setting;
import org.junit.jupiter.api.Test;

/** The README's settings table is the one the definitions make. */
class SettingsReadmeTest {

    private static final Path README = Path.of("..", "README.md");
    static final String REGENERATE = "mvn -o -q -pl deploy -am test -Dtest=SettingsReadmeTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false -Dreadme.regenerate=true";

    @Test
    void the_readme_lists_every_setting_as_defined() throws Exception {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        String expected = SettingsReadme.updated(readme);
        if (Boolean.getBoolean("readme.regenerate")) {
            Files.writeString(README, expected, StandardCharsets.UTF_8);
            readme = expected;
        }
        assertThat(readme).as("README.md's settings table is out of step with the settings' definitions; "
                + "regenerate it with: " + REGENERATE).isEqualTo(expected);
    }

    @Test
    void every_setting_has_a_row_with_its_variable_and_default_and_secrets_are_marked() {
        String table = SettingsReadme.render();
        for (Setting<?> s : SettingsCatalog.ALL) {
            assertThat(table).contains("| `" + s.name() + "` | `" + s.envName());
            assertThat(s.doc()).as(s.name() + " is documented").isNotBlank();
        }
        assertThat(table).contains("| `kafka.compression` | `CARETRAIL_KAFKA_COMPRESSION` | `lz4` |");
        assertThat(table).contains("| `delivery.callback-allowed-hosts` | `CARETRAIL_DELIVERY_CALLBACK_ALLOWED_HOSTS`, "
                + "`CARETRAIL_CALLBACK_ALLOWED_HOSTS` |");
        assertThat(table).containsPattern("\\| `access.api-token` \\|[^\\n]*\\*\\*secret\\*\\*");
    }

    @Test
    void the_regeneration_replaces_only_what_is_between_the_markers() {
        String readme = "# Title\nprose\n" + SettingsReadme.BEGIN + "\nold table\n" + SettingsReadme.END + "\nmore\n";
        String updated = SettingsReadme.updated(readme);
        assertThat(updated).startsWith("# Title\nprose\n" + SettingsReadme.BEGIN + "\n").endsWith(
                SettingsReadme.END + "\nmore\n").doesNotContain("old table").contains("`hl7.default-ods-code`");
        assertThat(SettingsReadme.updated(updated)).isEqualTo(updated);
    }
}
