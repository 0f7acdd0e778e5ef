package org.caretrail.deploy.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.Headers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Set;
import org.caretrail.events.access.Caller;
import org.caretrail.events.access.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class PeerCredentialTest {

    private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
    private static final String TARGET = "/api/v1/patients/9912003888/timeline?page=1";
    private static final Caller CLINICIAN = new Caller("dr-a", "ehr", Caller.Verification.OIDC_TOKEN,
            Set.of(Role.CLINICIAN));

    /** A credential with this secret on the system clock, for other tests. */
    public static PeerCredential credential(String secret) {
        return new PeerCredential(secret.getBytes(StandardCharsets.UTF_8), Clock.systemUTC());
    }

    private static PeerCredential at(Instant now) {
        return new PeerCredential("the-peer-secret-shared-by-instances-0001".getBytes(StandardCharsets.UTF_8),
                Clock.fixed(now, ZoneOffset.UTC));
    }

    private static Headers headers(Map<String, String> signed) {
        Headers h = new Headers();
        signed.forEach(h::add);
        return h;
    }

    @Test
    void theReceiverServesTheOriginalCallerVerifiedByThePeer() throws Exception {
        Map<String, String> signed = at(NOW).sign("GET", TARGET, CLINICIAN);
        assertThat(signed).doesNotContainKey("Authorization");
        PeerCredential.Verified verified = at(NOW).verify("GET", TARGET, headers(signed));
        assertThat(verified.caller()).isEqualTo(new Caller("dr-a", "ehr", Caller.Verification.PEER,
                Set.of(Role.CLINICIAN)));
        assertThat(verified.originallyVerifiedBy()).isEqualTo(Caller.Verification.OIDC_TOKEN);
    }

    @Test
    void anythingChangedOrLateOrRepeatedIsRejected() throws Exception {
        Map<String, String> signed = at(NOW).sign("GET", TARGET, CLINICIAN);
        PeerCredential receiver = at(NOW.plusSeconds(5));
        assertThatThrownBy(() -> receiver.verify("GET", TARGET.replace("page=1", "page=2"), headers(signed)))
                .hasMessageContaining("wrong signature");
        assertThatThrownBy(() -> receiver.verify("POST", TARGET, headers(signed))).hasMessageContaining("wrong signature");
        Map<String, String> moreRoles = new java.util.HashMap<>(signed);
        moreRoles.put(PeerCredential.CALLER_HEADER, at(NOW).sign("GET", TARGET, new Caller("dr-a", "ehr",
                Caller.Verification.OIDC_TOKEN, Set.of(Role.CLINICIAN, Role.RESTRICTED_ACCESS)))
                .get(PeerCredential.CALLER_HEADER));
        assertThatThrownBy(() -> receiver.verify("GET", TARGET, headers(moreRoles)))
                .as("a caller with more roles under the old signature").hasMessageContaining("wrong signature");
        assertThatThrownBy(() -> at(NOW.plusSeconds(PeerCredential.WINDOW_SECONDS + 1)).verify("GET", TARGET,
                headers(signed))).hasMessageContaining("from now");
        assertThatThrownBy(() -> at(NOW.minusSeconds(PeerCredential.WINDOW_SECONDS + 1)).verify("GET", TARGET,
                headers(signed))).hasMessageContaining("from now");
        receiver.verify("GET", TARGET, headers(signed));
        assertThatThrownBy(() -> receiver.verify("GET", TARGET, headers(signed))).hasMessageContaining("replayed");
        Map<String, String> partial = new java.util.HashMap<>(signed);
        partial.remove(PeerCredential.NONCE_HEADER);
        assertThatThrownBy(() -> receiver.verify("GET", TARGET, headers(partial))).hasMessageContaining("complete");
    }

    @Test
    void theSecretIsMadeOnceLongAndReadableByItsOwnerOnly(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("peer-secret");
        PeerCredential.loadOrCreate(file);
        String secret = Files.readString(file).strip();
        assertThat(secret.length()).isGreaterThanOrEqualTo(43);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        PeerCredential.loadOrCreate(file);
        assertThat(Files.readString(file).strip()).isEqualTo(secret);
        Files.writeString(dir.resolve("short"), "too-short");
        assertThatThrownBy(() -> PeerCredential.read(dir.resolve("short"))).hasMessageContaining("at least 32 bytes");
    }
}
