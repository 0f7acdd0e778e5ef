package org.caretrail.deploy.security;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS between CareTrail instances, with client certificates both ways (mutual TLS), from nothing but the
 * peer secret they already share ({@link PeerCredential}): each instance derives the same private CA from
 * the secret ({@link CertificateAuthority#derivedFrom}), issues itself a certificate from it in memory for
 * the names other instances reach it by, and trusts only certificates that CA issued. Nothing is written to
 * disk and nothing more is handed out: whoever holds the peer secret could already sign forwarded requests;
 * whoever does not can neither serve nor call the peer port, nor read what passes between instances.
 *
 * <p>A forwarded read therefore goes over TLS 1.3 to the owner's peer port, the owner checks the caller's
 * certificate in the handshake, then the request's HMAC signature ({@link PeerCredential#verify}); the
 * forwarding instance checks that the owner's certificate names the host it dialled (HTTPS endpoint
 * identification).
 */
public final class PeerTls {

    /** The derived CA's purpose: a new one here makes a new CA (and every instance must change together). */
    static final String CA_PURPOSE = "CareTrail peers CA v1";
    private static final char[] IN_MEMORY = "in-memory".toCharArray();

    private PeerTls() {
    }

    /**
     * An SSL context for both ends of instance-to-instance TLS: its key is a new certificate naming
     * {@code hosts}; it trusts only the CA derived from {@code seed}.
     *
     * @param seed a key derived from the peer secret for this purpose alone ({@link PeerCredential#tls})
     * @param hosts the names and addresses other instances dial this one by (its advertised host first)
     */
    static SSLContext context(byte[] seed, Collection<String> hosts) throws IOException {
        Set<String> names = new LinkedHashSet<>(hosts);
        names.removeIf(h -> h == null || h.isBlank() || h.equals("0.0.0.0") || h.equals("::"));
        if (names.isEmpty()) {
            throw new IllegalArgumentException("a peer certificate needs at least one host name");
        }
        CertificateAuthority ca = CertificateAuthority.derivedFrom(seed, CA_PURPOSE);
        KeyStore own = ca.issueInMemory("caretrail-instance", names, IN_MEMORY);
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("caretrail-peers-ca", ca.certificate());
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(own, IN_MEMORY);
            TrustManagerFactory trusted = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trusted.init(trust);
            SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(keys.getKeyManagers(), trusted.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot make the instances' TLS context: " + e.getMessage(), e);
        }
    }
}
