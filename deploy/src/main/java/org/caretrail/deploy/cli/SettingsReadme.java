package org.caretrail.deploy.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.caretrail.events.settings.Setting;

/**
 * Writes the README's table of settings from their definitions ({@link SettingsCatalog}), between
 * {@value #BEGIN} and {@value #END}, so the documentation cannot drift from the code. {@code SettingsReadmeTest}
 * fails when README.md is out of step and names the command that regenerates it.
 */
public final class SettingsReadme {

    public static final String BEGIN = "<!-- settings:begin (generated from the settings' definitions: do not edit) -->";
    public static final String END = "<!-- settings:end -->";

    private SettingsReadme() {
    }

    /** The table: one section per module, one row per setting (name, environment variable, default, doc). */
    public static String render() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> group : SettingsCatalog.GROUPS.entrySet()) {
            sb.append("\n**`").append(group.getKey()).append(".*`: ").append(group.getValue()).append("**\n\n");
            sb.append("| setting | environment | default | what it is |\n|---|---|---|---|\n");
            for (Setting<?> s : SettingsCatalog.ALL) {
                if (!s.group().equals(group.getKey())) {
                    continue;
                }
                Object d = s.defaultValue();
                String shown = d == null || d.toString().isEmpty() ? "(none)" : "`" + d + "`";
                sb.append("| `").append(s.name()).append("` | `")
                        .append(String.join("`, `", s.envNames())).append("` | ")
                        .append(shown).append(" | ")
                        .append(s.isSecret() ? "**secret** (never printed). " : "")
                        .append(cell(s.doc())).append(" |\n");
            }
        }
        return sb.toString();
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** {@code readme} with the text between the markers replaced by {@link #render()}. */
    public static String updated(String readme) {
        int begin = readme.indexOf(BEGIN);
        int end = readme.indexOf(END);
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("README.md has no " + BEGIN + " ... " + END + " markers");
        }
        return readme.substring(0, begin + BEGIN.length()) + "\n" + render() + "\n" + readme.substring(end);
    }

    /** Rewrites the README given (default {@code README.md}) in place. */
    public static void main(String[] args) throws IOException {
        Path readme = Path.of(args.length > 0 ? args[0] : "README.md");
        Files.writeString(readme, updated(Files.readString(readme, StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }
}
