package org.caretrail.deploy.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.caretrail.events.access.Caller;
import org.caretrail.events.access.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StaticTokenTest {

    @Test
    void firstStartMakesARandomOwnerOnlyTokenOfAtLeast32BytesAndKeepsIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("data/api-token");
        StaticToken made = StaticToken.loadOrCreate(file, StaticToken.DEFAULT_ROLES);
        String token = Files.readString(file).strip();
        assertThat(token).matches("[A-Za-z0-9_-]{43}"); // 32 random bytes, Base64url
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(made.authorization()).isEqualTo("Bearer " + token);
        StaticToken again = StaticToken.loadOrCreate(file, StaticToken.DEFAULT_ROLES);
        assertThat(again.authorization()).isEqualTo(made.authorization());
        StaticToken other = StaticToken.loadOrCreate(dir.resolve("other/api-token"), StaticToken.DEFAULT_ROLES);
        assertThat(other.authorization()).isNotEqualTo(made.authorization());
    }

    @Test
    void theTokenIsACallerWithTheConfiguredRolesAndNoRestrictedAccessByDefault() {
        String token = "a-static-token-of-thirty-two-chars-or-more";
        assertThat(StaticToken.DEFAULT_ROLES).doesNotContain(Role.RESTRICTED_ACCESS);
        assertThat(StaticToken.of(token, StaticToken.DEFAULT_ROLES).verify(token)).hasValueSatisfying(c -> {
            assertThat(c.verifiedBy()).isEqualTo(Caller.Verification.STATIC_TOKEN);
            assertThat(c.roles()).isEqualTo(StaticToken.DEFAULT_ROLES);
        });
        assertThat(StaticToken.of(token, Set.of(Role.ANALYST)).verify(token + " ")).isEmpty();
        assertThat(StaticToken.of(token, Set.of(Role.ANALYST)).verify(null)).isEmpty();
    }
}
