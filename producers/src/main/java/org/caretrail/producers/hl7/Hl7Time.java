package org.caretrail.producers.hl7;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HL7v2 DTM/TS values ({@code YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]}) as instants. A value
 * without an offset is read in the adapter's zone (Europe/London by default).
 */
final class Hl7Time {

    private static final Pattern DTM = Pattern.compile(
            "(\\d{4})(\\d{2})?(\\d{2})?(\\d{2})?(\\d{2})?(\\d{2})?(?:\\.(\\d{1,4}))?([+-]\\d{4})?");

    private Hl7Time() {
    }

    /**
     * Parses {@code text} (the field named {@code field} in error messages).
     *
     * @throws Hl7Rejection (AE) naming the field and the value when it is not a valid HL7 time
     */
    static Instant parse(String text, String field, ZoneId zone) {
        String value = text.trim();
        Matcher m = DTM.matcher(value);
        if (!m.matches()) {
            throw Hl7Rejection.error(field + " '" + text + "' is not an HL7 date/time (YYYYMMDD[HHMM[SS]][+ZZZZ])");
        }
        try {
            int year = Integer.parseInt(m.group(1));
            int month = m.group(2) == null ? 1 : Integer.parseInt(m.group(2));
            int day = m.group(3) == null ? 1 : Integer.parseInt(m.group(3));
            int hour = m.group(4) == null ? 0 : Integer.parseInt(m.group(4));
            int minute = m.group(5) == null ? 0 : Integer.parseInt(m.group(5));
            int second = m.group(6) == null ? 0 : Integer.parseInt(m.group(6));
            int nanos = 0;
            if (m.group(7) != null) {
                String fraction = (m.group(7) + "000000000").substring(0, 9);
                nanos = Integer.parseInt(fraction);
            }
            LocalDateTime local = LocalDateTime.of(year, month, day, hour, minute, second, nanos);
            ZoneId effective = m.group(8) == null ? zone : ZoneOffset.of(m.group(8));
            return local.atZone(effective).toInstant();
        } catch (DateTimeException e) {
            throw Hl7Rejection.error(field + " '" + text + "' is not a real date/time: " + e.getMessage());
        }
    }

    /** A date (DT, or the date part of a DTM), e.g. PID-7 date of birth. */
    static LocalDate parseDate(String text, String field) {
        String value = text.trim();
        if (!value.matches("\\d{8}.*")) {
            throw Hl7Rejection.error(field + " '" + text + "' is not an HL7 date (YYYYMMDD)");
        }
        try {
            return LocalDate.of(Integer.parseInt(value.substring(0, 4)), Integer.parseInt(value.substring(4, 6)),
                    Integer.parseInt(value.substring(6, 8)));
        } catch (DateTimeException e) {
            throw Hl7Rejection.error(field + " '" + text + "' is not a real date: " + e.getMessage());
        }
    }
}
