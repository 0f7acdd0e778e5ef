package org.caretrail.events.settings;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Every setting resolved from its sources, highest first: command-line options, then environment variables,
 * then the config file, then the setting's default. One {@link Settings} is made at start-up and each module
 * builds its settings record from it ({@code TimelineSettings.from(settings)}, {@code Hl7Settings.from(settings)}
 * ...).
 *
 * <p>Every input is checked here, before anything starts: a key in the file that is no setting is an error
 * naming the key (and the nearest known one), and a value that fails its setting's check is an error naming the
 * setting, the value, where it came from and the rule. Secrets' values are never printed.
 */
public final class Settings {

    /** One resolved setting: its value (null: none) and where it came from ({@code origin}: e.g. the variable). */
    public record Resolved(Setting<?> setting, Object value, SettingSource source, String origin) {
        /** {@code name = value  (source)}, a secret's value shown as {@code (set)}. */
        public String describe() {
            return setting.name() + " = " + setting.shown(value) + "  (" + source.label()
                    + (source == SettingSource.DEFAULT ? "" : ": " + origin) + ")";
        }
    }

    private final Map<String, Resolved> values;

    private Settings(Map<String, Resolved> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    /** Every setting at its default. */
    public static Settings defaults(Collection<? extends Setting<?>> definitions) {
        return resolve(definitions, Map.of(), Map.of(), new Properties(), null);
    }

    /**
     * Resolves {@code definitions} from the command line's {@code options} (keyed by setting name), the
     * environment {@code env}, and the config {@code file}'s properties (read from {@code fileName}, null when no
     * file was given).
     *
     * @throws IllegalArgumentException for an unknown key (file or options) or a value failing its check
     */
    public static Settings resolve(Collection<? extends Setting<?>> definitions, Map<String, String> options,
            Map<String, String> env, Properties file, String fileName) {
        Map<String, Setting<?>> known = new LinkedHashMap<>();
        for (Setting<?> s : definitions) {
            if (known.put(s.name(), s) != null) {
                throw new IllegalStateException("setting " + s.name() + " is defined twice");
            }
        }
        for (String key : file.stringPropertyNames()) {
            if (!known.containsKey(key)) {
                throw new IllegalArgumentException(unknown(key, known.keySet()) + " in " + fileName);
            }
        }
        for (String key : options.keySet()) {
            if (!known.containsKey(key)) {
                throw new IllegalArgumentException(unknown(key, known.keySet()) + " on the command line");
            }
        }
        Map<String, Resolved> values = new LinkedHashMap<>();
        for (Setting<?> s : known.values()) {
            values.put(s.name(), resolveOne(s, options, env, file, fileName));
        }
        return new Settings(values);
    }

    private static Resolved resolveOne(Setting<?> s, Map<String, String> options, Map<String, String> env,
            Properties file, String fileName) {
        String option = options.get(s.name());
        if (option != null) {
            return new Resolved(s, s.parse(option, "the command line"), SettingSource.OPTION, "command line");
        }
        for (String variable : s.envNames()) {
            String text = env.get(variable);
            if (text != null && !text.isBlank()) {
                return new Resolved(s, s.parse(text, "environment variable " + variable), SettingSource.ENV, variable);
            }
        }
        String text = file.getProperty(s.name());
        if (text != null) {
            return new Resolved(s, s.parse(text, fileName), SettingSource.FILE, fileName);
        }
        return new Resolved(s, s.defaultValue(), SettingSource.DEFAULT, "default");
    }

    /**
     * A config file's properties ({@link Properties} format: {@code name = value}, {@code #} comments), read as
     * UTF-8.
     */
    public static Properties load(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        }
        return p;
    }

    /** The value of {@code setting}; null when it has none (an optional setting left unset). */
    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> setting) {
        Resolved r = values.get(setting.name());
        if (r == null) {
            throw new IllegalArgumentException("setting " + setting.name() + " is not one of these settings");
        }
        return (T) r.value();
    }

    /** Where {@code setting}'s value came from. */
    public SettingSource source(Setting<?> setting) {
        return values.get(setting.name()).source();
    }

    /** Where {@code setting}'s value came from in words: the variable, the file, "command line" or "default". */
    public String origin(Setting<?> setting) {
        return values.get(setting.name()).origin();
    }

    /** Every setting resolved, in declaration order. */
    public List<Resolved> all() {
        return new ArrayList<>(values.values());
    }

    private static String unknown(String key, Collection<String> known) {
        String nearest = null;
        int best = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(key, k);
            if (d < best) {
                best = d;
                nearest = k;
            }
        }
        return "unknown setting '" + key + "'" + (nearest != null && best <= Math.max(3, key.length() / 4)
                ? " (did you mean " + nearest + "?)" : "");
    }

    /** Levenshtein distance: the fewest one-character edits from {@code a} to {@code b}. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
