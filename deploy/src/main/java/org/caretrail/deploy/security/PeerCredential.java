package org.caretrail.deploy.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.caretrail.events.access.Caller;
import org.caretrail.events.access.Role;

/**
 * How one CareTrail instance vouches for a request it forwards to another (a timeline query for a
 * patient whose stores the other holds), without ever passing on the user's own token: an
 * HMAC-SHA256 signature, with the secret all instances share, over the method, the path and query,
 * a timestamp, a one-time nonce and the ORIGINAL caller as this instance verified it (subject, client,
 * how verified, roles).
 *
 * <p>The receiving instance {@link #verify verifies} the signature (constant time), refuses a
 * timestamp more than {@value #WINDOW_SECONDS} s away from its clock and a nonce it has seen within
 * that window (a replayed request), and serves with the carried caller's roles, recording the access
 * in its own audit too. The shared secret is a file of at least 32 bytes ({@code --peer-secret-file};
 * on one machine it is made under the data directory, 0600).
 */
public final class PeerCredential {

    public static final String CALLER_HEADER = "X-CareTrail-Peer-Caller";
    public static final String TIME_HEADER = "X-CareTrail-Peer-Time";
    public static final String NONCE_HEADER = "X-CareTrail-Peer-Nonce";
    public static final String SIGNATURE_HEADER = "X-CareTrail-Peer-Signature";
    /** Requests older or newer than this (seconds) are refused; nonces are remembered this long. */
    public static final int WINDOW_SECONDS = 30;
    static final int MIN_SECRET_BYTES = 32;
    /** At most this many nonces remembered: a flood of forwarded requests cannot grow memory without bound. */
    static final int MAX_NONCES = 200_000;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The peer credential was missing, wrong, stale or replayed; the message is for the log. */
    public static final class Rejected extends Exception {
        Rejected(String message) {
            super(message);
        }
    }

    private final byte[] secret;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Instant> seen = new ConcurrentHashMap<>();
    private volatile Instant lastPruned = Instant.EPOCH;

    PeerCredential(byte[] secret, Clock clock) {
        if (secret.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("the peer secret must be at least " + MIN_SECRET_BYTES + " bytes");
        }
        this.secret = secret.clone();
        this.clock = clock;
    }

    /** A credential with this secret (at least 32 bytes). */
    public static PeerCredential of(String secret) {
        return new PeerCredential(secret.strip().getBytes(StandardCharsets.UTF_8), Clock.systemUTC());
    }

    /** The secret in {@code file} (its first line, as bytes). */
    public static PeerCredential read(Path file) throws IOException {
        if (!Files.isReadable(file)) {
            throw new IOException("cannot read the peer secret file " + file);
        }
        String first = Files.readAllLines(file, StandardCharsets.UTF_8).stream().findFirst().orElse("").strip();
        return new PeerCredential(first.getBytes(StandardCharsets.UTF_8), Clock.systemUTC());
    }

    /** The secret in {@code file}, made first (random, owner-only) when there is none. */
    public static PeerCredential loadOrCreate(Path file) throws IOException {
        if (!Files.exists(file)) {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            Files.createDirectories(file.toAbsolutePath().getParent());
            try {
                StaticToken.writeOwnerOnly(file, Base64.getUrlEncoder().withoutPadding().encodeToString(random) + "\n");
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // made by a concurrent start: use it
            }
        }
        return read(file);
    }

    /**
     * TLS between the instances that share this secret, both ways authenticated ({@link PeerTls}): an SSL
     * context whose certificate names {@code hosts} (where other instances reach this one) and which trusts
     * only certificates from the same secret. The signing key never serves as the TLS key: it is derived apart.
     */
    public javax.net.ssl.SSLContext tls(java.util.Collection<String> hosts) throws IOException {
        return PeerTls.context(hmac(PeerTls.CA_PURPOSE), hosts);
    }

    /** True when the request claims to come from a peer (so it must carry a valid credential). */
    public static boolean claimed(Headers headers) {
        return headers.containsKey(SIGNATURE_HEADER) || headers.containsKey(CALLER_HEADER)
                || headers.containsKey("X-CareTrail-Forwarded");
    }

    /** The headers that vouch for {@code caller} asking {@code method target} (path and query, raw). */
    public Map<String, String> sign(String method, String target, Caller caller) {
        ObjectNode who = JSON.createObjectNode();
        who.put("sub", caller.subject());
        who.put("client", caller.client());
        who.put("verifiedBy", (caller.verifiedBy() == Caller.Verification.PEER ? Caller.Verification.PEER
                : caller.verifiedBy()).name());
        caller.roles().stream().map(Enum::name).sorted().forEach(who.putArray("roles")::add);
        String encoded = Base64.getUrlEncoder().withoutPadding()
                .encodeToString(who.toString().getBytes(StandardCharsets.UTF_8));
        String time = Long.toString(clock.instant().getEpochSecond());
        byte[] n = new byte[16];
        random.nextBytes(n);
        String nonce = Base64.getUrlEncoder().withoutPadding().encodeToString(n);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(CALLER_HEADER, encoded);
        headers.put(TIME_HEADER, time);
        headers.put(NONCE_HEADER, nonce);
        headers.put(SIGNATURE_HEADER, mac(method, target, time, nonce, encoded));
        return headers;
    }

    /**
     * The original caller a peer vouches for, as served here: its subject, client and roles, verified
     * by {@link Caller.Verification#PEER}.
     */
    public Verified verify(String method, String target, Headers headers) throws Rejected {
        String encoded = headers.getFirst(CALLER_HEADER);
        String time = headers.getFirst(TIME_HEADER);
        String nonce = headers.getFirst(NONCE_HEADER);
        String signature = headers.getFirst(SIGNATURE_HEADER);
        if (encoded == null || time == null || nonce == null || signature == null) {
            throw new Rejected("a forwarded request without a complete peer credential");
        }
        if (encoded.length() > 8192 || nonce.length() > 64 || signature.length() > 128) {
            throw new Rejected("an oversized peer credential");
        }
        byte[] expected = mac(method, target, time, nonce, encoded).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, signature.getBytes(StandardCharsets.US_ASCII))) {
            throw new Rejected("a peer credential with a wrong signature");
        }
        Instant now = clock.instant();
        Instant at;
        try {
            at = Instant.ofEpochSecond(Long.parseLong(time));
        } catch (NumberFormatException | java.time.DateTimeException e) {
            throw new Rejected("a peer credential with an unreadable time");
        }
        if (Duration.between(at, now).abs().getSeconds() > WINDOW_SECONDS) {
            throw new Rejected("a peer credential from " + at + ", more than " + WINDOW_SECONDS + " s from now");
        }
        forgetOld(now);
        if (seen.size() >= MAX_NONCES) {
            throw new Rejected("too many forwarded requests within " + WINDOW_SECONDS + " s to check them for replay");
        }
        if (seen.putIfAbsent(nonce, at.plusSeconds(WINDOW_SECONDS)) != null) {
            throw new Rejected("a replayed peer credential (nonce already used)");
        }
        try {
            JsonNode who = JSON.readTree(Base64.getUrlDecoder().decode(encoded));
            Set<Role> roles = EnumSet.noneOf(Role.class);
            for (JsonNode r : who.path("roles")) {
                roles.add(Role.valueOf(r.asText()));
            }
            String client = who.path("client").isTextual() ? who.path("client").asText() : null;
            Caller original = new Caller(who.path("sub").asText(), client,
                    Caller.Verification.valueOf(who.path("verifiedBy").asText()), roles);
            return new Verified(new Caller(original.subject(), client, Caller.Verification.PEER, roles),
                    original.verifiedBy());
        } catch (IOException | IllegalArgumentException | NullPointerException e) {
            throw new Rejected("a peer credential whose caller cannot be read");
        }
    }

    /** A forwarded request's caller, and how the forwarding instance had verified it. */
    public record Verified(Caller caller, Caller.Verification originallyVerifiedBy) {
    }

    private void forgetOld(Instant now) {
        if (seen.size() < MAX_NONCES && Duration.between(lastPruned, now).getSeconds() < 1) {
            return;
        }
        lastPruned = now;
        for (Iterator<Map.Entry<String, Instant>> it = seen.entrySet().iterator(); it.hasNext();) {
            if (it.next().getValue().isBefore(now.minusSeconds(1))) {
                it.remove();
            }
        }
    }

    private String mac(String method, String target, String time, String nonce, String caller) {
        String canonical = method + "\n" + target + "\n" + time + "\n" + nonce + "\n" + caller;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(hmac(canonical));
    }

    /** HMAC-SHA256 of {@code text} (UTF-8) under the shared secret: the signatures, and the TLS key's seed. */
    private byte[] hmac(String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }
}
