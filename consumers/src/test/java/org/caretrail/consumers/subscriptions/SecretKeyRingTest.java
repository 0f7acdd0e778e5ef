package org.caretrail.consumers.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretKeyRingTest {

    @Test
    void aSealedValueOpensOnlyWithItsKeyAndItsContext() {
        SecretKeyRing keys = SecretKeyRing.generate();
        String sealed = keys.seal("whsec-plain", "subscription|s1|secret");

        assertThat(sealed).startsWith("v1:" + keys.currentKeyId() + ":").doesNotContain("whsec-plain");
        assertThat(keys.open(sealed, "subscription|s1|secret")).isEqualTo("whsec-plain");
        assertThat(keys.seal("whsec-plain", "subscription|s1|secret")).as("a fresh nonce each time").isNotEqualTo(sealed);
        assertThatThrownBy(() -> keys.open(sealed, "subscription|s2|secret")).hasMessageContaining("does not open");
        assertThatThrownBy(() -> SecretKeyRing.generate().open(sealed, "subscription|s1|secret"))
                .hasMessageContaining("not in the key ring");

        // one bit changed: the authentication tag no longer holds
        String[] parts = sealed.split(":");
        byte[] bytes = Base64.getUrlDecoder().decode(parts[2]);
        bytes[bytes.length - 1] ^= 1;
        String tampered = parts[0] + ":" + parts[1] + ":" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        assertThatThrownBy(() -> keys.open(tampered, "subscription|s1|secret")).hasMessageContaining("does not open");
    }

    @Test
    void rotationANewKeySealsTheOldOneStillOpens() {
        String oldLine = SecretKeyRing.newKeyLine();
        SecretKeyRing before = SecretKeyRing.parse(oldLine);
        String sealedBefore = before.seal("whsec-1", "c");

        String newLine = SecretKeyRing.newKeyLine();
        SecretKeyRing after = SecretKeyRing.parse("# rotated\n" + newLine + "\n" + oldLine + "\n");
        assertThat(after.currentKeyId()).isEqualTo(newLine.split(" ")[0]);
        assertThat(after.open(sealedBefore, "c")).isEqualTo("whsec-1");
        assertThat(after.needsReseal(sealedBefore)).isTrue();
        assertThat(after.needsReseal(after.seal("whsec-1", "c"))).isFalse();
        assertThat(after.keyIds()).containsExactly(newLine.split(" ")[0], oldLine.split(" ")[0]);
    }

    @Test
    void aKeyFileIsCreatedOwnerOnlyOnFirstStartAndReadAfterwards(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("keys").resolve("subscription-secrets.keys");
        SecretKeyRing first = SecretKeyRing.fromFile(file);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent()))).isEqualTo("rwx------");
        String sealed = first.seal("whsec-2", "c");
        assertThat(SecretKeyRing.fromFile(file).open(sealed, "c")).as("the same key after a restart")
                .isEqualTo("whsec-2");
    }

    @Test
    void aBadKeyIsNamedByItsLineWithoutShowingTheKey(@TempDir Path dir) throws Exception {
        String shortKey = Base64.getEncoder().encodeToString("sixteen-byte-key".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> SecretKeyRing.parse("k1 " + shortKey)).hasMessageContaining("line 1")
                .hasMessageContaining("32 bytes").hasMessageNotContaining(shortKey);
        assertThatThrownBy(() -> SecretKeyRing.parse("k1 not*base64")).hasMessageContaining("not Base64");
        assertThatThrownBy(() -> SecretKeyRing.parse("just-a-passphrase")).hasMessageContaining("line 1");
        assertThatThrownBy(() -> SecretKeyRing.parse("# nothing here\n")).hasMessageContaining("at least one key");
        String line = SecretKeyRing.newKeyLine();
        assertThatThrownBy(() -> SecretKeyRing.parse(line + "\n" + line)).hasMessageContaining("twice");
        Path file = dir.resolve("bad.keys");
        Files.writeString(file, "k1 " + shortKey + "\n");
        assertThatThrownBy(() -> SecretKeyRing.fromFile(file)).hasMessageContaining(file.toString());
    }
}
