package org.caretrail.events;

import java.util.Objects;

/**
 * A ten-digit NHS number whose last digit passes the Modulus 11 check.
 *
 * <p>The check: multiply the first nine digits by 10, 9, ... 2, sum, take the remainder mod 11 and
 * subtract it from 11. A result of 11 means check digit 0; a result of 10 means the number is never
 * valid. Spaces and hyphens in the input ("999 123 4567") are ignored.
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
        if (digits.length() != 10 || !digits.chars().allMatch(Character::isDigit)) {
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
        if (nineDigits.length() != 9 || !nineDigits.chars().allMatch(Character::isDigit)) {
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

    private static String normalise(String text) {
        return text.replace(" ", "").replace("-", "").trim();
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
