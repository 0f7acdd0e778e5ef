package org.caretrail.events;

import java.util.Objects;

/**
 * A ten-digit NHS number whose last digit passes the Modulus 11 check.
 *
 * <p>The check: multiply the first nine digits by 10, 9, ... 2, sum, take the remainder mod 11 and
 * subtract it from 11. A result of 11 means check digit 0; a result of 10 means the number is never
 * valid.
 *
 * <p><b>The one place that knows how an NHS number is spelt.</b> People and systems write
 * "999 123 4567", "999-123-4567" or "9991234567", with stray whitespace (tabs, no-break spaces)
 * around or between the groups. Those separators are ignored; anything else (a '+', a letter) makes
 * the text invalid. {@link #value()} is the canonical form: ten digits. Every key, store, audit record
 * and opt-out check uses that form, obtained through {@link #of}, {@link #canonical} or
 * {@link #canonicalOrSame}, never by editing the text by hand.
 */
public final class NhsNumber implements Comparable<NhsNumber> {

    private final String digits;

    private NhsNumber(String digits) {
        this.digits = digits;
    }

    /** Parses and checks; throws {@link IllegalArgumentException} naming what is wrong. */
    public static NhsNumber of(String text) {
        String problem = problem(text);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return new NhsNumber(normalise(text));
    }

    /**
     * The canonical ten digits of {@code text} when it is a valid NHS number in any accepted
     * spelling, else empty.
     */
    public static java.util.Optional<String> canonical(String text) {
        return isValid(text) ? java.util.Optional.of(normalise(text)) : java.util.Optional.empty();
    }

    /**
     * The canonical ten digits when {@code text} is a valid NHS number, else {@code text} unchanged
     * (so an invalid number still reaches the validator that names what is wrong with it). Null stays
     * null.
     */
    public static String canonicalOrSame(String text) {
        return text != null && isValid(text) ? normalise(text) : text;
    }

    /** True when {@code text} is a valid NHS number. */
    public static boolean isValid(String text) {
        return problem(text) == null;
    }

    /** Why {@code text} is not a valid NHS number, or null when it is. */
    public static String problem(String text) {
        if (text == null || text.isBlank()) {
            return "NHS number is missing";
        }
        String digits = normalise(text);
        if (digits.length() != 10 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return "NHS number '" + text + "' must be 10 digits";
        }
        int expected = checkDigit(digits.substring(0, 9));
        if (expected == 10) {
            return "NHS number '" + text + "' can never be valid: its check digit computes to 10";
        }
        if (expected != digits.charAt(9) - '0') {
            return "NHS number '" + text + "' fails the Modulus 11 check (check digit should be " + expected + ")";
        }
        return null;
    }

    /**
     * The Modulus 11 check digit for nine digits: 0-9, or 10 when no valid number has these nine
     * digits.
     */
    public static int checkDigit(String nineDigits) {
        if (nineDigits.length() != 9 || !nineDigits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("need nine digits, got '" + nineDigits + "'");
        }
        int sum = 0;
        for (int i = 0; i < 9; i++) {
            sum += (nineDigits.charAt(i) - '0') * (10 - i);
        }
        int check = 11 - (sum % 11);
        return check == 11 ? 0 : check;
    }

    /**
     * The valid NHS number starting with these nine digits, or empty when their check digit
     * computes to 10. Synthetic data uses the 999 range: {@code withCheckDigit("999000001")}.
     */
    public static java.util.Optional<NhsNumber> withCheckDigit(String nineDigits) {
        int check = checkDigit(nineDigits);
        return check == 10 ? java.util.Optional.empty() : java.util.Optional.of(new NhsNumber(nineDigits + check));
    }

    /** Removes the separators people write: whitespace of any kind and hyphens. */
    private static String normalise(String text) {
        StringBuilder digits = new StringBuilder(10);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '-' || Character.isWhitespace(c) || Character.isSpaceChar(c)) {
                continue;
            }
            digits.append(c);
        }
        return digits.toString();
    }

    /** The ten digits, no spaces: the form used as a Kafka key. */
    public String value() {
        return digits;
    }

    /** The 3-3-4 form people read: "999 123 4567". */
    public String formatted() {
        return digits.substring(0, 3) + " " + digits.substring(3, 6) + " " + digits.substring(6);
    }

    @Override
    public int compareTo(NhsNumber other) {
        return digits.compareTo(other.digits);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NhsNumber other && digits.equals(other.digits);
    }

    @Override
    public int hashCode() {
        return Objects.hash(digits);
    }

    @Override
    public String toString() {
        return digits;
    }
}
