package org.caretrail.events;

import java.util.regex.Pattern;

/**
 * An Organisation Data Service code: how the NHS names organisations (RJ1 for a trust, A81001 for
 * a GP practice, 8HK02 for a site). Three to ten upper-case letters and digits.
 */
public record OdsCode(String value) {

    private static final Pattern FORM = Pattern.compile("[A-Z0-9]{3,10}");

    public OdsCode {
        String problem = problem(value);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** Why {@code text} is not an ODS code, or null when it is. */
    public static String problem(String text) {
        if (text == null || text.isBlank()) {
            return "ODS code is missing";
        }
        if (!FORM.matcher(text).matches()) {
            return "ODS code '" + text + "' must be 3 to 10 upper-case letters or digits";
        }
        return null;
    }

    @Override
    public String toString() {
        return value;
    }
}
