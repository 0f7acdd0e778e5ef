package org.caretrail.deploy.infra;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import org.caretrail.deploy.security.CertificateAuthority;
import org.caretrail.events.kafka.KafkaClientSettings;
import org.caretrail.events.topic.CarePrincipal;

/**
 * The files that secure CareTrail's Kafka, in one directory ({@code <data dir>/kafka-security} by
 * default), owner-only:
 *
 * <pre>
 * truststore.p12, truststore.password      the CareTrail CA's certificate: what every client trusts
 * credentials/&lt;principal&gt;.password      each component's SCRAM password (first line)
 * clients/&lt;principal&gt;.properties         Kafka client settings (TLS + SCRAM) for the CLI and Kafka's own tools
 * ca.p12, ca.password                      the CA's key: only where CareTrail runs the brokers
 * brokers/node-N.p12, brokers/keystore.password   each broker's key and certificate
 * </pre>
 *
 * For the brokers CareTrail runs ({@code up}, {@code up --brokers 3}, {@code cluster}), {@link #generate}
 * makes whatever is missing, once: the CA, a certificate per broker naming this machine
 * ({@code localhost}, {@code 127.0.0.1}, {@code ::1}, its host names), a random password per principal.
 * For a cluster run elsewhere the operator puts its CA's trust store and the principals' passwords in
 * the same places ({@link #existing}); nothing is generated then, and a missing file is an error naming it.
 */
public final class KafkaSecurity {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;

    private KafkaSecurity(Path dir) {
        this.dir = dir.toAbsolutePath();
    }

    /** The files an operator provided (or an earlier {@link #generate} made) in {@code dir}. */
    public static KafkaSecurity existing(Path dir) throws IOException {
        KafkaSecurity s = new KafkaSecurity(dir);
        s.require(s.truststore());
        s.require(dir.resolve("truststore.password"));
        return s;
    }

    /**
     * Makes what is missing in {@code dir} for {@code brokers} brokers CareTrail runs on this machine: the CA,
     * the trust store, each broker's key store and each principal's password. Existing files are kept.
     */
    public static KafkaSecurity generate(Path dir, int brokers) throws IOException {
        KafkaSecurity s = new KafkaSecurity(PrivateFiles.directory(dir.toAbsolutePath()));
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(s.dir.resolve("ca.p12"),
                s.secret(s.dir.resolve("ca.password")).toCharArray());
        ca.writeTruststore(s.truststore(), s.truststorePassword().toCharArray());
        Collection<String> names = CertificateAuthority.localNames();
        for (int node = 1; node <= brokers; node++) {
            ca.issue(s.brokerKeystore(node), s.brokerKeystorePassword().toCharArray(), CarePrincipal.BROKER, names);
        }
        for (CarePrincipal p : CarePrincipal.values()) {
            s.secret(s.passwordFile(p));
        }
        return s;
    }

    public Path dir() {
        return dir;
    }

    public Path truststore() {
        return dir.resolve("truststore.p12");
    }

    public String truststorePassword() throws IOException {
        return secret(dir.resolve("truststore.password"));
    }

    Path brokerKeystore(int node) {
        return dir.resolve("brokers").resolve("node-" + node + ".p12");
    }

    String brokerKeystorePassword() throws IOException {
        return secret(dir.resolve("brokers").resolve("keystore.password"));
    }

    Path passwordFile(CarePrincipal principal) {
        return dir.resolve("credentials").resolve(principal.user() + ".password");
    }

    /** The SCRAM password of {@code principal} (from its file). */
    public String password(CarePrincipal principal) throws IOException {
        Path file = passwordFile(principal);
        require(file);
        return firstLine(file);
    }

    /** How {@code principal} connects to {@code bootstrapServers}: TLS with the CareTrail CA, SCRAM as itself. */
    public KafkaClientSettings client(String bootstrapServers, CarePrincipal principal) throws IOException {
        return KafkaClientSettings.plaintext(bootstrapServers).withTls(truststore(), truststorePassword())
                .withScram(principal.user(), password(principal));
    }

    /** Secures node {@code node}'s config with its key store, the trust store, and a broker listener on {@code brokerPort}. */
    void secure(KafkaNodeConfig config, int node, int brokerPort) throws IOException {
        config.secured(brokerPort, brokerKeystore(node), brokerKeystorePassword(), truststore(), truststorePassword(),
                CarePrincipal.BROKER, org.caretrail.events.topic.CareAcls.superUsers().stream()
                        .map(CarePrincipal::user).toList());
    }

    /** How a broker itself connects (mutual TLS, principal {@link CarePrincipal#BROKER}) on its internal listener. */
    KafkaClientSettings broker(String internalBootstrap, int node) throws IOException {
        return KafkaClientSettings.plaintext(internalBootstrap).withTls(truststore(), truststorePassword())
                .withKeystore(brokerKeystore(node), brokerKeystorePassword());
    }

    /**
     * Writes {@code clients/<principal>.properties} for every principal: the client settings Kafka's own tools
     * and the {@code caretrail} commands read ({@code --command-config}, {@code --kafka-config}).
     */
    public void writeClientFiles() throws IOException {
        for (CarePrincipal p : CarePrincipal.values()) {
            if (Files.exists(passwordFile(p))) {
                PrivateFiles.write(clientFile(dir, p), client("unused:9092", p).toPropertiesText(
                        "Kafka client settings of " + p.user() + " (" + p.description() + "), written by caretrail"));
            }
        }
    }

    /** Where {@link #writeClientFiles} puts the settings of {@code principal} under a security directory. */
    public static Path clientFile(Path securityDir, CarePrincipal principal) {
        return securityDir.resolve("clients").resolve(principal.user() + ".properties");
    }

    /** A password from its file, made (32 random bytes, Base64url) when the file does not exist. */
    private String secret(Path file) throws IOException {
        if (!Files.exists(file)) {
            byte[] bytes = new byte[32];
            RANDOM.nextBytes(bytes);
            PrivateFiles.directory(file.getParent());
            PrivateFiles.write(file, Base64.getUrlEncoder().withoutPadding().encodeToString(bytes) + "\n");
        }
        return firstLine(file);
    }

    private static String firstLine(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        String line = lines.isEmpty() ? "" : lines.get(0).strip();
        if (line.isEmpty()) {
            throw new IOException(file + " is empty: it must hold a password on its first line");
        }
        return line;
    }

    private void require(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("Kafka security: " + file + " is missing (see " + dir
                    + ": truststore.p12, truststore.password, credentials/<principal>.password)");
        }
    }
}
