package org.caretrail.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.caretrail.deploy.http.ApiAccess;
import org.caretrail.events.access.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** What {@code caretrail up} does about access, from its options, as a user sees it on the console. */
class AccessOptionsTest {

    @CommandLine.Command(name = "up")
    static final class Up {
        @CommandLine.Mixin
        AccessOptions access;
    }

    private final ByteArrayOutputStream console = new ByteArrayOutputStream();

    private ApiAccess build(Path data, String... args) throws Exception {
        Up up = new Up();
        new CommandLine(up).parseArgs(args);
        return up.access.build(data, new PrintStream(console, true, StandardCharsets.UTF_8));
    }

    private String console() {
        return console.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theFirstStartMakesATokenAndSaysWhereItIsNotWhatItIs(@TempDir Path data) throws Exception {
        ApiAccess access = build(data);
        Path file = data.resolve(AccessOptions.TOKEN_FILE);
        String token = Files.readString(file).strip();
        assertThat(access.requiresToken()).isTrue();
        assertThat(access.authorization()).hasValue("Bearer " + token);
        assertThat(console()).contains(file.toString()).doesNotContain(token);
        Up up = new Up();
        new CommandLine(up).parseArgs();
        up.access.build(data, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertThat(up.access.summary()).contains(file.toString()).doesNotContain(token);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(access.peers()).isPresent();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve(
                AccessOptions.PEER_SECRET_FILE)))).isEqualTo("rw-------");
        assertThat(access.staticToken().orElseThrow().roles()).doesNotContain(Role.RESTRICTED_ACCESS);
        access.requireFor("0.0.0.0");
    }

    @Test
    void noAuthSaysLoudlyWhatItMeansAndKeepsToLoopback(@TempDir Path data) throws Exception {
        ApiAccess access = build(data, "--no-auth", "--static-token-roles", "clinician");
        assertThat(access.requiresToken()).isFalse();
        assertThat(console()).contains("WARNING").contains("verify NOBODY").contains("Loopback only");
        assertThat(Files.exists(data.resolve(AccessOptions.TOKEN_FILE))).isFalse();
        access.requireFor("127.0.0.1");
        assertThatThrownBy(() -> access.requireFor("0.0.0.0")).hasMessageContaining("--no-auth is for loopback only");
        assertThatThrownBy(() -> build(data, "--no-auth", "--oidc-issuer", "https://id.example", "--oidc-audience", "x"))
                .hasMessageContaining("cannot be combined");
    }

    @Test
    void aGivenTokenFileAndRolesAreUsedAndBadRolesNamed(@TempDir Path data) throws Exception {
        Path file = data.resolve("my-token");
        Files.writeString(file, "a-token-chosen-by-the-operator-0123456789\n");
        ApiAccess access = build(data, "--api-token-file", file.toString(), "--static-token-roles",
                "clinician,restricted_access");
        assertThat(access.authorization()).hasValue("Bearer a-token-chosen-by-the-operator-0123456789");
        assertThat(access.staticToken().orElseThrow().roles())
                .containsExactlyInAnyOrder(Role.CLINICIAN, Role.RESTRICTED_ACCESS);
        assertThat(Files.exists(data.resolve(AccessOptions.TOKEN_FILE))).isFalse();
        assertThatThrownBy(() -> build(data, "--static-token-roles", "clinician,superuser"))
                .hasMessageContaining("'superuser' is not a CareTrail role");
    }
}
