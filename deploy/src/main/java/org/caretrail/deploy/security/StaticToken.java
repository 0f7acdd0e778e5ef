package org.caretrail.deploy.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Set;
import org.caretrail.events.access.Caller;
import org.caretrail.events.access.Role;

/**
 * The platform's one static API token: the simple default on one machine. Whoever presents it is
 * the caller {@value #SUBJECT} with a configured set of roles ({@link #DEFAULT_ROLES} unless told
 * otherwise). Compared in constant time.
 *
 * <p>{@link #loadOrCreate} makes one on first start: 32 random bytes (Base64url, 43 characters) in a
 * file readable by its owner only (0600), so the token is never printed to a console that may be
 * shared, logged or screen-shared: {@code up} prints where the file is.
 */
public final class StaticToken {

    /** The verified subject of a caller with the static token. */
    public static final String SUBJECT = "static-token";
    /** At least this many characters: 32 random bytes are 43 in Base64url; a chosen token needs 32. */
    public static final int MIN_LENGTH = 32;
    /**
     * What the static token may do unless configured: everything a one-machine user needs (read
     * timelines, publish through FHIR, manage subscriptions, operate) but not RESTRICTED entries, which
     * need an explicit grant ({@code --static-token-roles ...,restricted_access}).
     */
    public static final Set<Role> DEFAULT_ROLES = EnumSet.of(Role.CLINICIAN, Role.INTEGRATION_SYSTEM,
            Role.SUBSCRIBER_ADMIN, Role.OPERATOR);

    private final byte[] token;
    private final Caller caller;

    private StaticToken(String token, Set<Role> roles) {
        String t = token == null ? "" : token.strip();
        if (t.length() < MIN_LENGTH) {
            throw new IllegalArgumentException("the API token must be at least " + MIN_LENGTH + " characters");
        }
        this.token = t.getBytes(StandardCharsets.UTF_8);
        this.caller = new Caller(SUBJECT, null, Caller.Verification.STATIC_TOKEN, roles);
    }

    public static StaticToken of(String token, Set<Role> roles) {
        return new StaticToken(token, roles);
    }

    /** The token in {@code file} (its first line). */
    public static StaticToken read(Path file, Set<Role> roles) throws IOException {
        if (!Files.isReadable(file)) {
            throw new IOException("cannot read the API token file " + file);
        }
        String first = Files.readAllLines(file, StandardCharsets.UTF_8).stream().findFirst().orElse("");
        return new StaticToken(first, roles);
    }

    /** The token in {@code file}, made first (random, owner-only) when there is none. */
    public static StaticToken loadOrCreate(Path file, Set<Role> roles) throws IOException {
        if (!Files.exists(file)) {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            Files.createDirectories(file.toAbsolutePath().getParent());
            try {
                writeOwnerOnly(file, token + "\n");
            } catch (FileAlreadyExistsException raced) {
                // another start made it first: use theirs
            }
        }
        return read(file, roles);
    }

    /** Writes a new file that only its owner can read (0600 where the file system has POSIX permissions). */
    static void writeOwnerOnly(Path file, String content) throws IOException {
        Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(ownerOnly));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
        Files.writeString(file, content, StandardCharsets.UTF_8);
    }

    /** The caller, when {@code presented} is this token. */
    public java.util.Optional<Caller> verify(String presented) {
        return presented != null && MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), token)
                ? java.util.Optional.of(caller) : java.util.Optional.empty();
    }

    public Set<Role> roles() {
        return caller.roles();
    }

    /** The header value a client of this platform sends. */
    public String authorization() {
        return "Bearer " + new String(token, StandardCharsets.UTF_8);
    }
}
