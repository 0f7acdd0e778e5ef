package org.caretrail.deploy.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.caretrail.events.settings.Setting;
import org.caretrail.events.settings.Settings;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The options that say where settings come from: {@code --config FILE} and {@code --set NAME=VALUE}. With a
 * command's own options that stand for settings (e.g. up's {@code --kafka-port} for {@code up.kafka-port}) they
 * are the command-line source; the environment and the file follow (see {@link Settings}).
 */
public final class SettingsSources {

    /** The order of the sources, for --help texts. */
    static final String ORDER = "Each setting is taken from, highest first: a command-line option (its own, or "
            + "--set NAME=VALUE), then the environment variable CARETRAIL_<NAME> (upper case, '.' and '-' as '_'), "
            + "then the --config file, then its default.";

    @Option(names = "--config", paramLabel = "FILE", description = "Settings file (Java properties: name = value); "
            + "an unknown name in it is an error")
    Path configFile;

    @Option(names = "--set", paramLabel = "NAME=VALUE", description = "Set any setting (see caretrail config); "
            + "repeatable; wins over the environment and the file")
    List<String> set;

    /** The environment; a test may give its own. */
    Map<String, String> environment = System.getenv();

    /**
     * Every setting of {@link SettingsCatalog#ALL} resolved: {@code commandOptions} (the command's own options
     * standing for settings, keyed by option name) and --set, then the environment, then the file.
     */
    Settings resolve(CommandLine.ParseResult parsed, Map<String, Setting<?>> commandOptions) throws IOException {
        Map<String, String> options = new LinkedHashMap<>();
        if (parsed != null) {
            for (Map.Entry<String, Setting<?>> o : commandOptions.entrySet()) {
                CommandLine.Model.OptionSpec matched = parsed.matchedOption(o.getKey());
                if (matched != null && !matched.stringValues().isEmpty()) {
                    List<String> values = matched.stringValues();
                    options.put(o.getValue().name(), values.get(values.size() - 1));
                }
            }
        }
        return resolve(options);
    }

    /**
     * Every setting of {@link SettingsCatalog#ALL} resolved: {@code given} (the values of the command's own options
     * that were given, keyed by setting name) and --set, then the environment, then the file.
     */
    Settings resolve(Map<String, String> given) throws IOException {
        Map<String, String> options = new LinkedHashMap<>(given);
        for (String pair : set == null ? List.<String>of() : set) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--set takes NAME=VALUE, e.g. --set hl7.default-ods-code=RJ1");
            }
            options.put(pair.substring(0, eq).strip(), pair.substring(eq + 1));
        }
        Properties file = new Properties();
        String fileName = null;
        if (configFile != null) {
            if (!Files.isRegularFile(configFile)) {
                throw new IllegalArgumentException("--config " + configFile + ": no such file");
            }
            file = Settings.load(configFile);
            fileName = configFile.toString();
        }
        return Settings.resolve(SettingsCatalog.ALL, options, environment, file, fileName);
    }
}
