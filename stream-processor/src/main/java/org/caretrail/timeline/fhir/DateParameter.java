package org.caretrail.timeline.fhir;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One FHIR date search parameter value ({@code date=ge2026-10-20}), as FHIR R4 defines its matching
 * (search 3.1.1.4.1 "date"): the value is a range as wide as its precision ({@code 2026} is the whole
 * year, {@code 2026-10-20} the day, a dateTime to the second that second), the target is a range too
 * (a period; an instant is a range of one moment; a period without an end goes on for ever), and:
 * <ul>
 *   <li>{@code eq} (or no prefix): the target lies within the value's range; {@code ne}: it does not;
 *   <li>{@code gt}: the target has a part after the value's range; {@code lt}: a part before it;
 *   <li>{@code ge}: the target has a part at or after the start of the value's range; {@code le}: a part
 *       before its end (so {@code ge2026-11-03} finds a spell that ended on the 3rd, as a clinician means it,
 *       and as HAPI FHIR's own server reads it);
 *   <li>{@code sa}: the target starts after the value's range; {@code eb}: it ends before it.
 * </ul>
 * A date-time without a time zone is read as UTC. {@code ap} (approximately) is refused.
 */
public record DateParameter(String prefix, Instant low, Instant high) {

    private static final Pattern VALUE = Pattern.compile("^(eq|ne|gt|lt|ge|le|sa|eb|ap)?(\\d{4}.*)$");

    /** Reads {@code text}; throws IllegalArgumentException naming what is wrong. */
    public static DateParameter parse(String name, String text) {
        Matcher m = VALUE.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(name + ": '" + text + "' is not a FHIR date (e.g. ge2026-10-20, "
                    + "2026-10, lt2026-10-20T09:15:00Z)");
        }
        String prefix = m.group(1) == null ? "eq" : m.group(1).toLowerCase(Locale.ROOT);
        if (prefix.equals("ap")) {
            throw new IllegalArgumentException(name + ": the prefix ap (approximately) is not supported");
        }
        String value = m.group(2);
        try {
            if (value.length() == 4) {
                LocalDate start = LocalDate.of(Integer.parseInt(value), 1, 1);
                return new DateParameter(prefix, start(start), start(start.plusYears(1)));
            }
            if (value.length() == 7) {
                YearMonth month = YearMonth.parse(value);
                return new DateParameter(prefix, start(month.atDay(1)), start(month.plusMonths(1).atDay(1)));
            }
            if (value.length() == 10) {
                LocalDate day = LocalDate.parse(value);
                return new DateParameter(prefix, start(day), start(day.plusDays(1)));
            }
            Instant at;
            try {
                at = OffsetDateTime.parse(value).toInstant();
            } catch (DateTimeParseException e) {
                at = LocalDateTime.parse(value).toInstant(ZoneOffset.UTC);
            }
            // as wide as the precision given: a minute, a second, or a millisecond
            String time = value.substring(value.indexOf('T') + 1).replaceFirst("(Z|[+-]\\d{2}:\\d{2})$", "");
            long colons = time.chars().filter(c -> c == ':').count();
            long width = colons < 2 ? 60_000 : time.contains(".") ? 1 : 1_000;
            return new DateParameter(prefix, at, at.plusMillis(width));
        } catch (DateTimeParseException | NumberFormatException e) {
            throw new IllegalArgumentException(name + ": '" + text + "' is not a FHIR date (e.g. ge2026-10-20, "
                    + "2026-10, lt2026-10-20T09:15:00Z)");
        }
    }

    private static Instant start(LocalDate day) {
        return day.atStartOfDay().toInstant(ZoneOffset.UTC);
    }

    /**
     * Whether the target range [{@code start}, {@code end}] matches; {@code end} null means the target
     * goes on (an in-progress encounter); {@code start} null means it is not known when it began.
     */
    public boolean matches(Instant start, Instant end) {
        Instant s = start == null ? Instant.MIN : start;
        Instant e = end == null ? Instant.MAX : end;
        boolean within = !s.isBefore(low) && e.isBefore(high);
        boolean partAfter = !e.isBefore(high);
        boolean partBefore = s.isBefore(low);
        return switch (prefix) {
            case "eq" -> within;
            case "ne" -> !within;
            case "gt" -> partAfter;
            case "lt" -> partBefore;
            case "ge" -> !e.isBefore(low);
            case "le" -> s.isBefore(high);
            case "sa" -> !s.isBefore(high);
            case "eb" -> e.isBefore(low);
            default -> throw new IllegalStateException("prefix " + prefix);
        };
    }

    /** For a target that is one moment. */
    public boolean matches(Instant at) {
        return matches(at, at);
    }
}
