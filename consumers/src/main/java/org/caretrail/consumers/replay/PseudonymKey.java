package org.caretrail.consumers.replay;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The key of the replay's pseudonyms: at least {@value #MIN_BYTES} random bytes.
 *
 * <p>Why so strict: a pseudonym is {@code HMAC-SHA256(key, NHS number)}, and there are only about a
 * billion valid NHS numbers. Whoever knows the key can compute the pseudonym of every one of them
 * in minutes and so reverse every pseudonym; whoever can guess the key can do the same, offline,
 * after learning one patient's pseudonym (their own, say). A passphrase is guessable; 32 random
 * bytes (256 bits) are not. So the key must come from a random source, e.g.
 * {@code head -c 32 /dev/urandom > replay.key} or {@code openssl rand -base64 32 > replay.key}.
 *
 * <p>A key file holds the raw bytes, or one line of their hex ({@code openssl rand -hex 32}) or
 * Base64 ({@code openssl rand -base64 32}); any other text is refused as a passphrase (Base64 must
 * look like Base64 of random bytes: at least three of upper case, lower case, digits and symbols, a
 * check that catches the usual mistake, not a determined one). Keys with
 * fewer than {@value #MIN_BYTES} bytes, or with so few different byte values that they cannot be
 * random, are refused.
 */
public final class PseudonymKey {

    /** The fewest key bytes accepted: 256 bits, the HMAC-SHA256 block's security level. */
    public static final int MIN_BYTES = 32;
    /** 32 random bytes have about 30 different values; fewer than this means a pattern, not chance. */
    static final int MIN_DISTINCT = 16;

    private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]+");
    private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/_-]+={0,2}");

    private PseudonymKey() {
    }

    /**
     * Reads and checks a key file.
     *
     * @throws IllegalArgumentException saying why the key is refused (never showing it)
     */
    public static byte[] read(Path file) throws IOException {
        return decode(Files.readAllBytes(file), file.toString());
    }

    static byte[] decode(byte[] bytes, String name) {
        if (isText(bytes)) {
            String text = new String(bytes, StandardCharsets.US_ASCII).strip();
            if (text.isEmpty()) {
                throw new IllegalArgumentException("key file " + name + " is empty");
            }
            byte[] key;
            if (HEX.matcher(text).matches() && text.length() % 2 == 0) {
                key = HexFormat.of().parseHex(text);
            } else if (BASE64.matcher(text).matches() && text.length() >= 40 && characterClasses(text) >= 3) {
                try {
                    key = (text.contains("-") || text.contains("_") ? Base64.getUrlDecoder() : Base64.getDecoder())
                            .decode(text);
                } catch (IllegalArgumentException e) {
                    throw passphrase(name);
                }
            } else {
                throw passphrase(name);
            }
            check(key, name);
            return key;
        }
        check(bytes, name);
        return bytes.clone();
    }

    /**
     * Checks key bytes.
     *
     * @throws IllegalArgumentException when there are fewer than {@value #MIN_BYTES} or they show a pattern
     */
    public static void check(byte[] key, String name) {
        if (key == null || key.length < MIN_BYTES) {
            throw new IllegalArgumentException("the pseudonymisation key " + (name == null ? "" : "in " + name + " ")
                    + "has " + (key == null ? 0 : key.length) + " bytes; it needs at least " + MIN_BYTES
                    + " random bytes, e.g. head -c 32 /dev/urandom > replay.key");
        }
        long distinct = Arrays.stream(toInts(key)).distinct().count();
        if (distinct < MIN_DISTINCT) {
            throw new IllegalArgumentException("the pseudonymisation key " + (name == null ? "" : "in " + name + " ")
                    + "does not look random (" + distinct + " different byte values); make one with "
                    + "head -c 32 /dev/urandom > replay.key");
        }
    }

    private static IllegalArgumentException passphrase(String name) {
        return new IllegalArgumentException("key file " + name + " looks like a passphrase: a guessable key lets anyone "
                + "reverse the pseudonyms; use at least " + MIN_BYTES + " random bytes, raw, hex or Base64, e.g. "
                + "openssl rand -base64 32 > replay.key");
    }

    /**
     * How many of upper case, lower case, digits and symbols a Base64 text uses: Base64 of random
     * bytes uses at least three (all four, nearly always); a run-together passphrase rarely does.
     */
    private static int characterClasses(String text) {
        boolean upper = text.chars().anyMatch(Character::isUpperCase);
        boolean lower = text.chars().anyMatch(Character::isLowerCase);
        boolean digit = text.chars().anyMatch(Character::isDigit);
        boolean symbol = text.chars().anyMatch(c -> c == '+' || c == '/' || c == '-' || c == '_');
        return (upper ? 1 : 0) + (lower ? 1 : 0) + (digit ? 1 : 0) + (symbol ? 1 : 0);
    }

    private static boolean isText(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0x20 && b != '\n' && b != '\r' && b != '\t' || b == 0x7F || b < 0) {
                return false;
            }
        }
        return true;
    }

    private static int[] toInts(byte[] bytes) {
        int[] out = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = bytes[i] & 0xFF;
        }
        return out;
    }
}
