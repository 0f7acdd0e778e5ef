package org.caretrail.consumers.subscriptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps subscription secrets (the webhook signing secret, the callback's credentials and URL)
 * encrypted at rest on {@code care.subscriptions}: AES-256-GCM, a fresh 96-bit nonce per value, and
 * the subscription id and field name as associated data, so a sealed value cannot be moved to another
 * subscription or field.
 *
 * <p>The keys are text, one per line: {@code <id> <base64 of 32 random bytes>} ({@code #} starts a
 * comment). The first key seals; every key opens, which is how keys are rotated (see the module
 * README): put a new key first, keep the old one below until every subscription has been re-sealed,
 * then remove it. A sealed value reads {@code v1:<key id>:<base64url of nonce and ciphertext>}.
 *
 * <p>Where the keys come from: a file ({@link #fromFile}, created with 0600 permissions and one new
 * key on first start when it does not exist) or the text itself, e.g. from an environment variable a
 * secret manager or KMS fills ({@link #parse}).
 */
public final class SecretKeyRing {

    private static final Logger LOG = LoggerFactory.getLogger(SecretKeyRing.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9_-]{1,40}");
    private static final String VERSION = "v1";
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final Map<String, SecretKey> keys;
    private final String current;

    private SecretKeyRing(Map<String, SecretKey> keys) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("a secret key ring needs at least one key");
        }
        this.keys = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(keys));
        this.current = keys.keySet().iterator().next();
    }

    /** One new random key, kept in memory only (tests, or a throw-away platform). */
    public static SecretKeyRing generate() {
        return parse(newKeyLine());
    }

    /**
     * Reads the key ring text: lines {@code <id> <base64 key>}, first one current.
     *
     * @throws IllegalArgumentException naming the line at fault (never the key)
     */
    public static SecretKeyRing parse(String text) {
        Map<String, SecretKey> keys = new LinkedHashMap<>();
        String[] lines = text.split("[\\r\\n;]+");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+");
            if (parts.length != 2 || !KEY_ID.matcher(parts[0]).matches()) {
                throw new IllegalArgumentException("secret key line " + (i + 1)
                        + " is not '<id> <base64 of 32 bytes>' (ids: letters, digits, - and _)");
            }
            byte[] key;
            try {
                key = Base64.getDecoder().decode(parts[1]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("secret key line " + (i + 1) + " (" + parts[0]
                        + "): the key is not Base64");
            }
            if (key.length != 32) {
                throw new IllegalArgumentException("secret key line " + (i + 1) + " (" + parts[0]
                        + "): the key must be 32 bytes (AES-256), not " + key.length);
            }
            if (keys.putIfAbsent(parts[0], new SecretKeySpec(key, "AES")) != null) {
                throw new IllegalArgumentException("secret key id " + parts[0] + " appears twice");
            }
        }
        return new SecretKeyRing(keys);
    }

    /**
     * The key ring in {@code file}; when the file does not exist, it is created (owner read and write
     * only, 0600, in a directory only the owner can enter) with one new key.
     */
    public static SecretKeyRing fromFile(Path file) throws IOException {
        if (Files.notExists(file)) {
            create(file);
        }
        warnIfOthersCanRead(file);
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    private static void create(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        boolean posix = Files.getFileStore(Files.exists(dir) ? dir : dir.getRoot()).supportsFileAttributeView("posix");
        if (posix) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else {
            Files.createDirectories(dir);
        }
        try {
            if (posix) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } else {
                Files.createFile(file);
            }
        } catch (FileAlreadyExistsException e) {
            return; // another instance made it first: use theirs
        }
        Files.writeString(file, "# CareTrail subscription secrets key ring: the first key seals, every key opens.\n"
                + "# Keep this file secret and backed up: without it the stored webhook secrets cannot be read.\n"
                + newKeyLine() + "\n", StandardCharsets.UTF_8);
        LOG.info("Created a new key for the subscriptions' secrets in {} (0600)", file);
    }

    private static void warnIfOthersCanRead(Path file) {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.GROUP_READ) || permissions.contains(PosixFilePermission.OTHERS_READ)) {
                LOG.warn("The secrets key file {} can be read by others ({}); make it 0600",
                        file, PosixFilePermissions.toString(permissions));
            }
        } catch (UnsupportedOperationException | IOException e) {
            LOG.debug("Cannot check the permissions of {}: {}", file, e.toString());
        }
    }

    /** A new key line: {@code k-<8 hex> <base64 of 32 random bytes>}. */
    public static String newKeyLine() {
        byte[] id = new byte[4];
        byte[] key = new byte[32];
        RANDOM.nextBytes(id);
        RANDOM.nextBytes(key);
        return "k-" + HexFormat.of().formatHex(id) + " " + Base64.getEncoder().encodeToString(key);
    }

    /** The id of the key that seals. */
    public String currentKeyId() {
        return current;
    }

    /** Every key id, the current one first. */
    public List<String> keyIds() {
        return new ArrayList<>(keys.keySet());
    }

    /** Encrypts {@code plain} with the current key, bound to {@code context} (subscription id and field). */
    public String seal(String plain, String context) {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, keys.get(current), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = cipher.doFinal(plain.getBytes(StandardCharsets.UTF_8));
            byte[] out = new byte[nonce.length + sealed.length];
            System.arraycopy(nonce, 0, out, 0, nonce.length);
            System.arraycopy(sealed, 0, out, nonce.length, sealed.length);
            return VERSION + ":" + current + ":" + Base64.getUrlEncoder().withoutPadding().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JVM", e);
        }
    }

    /**
     * Decrypts a value {@link #seal} made with any key of this ring and the same {@code context}.
     *
     * @throws IllegalArgumentException when the value is not sealed, its key is not in this ring, or it
     *     was changed or sealed for another context
     */
    public String open(String sealed, String context) {
        String[] parts = sealed == null ? new String[0] : sealed.split(":", 3);
        if (parts.length != 3 || !VERSION.equals(parts[0])) {
            throw new IllegalArgumentException("not a sealed value");
        }
        SecretKey key = keys.get(parts[1]);
        if (key == null) {
            throw new IllegalArgumentException("sealed with key '" + parts[1] + "', which is not in the key ring");
        }
        try {
            byte[] bytes = Base64.getUrlDecoder().decode(parts[2]);
            if (bytes.length < NONCE_BYTES + TAG_BITS / 8) {
                throw new IllegalArgumentException("sealed value too short");
            }
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, bytes, 0, NONCE_BYTES));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            return new String(cipher.doFinal(bytes, NONCE_BYTES, bytes.length - NONCE_BYTES), StandardCharsets.UTF_8);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new IllegalArgumentException("sealed value does not open: changed, or sealed for another subscription");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JVM", e);
        }
    }

    /** Whether {@code sealed} was sealed with another key than the current one (it is re-sealed on start). */
    public boolean needsReseal(String sealed) {
        String[] parts = sealed.split(":", 3);
        return parts.length != 3 || !current.equals(parts[1]);
    }
}
