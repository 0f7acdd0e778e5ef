package org.caretrail.deploy.security;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.caretrail.deploy.infra.PrivateFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CareTrail certificate authority: a private CA made on this machine the first time it is needed, and
 * the certificates it issues to the Kafka brokers (and the platform's HTTPS), as PKCS12 key stores. Nothing
 * is downloaded and nothing outside the JDK and Bouncy Castle is run. Keys are EC P-256 (fast to make and to
 * handshake with); the CA is valid for 10 years, each certificate it issues for 2.
 *
 * <p>Everything is made once and reused: {@link #issue} keeps an existing key store while it was issued by
 * this CA, names every host asked for, and has more than 30 days left; otherwise it issues a new one. Every
 * file is written owner-only (0600): whoever can read the CA's key store can mint a broker.
 */
public final class CertificateAuthority {

    private static final Logger LOG = LoggerFactory.getLogger(CertificateAuthority.class);
    private static final String ALIAS = "caretrail";
    private static final String CA_ALIAS = "caretrail-ca";
    private static final String SIGNATURE = "SHA256withECDSA";
    private static final Duration CA_VALIDITY = Duration.ofDays(3650);
    private static final Duration LEAF_VALIDITY = Duration.ofDays(730);
    private static final Duration RENEW_BEFORE = Duration.ofDays(30);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** A derived CA's validity: fixed, so that every holder of its seed makes the same certificate. */
    private static final Instant DERIVED_NOT_BEFORE = Instant.parse("2025-01-01T00:00:00Z");
    private static final Instant DERIVED_NOT_AFTER = Instant.parse("2075-01-01T00:00:00Z");

    private final PrivateKey key;
    private final X509Certificate certificate;

    private CertificateAuthority(PrivateKey key, X509Certificate certificate) {
        this.key = key;
        this.certificate = certificate;
    }

    /** The CA in {@code keystore} (PKCS12), made there first if the file does not exist. */
    public static CertificateAuthority loadOrCreate(Path keystore, char[] password) throws IOException {
        try {
            if (Files.exists(keystore)) {
                KeyStore ks = load(keystore, password);
                return new CertificateAuthority((PrivateKey) ks.getKey(CA_ALIAS, password),
                        (X509Certificate) ks.getCertificate(CA_ALIAS));
            }
            KeyPair pair = newKeyPair();
            Instant now = Instant.now();
            X500Name name = new X500Name("CN=CareTrail CA " + Long.toHexString(RANDOM.nextLong() >>> 16)
                    + ",O=CareTrail");
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(CA_VALIDITY)), name, pair.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            builder.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            X509Certificate cert = sign(builder, pair.getPrivate());
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry(CA_ALIAS, pair.getPrivate(), password, new Certificate[] {cert});
            store(ks, keystore, password);
            LOG.info("made a new CareTrail certificate authority ({}) in {}", cert.getSubjectX500Principal().getName(),
                    keystore);
            return new CertificateAuthority(pair.getPrivate(), cert);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot make or read the CareTrail CA in " + keystore + ": " + e.getMessage(), e);
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** Writes a trust store (PKCS12) holding this CA's certificate only, unless it already holds exactly that. */
    public void writeTruststore(Path truststore, char[] password) throws IOException {
        try {
            if (Files.exists(truststore)) {
                KeyStore existing = load(truststore, password);
                if (certificate.equals(existing.getCertificate(CA_ALIAS)) && existing.size() == 1) {
                    return;
                }
            }
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setCertificateEntry(CA_ALIAS, certificate);
            store(ks, truststore, password);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot write the trust store " + truststore + ": " + e.getMessage(), e);
        }
    }

    /**
     * A key store (PKCS12, one key, its certificate and this CA's) for {@code commonName}, valid for every
     * name in {@code hosts} (DNS names and IP addresses, as subject alternative names), for both TLS server
     * and client use. An existing one that still fits is kept.
     *
     * @return true when a new certificate was issued
     */
    public boolean issue(Path keystore, char[] password, String commonName, Collection<String> hosts)
            throws IOException {
        Set<String> wanted = new LinkedHashSet<>(hosts);
        try {
            if (Files.exists(keystore) && fits(keystore, password, commonName, wanted)) {
                return false;
            }
            KeyPair pair = newKeyPair();
            X509Certificate cert = leaf(pair, commonName, wanted);
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry(ALIAS, pair.getPrivate(), password, new Certificate[] {cert, certificate});
            store(ks, keystore, password);
            LOG.info("issued a certificate for {} ({}) in {}", commonName, String.join(", ", wanted), keystore);
            return true;
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot issue a certificate in " + keystore + ": " + e.getMessage(), e);
        }
    }

    /** A certificate from this CA for {@code pair}'s key: {@code commonName}, every host, server and client use. */
    private X509Certificate leaf(KeyPair pair, String commonName, Set<String> hosts)
            throws GeneralSecurityException, OperatorCreationException, IOException {
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serial(),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(LEAF_VALIDITY)),
                new X500Principal("CN=" + commonName + ",O=CareTrail"), pair.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        builder.addExtension(Extension.subjectAlternativeName, false, alternativeNames(hosts));
        builder.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
        // by key only: a derived CA's certificate differs between holders in its signature, never in its key
        builder.addExtension(Extension.authorityKeyIdentifier, false,
                ext.createAuthorityKeyIdentifier(certificate.getPublicKey()));
        return sign(builder, key);
    }

    /**
     * The CA every holder of {@code seed} derives alike: the same EC P-256 key (its private value taken from
     * the seed), name, serial and validity; only the signature of its own certificate differs between holders
     * (ECDSA signs with a fresh random), which no one checks: a trust anchor is its name and key. Held in
     * memory only, never written. For instances that share a secret and nothing else: each issues itself a
     * certificate and trusts whatever the others issued themselves (see {@link PeerTls}).
     *
     * @param seed at least 32 secret bytes
     * @param purpose names the CA (a different purpose, a different CA)
     */
    public static CertificateAuthority derivedFrom(byte[] seed, String purpose) throws IOException {
        if (seed.length < 32) {
            throw new IllegalArgumentException("a derived CA needs a seed of at least 32 bytes");
        }
        try {
            org.bouncycastle.jce.spec.ECNamedCurveParameterSpec curve =
                    org.bouncycastle.jce.ECNamedCurveTable.getParameterSpec("secp256r1");
            BigInteger n = curve.getN();
            BigInteger d = new BigInteger(1, hmac(seed, purpose + " key")).mod(n.subtract(BigInteger.ONE))
                    .add(BigInteger.ONE);
            org.bouncycastle.math.ec.ECPoint q = curve.getG().multiply(d).normalize();
            java.security.AlgorithmParameters params = java.security.AlgorithmParameters.getInstance("EC");
            params.init(new ECGenParameterSpec("secp256r1"));
            java.security.spec.ECParameterSpec jdkCurve = params.getParameterSpec(java.security.spec.ECParameterSpec.class);
            java.security.KeyFactory keys = java.security.KeyFactory.getInstance("EC");
            PrivateKey privateKey = keys.generatePrivate(new java.security.spec.ECPrivateKeySpec(d, jdkCurve));
            java.security.PublicKey publicKey = keys.generatePublic(new java.security.spec.ECPublicKeySpec(
                    new java.security.spec.ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger()),
                    jdkCurve));
            byte[] id = hmac(seed, purpose + " name");
            X500Name name = new X500Name("CN=" + purpose + " " + java.util.HexFormat.of().formatHex(id, 0, 6)
                    + ",O=CareTrail");
            BigInteger serial = new BigInteger(1, hmac(seed, purpose + " serial"), 0, 16).setBit(127);
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial,
                    Date.from(DERIVED_NOT_BEFORE), Date.from(DERIVED_NOT_AFTER), name, publicKey);
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            builder.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(publicKey));
            return new CertificateAuthority(privateKey, sign(builder, privateKey));
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot derive the " + purpose + ": " + e.getMessage(), e);
        }
    }

    /**
     * A key store in memory (PKCS12): a new key and its certificate from this CA for {@code commonName}, valid
     * for every name in {@code hosts}, for TLS server and client use; alias {@value #ALIAS}.
     */
    public KeyStore issueInMemory(String commonName, Collection<String> hosts, char[] password) throws IOException {
        try {
            KeyPair pair = newKeyPair();
            X509Certificate cert = leaf(pair, commonName, new LinkedHashSet<>(hosts));
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry(ALIAS, pair.getPrivate(), password, new Certificate[] {cert, certificate});
            return ks;
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot issue a certificate for " + commonName + ": " + e.getMessage(), e);
        }
    }

    private static byte[] hmac(byte[] key, String label) throws GeneralSecurityException {
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(label.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Issued by this CA, to this name, for every wanted host, with more than 30 days to run. */
    private boolean fits(Path keystore, char[] password, String commonName, Set<String> wanted)
            throws IOException, GeneralSecurityException {
        KeyStore ks;
        try {
            ks = load(keystore, password);
        } catch (IOException e) {
            LOG.warn("cannot read {} ({}); issuing a new certificate", keystore, e.getMessage());
            return false;
        }
        if (!(ks.getCertificate(ALIAS) instanceof X509Certificate cert) || ks.getKey(ALIAS, password) == null) {
            return false;
        }
        try {
            cert.verify(certificate.getPublicKey());
        } catch (GeneralSecurityException e) {
            return false; // issued by another (an earlier) CA
        }
        if (cert.getNotAfter().toInstant().isBefore(Instant.now().plus(RENEW_BEFORE))
                || !cert.getSubjectX500Principal().equals(new X500Principal("CN=" + commonName + ",O=CareTrail"))) {
            return false;
        }
        Set<String> normalised = new HashSet<>();
        wanted.forEach(n -> normalised.add(normalise(n)));
        return names(cert).containsAll(normalised);
    }

    /** IP addresses in one spelling ({@code ::1} and {@code 0:0:0:0:0:0:0:1} are one), names in lower case. */
    private static String normalise(String host) {
        if (isAddress(host)) {
            try {
                return InetAddress.getByName(host).getHostAddress(); // a literal: no look-up
            } catch (IOException e) {
                return host;
            }
        }
        return host.toLowerCase(java.util.Locale.ROOT);
    }

    private static Set<String> names(X509Certificate cert) throws CertificateParsingException {
        Set<String> names = new HashSet<>();
        Collection<List<?>> sans = cert.getSubjectAlternativeNames();
        if (sans != null) {
            for (List<?> san : sans) {
                names.add(normalise(String.valueOf(san.get(1))));
            }
        }
        return names;
    }

    private static GeneralNames alternativeNames(Set<String> hosts) {
        List<GeneralName> names = new ArrayList<>();
        for (String host : hosts) {
            names.add(isAddress(host) ? new GeneralName(GeneralName.iPAddress, host)
                    : new GeneralName(GeneralName.dNSName, host));
        }
        return new GeneralNames(names.toArray(GeneralName[]::new));
    }

    /** A literal IPv4 or IPv6 address (never resolved: a name stays a name). */
    static boolean isAddress(String host) {
        if (host.contains(":")) {
            return true;
        }
        return host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }

    /** This machine's names worth putting in a certificate besides loopback: its host name and canonical name. */
    public static Set<String> localNames() {
        Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
        try {
            InetAddress local = InetAddress.getLocalHost();
            names.add(local.getHostName());
            names.add(local.getCanonicalHostName());
        } catch (IOException e) {
            LOG.debug("this machine's name is unknown ({}); certificates name loopback only", e.toString());
        }
        names.removeIf(n -> n == null || n.isBlank());
        return names;
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return generator.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(128, RANDOM).setBit(127);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer)
            throws OperatorCreationException, GeneralSecurityException {
        ContentSigner contentSigner = new JcaContentSignerBuilder(SIGNATURE).build(signer);
        return new JcaX509CertificateConverter().getCertificate(builder.build(contentSigner));
    }

    private static KeyStore load(Path file, char[] password) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, password);
        }
        return ks;
    }

    /** Written beside, made 0600, then moved into place: a reader never sees half a key store. */
    private static void store(KeyStore ks, Path file, char[] password) throws IOException, GeneralSecurityException {
        PrivateFiles.directory(file.toAbsolutePath().getParent());
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        Files.deleteIfExists(partial);
        PrivateFiles.write(partial, "");
        try (OutputStream out = Files.newOutputStream(partial)) {
            ks.store(out, password);
        }
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        PrivateFiles.file(file);
    }
}
