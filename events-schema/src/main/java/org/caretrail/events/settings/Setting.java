package org.caretrail.events.settings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * One setting of CareTrail: its dotted name ({@code hl7.default-ods-code}), type, default, check and one line
 * of documentation, in the manner of Kafka's {@code ConfigDef} or Debezium's {@code Field}. Each module declares
 * its settings next to the code that uses them and builds its own settings record from a resolved
 * {@link Settings} view. Immutable: {@link #checkedBy}, {@link #secret()} and {@link #alsoFromEnv} return changed
 * copies.
 *
 * <p>The environment variable of a setting is derived from its name ({@link #envName()}:
 * {@code CARETRAIL_} + the name in upper case with {@code .} and {@code -} as {@code _}); a setting that had
 * another variable before this mechanism keeps it as an alias ({@link #alsoFromEnv}).
 *
 * @param <T> the value's type
 */
public final class Setting<T> {

    private final String name;
    private final String type;
    private final T defaultValue;
    private final String doc;
    private final Function<String, T> parser;
    private final Function<T, String> problem;
    private final boolean secret;
    private final List<String> envAliases;

    private Setting(String name, String type, T defaultValue, String doc, Function<String, T> parser,
            Function<T, String> problem, boolean secret, List<String> envAliases) {
        if (!name.matches("[a-z][a-z0-9]*(\\.[a-z0-9][a-z0-9-]*)+")) {
            throw new IllegalArgumentException("a setting's name is module.name in lower case, not '" + name + "'");
        }
        this.name = name;
        this.type = Objects.requireNonNull(type, "type");
        this.defaultValue = defaultValue;
        this.doc = Objects.requireNonNull(doc, "doc");
        this.parser = Objects.requireNonNull(parser, "parser");
        this.problem = Objects.requireNonNull(problem, "problem");
        this.secret = secret;
        this.envAliases = List.copyOf(envAliases);
        if (defaultValue != null) {
            String p = problem.apply(defaultValue);
            if (p != null) {
                throw new IllegalArgumentException("the default of " + name + " fails its own check: " + p);
            }
        }
    }

    /** A setting of any type: {@code parser} reads the text (throwing on text that is not of the type). */
    public static <T> Setting<T> of(String name, String type, T defaultValue, Function<String, T> parser, String doc) {
        return new Setting<>(name, type, defaultValue, doc, parser, v -> null, false, List.of());
    }

    /** Text; an empty default means "none". */
    public static Setting<String> text(String name, String defaultValue, String doc) {
        return of(name, "text", defaultValue, Function.identity(), doc);
    }

    public static Setting<Integer> integer(String name, int defaultValue, String doc) {
        return of(name, "integer", defaultValue, Integer::valueOf, doc);
    }

    public static Setting<Long> longInteger(String name, long defaultValue, String doc) {
        return of(name, "integer", defaultValue, Long::valueOf, doc);
    }

    public static Setting<Double> decimal(String name, double defaultValue, String doc) {
        return of(name, "decimal", defaultValue, Double::valueOf, doc);
    }

    /** ISO-8601 duration ({@code PT10S}, {@code P1D}); plain digits are read as milliseconds. */
    public static Setting<Duration> duration(String name, Duration defaultValue, String doc) {
        return of(name, "duration", defaultValue, Setting::parseDuration, doc);
    }

    /** {@code true} or {@code false} (nothing else). */
    public static Setting<Boolean> bool(String name, boolean defaultValue, String doc) {
        return of(name, "boolean", defaultValue, Setting::parseBoolean, doc);
    }

    /** A file or directory; a null default means "none". */
    public static Setting<Path> path(String name, Path defaultValue, String doc) {
        return of(name, "path", defaultValue, Path::of, doc);
    }

    /** This setting with a check: {@code problem} returns null for a good value, else what is wrong with it. */
    public Setting<T> checkedBy(Function<T, String> check) {
        Function<T, String> before = problem;
        return new Setting<>(name, type, defaultValue, doc, parser, v -> {
            String p = before.apply(v);
            return p != null ? p : check.apply(v);
        }, secret, envAliases);
    }

    /** This setting with a check that its value is one of {@code allowed}. */
    public Setting<T> oneOf(List<T> allowed) {
        String names = String.join(", ", allowed.stream().map(String::valueOf).toList());
        return checkedBy(v -> allowed.contains(v) ? null : "must be one of " + names);
    }

    /** This setting with a check that its (whole number) value lies in {@code min..max}. */
    public Setting<T> between(long min, long max) {
        return checkedBy(v -> {
            long n = ((Number) v).longValue();
            return n >= min && n <= max ? null : "must be " + min + ".." + max;
        });
    }

    /** This setting marked as a secret: its value is never printed (shown as {@code (set)}). */
    public Setting<T> secret() {
        return new Setting<>(name, type, defaultValue, doc, parser, problem, true, envAliases);
    }

    /** This setting, also read from the environment variable {@code variable} (a name it had before). */
    public Setting<T> alsoFromEnv(String variable) {
        List<String> aliases = new ArrayList<>(envAliases);
        aliases.add(variable);
        return new Setting<>(name, type, defaultValue, doc, parser, problem, secret, aliases);
    }

    public String name() {
        return name;
    }

    /** The module the setting belongs to: the first part of its name ({@code hl7}, {@code timeline}...). */
    public String group() {
        return name.substring(0, name.indexOf('.'));
    }

    public String type() {
        return type;
    }

    /** The default; null when the setting has none. */
    public T defaultValue() {
        return defaultValue;
    }

    public String doc() {
        return doc;
    }

    public boolean isSecret() {
        return secret;
    }

    /** The environment variable derived from the name: {@code hl7.default-ods-code} → {@code CARETRAIL_HL7_DEFAULT_ODS_CODE}. */
    public String envName() {
        return envName(name);
    }

    /** The derived variable, then the aliases, in the order they are looked up. */
    public List<String> envNames() {
        List<String> all = new ArrayList<>();
        all.add(envName());
        all.addAll(envAliases);
        return all;
    }

    static String envName(String settingName) {
        return "CARETRAIL_" + settingName.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /**
     * {@code value} checked: returned when it passes, else an {@link IllegalArgumentException} naming the
     * setting, the value and the rule.
     */
    public T check(T value) {
        String p = value == null ? "must be set" : problem.apply(value);
        if (p != null) {
            throw new IllegalArgumentException("setting " + name + " = '" + shown(value) + "': " + p);
        }
        return value;
    }

    /**
     * {@code text} read and checked; {@code source} says where it came from ("environment variable X") and is
     * named in the error, with the setting, the value (unless secret) and the rule.
     */
    public T parse(String text, String source) {
        T value;
        try {
            value = parser.apply(text.strip());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("setting " + name + " = '" + shownText(text) + "' (from " + source
                    + ") is not a valid " + type + describeType(), e);
        }
        String p = value == null ? "must be set" : problem.apply(value);
        if (p != null) {
            throw new IllegalArgumentException("setting " + name + " = '" + shownText(text) + "' (from " + source
                    + "): " + p);
        }
        return value;
    }

    /** The value as {@code caretrail config} and the README show it: {@code (set)} for a secret. */
    public String shown(Object value) {
        boolean none = value == null || value.toString().isEmpty();
        if (secret) {
            return none ? "(not set)" : "(set)";
        }
        return none ? "(none)" : value.toString();
    }

    private String shownText(String text) {
        return secret ? "(secret)" : text;
    }

    private String describeType() {
        return switch (type) {
            case "duration" -> " (ISO-8601, e.g. PT10S or P1D, or milliseconds)";
            case "boolean" -> " (true or false)";
            default -> "";
        };
    }

    private static Duration parseDuration(String text) {
        return text.matches("\\d+") ? Duration.ofMillis(Long.parseLong(text)) : Duration.parse(text);
    }

    private static Boolean parseBoolean(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "true" -> Boolean.TRUE;
            case "false" -> Boolean.FALSE;
            default -> throw new IllegalArgumentException("not true or false");
        };
    }

    @Override
    public String toString() {
        return name;
    }
}
