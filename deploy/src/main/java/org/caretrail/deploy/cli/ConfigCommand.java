package org.caretrail.deploy.cli;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import org.caretrail.events.settings.Settings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code caretrail config}: every setting of every module, its value and where it came from, one line each, grouped
 * by module, resolved exactly as {@code caretrail up} resolves them (the same --config, --set and environment).
 * Secrets are shown as {@code (set)}. A bad value or an unknown key in the file fails here as it would fail up.
 */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = {"Print every setting of every module: name = value  (where it came from: default, file, env "
                + "or option), grouped by module. Secrets are shown as (set).",
            "",
            SettingsSources.ORDER,
            "Give it the --config and --set you give caretrail up to see what up would run with; the other",
            "commands (topics, publish, import, simulate, replay, rebuild, audit, timeline) take them too and",
            "read where they connect from the client.* settings."})
final class ConfigCommand implements Callable<Integer> {

    @Mixin
    SettingsSources sources;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Settings resolved = sources.resolve(spec.commandLine().getParseResult(), Map.of());
        PrintWriter out = spec.commandLine().getOut();
        String group = null;
        for (Settings.Resolved r : resolved.all()) {
            if (!r.setting().group().equals(group)) {
                group = r.setting().group();
                out.println((group.equals(resolved.all().get(0).setting().group()) ? "" : "\n") + "# " + group + ": "
                        + SettingsCatalog.GROUPS.get(group));
            }
            out.println(TerminalText.clean(r.describe()));
        }
        out.flush();
        return 0;
    }
}
