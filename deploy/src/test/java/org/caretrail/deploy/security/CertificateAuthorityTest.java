package org.caretrail.deploy.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {

    private static final char[] PW = "store-password".toCharArray();

    private static KeyStore load(Path file) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, PW);
        }
        return ks;
    }

    @Test
    void aBrokerCertificateChainsToTheCaNamesEveryHostAndServesBothEndsOfTls(@TempDir Path dir) throws Exception {
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir.resolve("ca.p12"), PW);
        assertThat(ca.issue(dir.resolve("node-1.p12"), PW, "caretrail-broker",
                List.of("localhost", "127.0.0.1", "::1", "broker-1.example"))).isTrue();

        KeyStore ks = load(dir.resolve("node-1.p12"));
        X509Certificate cert = (X509Certificate) ks.getCertificate("caretrail");
        cert.verify(ca.certificate().getPublicKey()); // signed by the CA (throws otherwise)
        assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=caretrail-broker,O=CareTrail");
        Set<String> sans = cert.getSubjectAlternativeNames().stream().map(san -> san.get(0) + ":" + san.get(1))
                .collect(Collectors.toSet());
        // RFC 5280 GeneralName tags: 2 = dNSName, 7 = iPAddress
        assertThat(sans).contains("2:localhost", "7:127.0.0.1", "7:0:0:0:0:0:0:0:1", "2:broker-1.example");
        assertThat(cert.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
        assertThat(cert.getBasicConstraints()).isEqualTo(-1); // not a CA
        assertThat(ca.certificate().getBasicConstraints()).isEqualTo(0); // a CA that signs leaves only
        assertThat(ks.getCertificateChain("caretrail")).hasSize(2);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("node-1.p12"))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca.p12"))))
                .isEqualTo("rw-------");
    }

    @Test
    void madeOnceAndReusedUntilItNoLongerFits(@TempDir Path dir) throws Exception {
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir.resolve("ca.p12"), PW);
        Path node = dir.resolve("node-1.p12");
        assertThat(ca.issue(node, PW, "caretrail-broker", List.of("localhost", "::1"))).isTrue();
        byte[] first = Files.readAllBytes(node);

        // the same CA read again, the same names (spelt differently): kept as it is
        CertificateAuthority again = CertificateAuthority.loadOrCreate(dir.resolve("ca.p12"), PW);
        assertThat(again.certificate()).isEqualTo(ca.certificate());
        assertThat(again.issue(node, PW, "caretrail-broker", List.of("LOCALHOST", "0:0:0:0:0:0:0:1"))).isFalse();
        assertThat(Files.readAllBytes(node)).isEqualTo(first);

        // a host it does not name: issued again
        assertThat(again.issue(node, PW, "caretrail-broker", List.of("localhost", "kafka-2.internal"))).isTrue();
        // issued by another CA (the CA's key store was replaced): issued again by this one
        CertificateAuthority other = CertificateAuthority.loadOrCreate(dir.resolve("other.p12"), PW);
        assertThat(other.issue(node, PW, "caretrail-broker", List.of("localhost", "kafka-2.internal"))).isTrue();
        ((X509Certificate) load(node).getCertificate("caretrail")).verify(other.certificate().getPublicKey());

        // the trust store holds the CA's certificate only
        ca.writeTruststore(dir.resolve("trust.p12"), PW);
        KeyStore trust = load(dir.resolve("trust.p12"));
        assertThat(trust.size()).isEqualTo(1);
        assertThat(trust.getCertificate("caretrail-ca")).isEqualTo(ca.certificate());
        assertThat(trust.isKeyEntry("caretrail-ca")).isFalse();
    }
}
