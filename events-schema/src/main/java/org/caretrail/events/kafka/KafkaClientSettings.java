package org.caretrail.events.kafka;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;

/**
 * Where a CareTrail Kafka client connects and as whom: the bootstrap servers and the security settings
 * (TLS, SASL/SCRAM principal) in one immutable value. Every Kafka client CareTrail makes (producers,
 * consumers, admin clients, Kafka Streams) takes its connection from one of these, so a secured
 * cluster needs no change anywhere else: {@link #config()} is the start of every client's settings.
 *
 * <pre>{@code
 * KafkaClientSettings adapters = KafkaClientSettings.plaintext("localhost:9092")
 *         .withTls(Path.of("data/kafka-security/truststore.p12"), truststorePassword)
 *         .withScram("caretrail-adapters", password);
 * KafkaProducer<String, byte[]> p = DurableProducer.create(adapters.config(), "caretrail-adapters", ...);
 * }</pre>
 *
 * <p>TLS always verifies the broker's host name against its certificate ({@code
 * ssl.endpoint.identification.algorithm=https}); SASL is SCRAM-SHA-512 only (the password never
 * crosses the wire, and the broker proves it knows the credential too). {@link #toString()} never
 * shows a password.
 */
public final class KafkaClientSettings {

    /** The only SASL mechanism CareTrail uses. */
    public static final String SCRAM_MECHANISM = "SCRAM-SHA-512";
    private static final String SCRAM_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule";
    private static final Pattern JAAS_USER = Pattern.compile("username=\"([^\"]*)\"");
    /** Settings a client properties file may carry besides these (anything else is refused: a typo is not silent). */
    private static final Set<String> SECURITY_KEYS = Set.of(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG,
            SaslConfigs.SASL_MECHANISM, SaslConfigs.SASL_JAAS_CONFIG,
            SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG,
            SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG,
            SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, SslConfigs.SSL_KEY_PASSWORD_CONFIG,
            SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG, SslConfigs.SSL_PROTOCOL_CONFIG,
            SslConfigs.SSL_ENABLED_PROTOCOLS_CONFIG);

    private final String bootstrapServers;
    private final Map<String, String> security;

    private KafkaClientSettings(String bootstrapServers, Map<String, String> security) {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("Kafka bootstrap servers must be given (host:port[,host:port...])");
        }
        this.bootstrapServers = bootstrapServers.strip();
        this.security = Collections.unmodifiableMap(new LinkedHashMap<>(security));
    }

    /** No TLS, no authentication: a broker on loopback that is open to every local user. */
    public static KafkaClientSettings plaintext(String bootstrapServers) {
        return new KafkaClientSettings(bootstrapServers, Map.of());
    }

    /**
     * {@code bootstrapServers} with the security settings of a Kafka client properties file (as
     * Kafka's own tools take with {@code --command-config}): {@code security.protocol}, {@code ssl.*},
     * {@code sasl.mechanism}, {@code sasl.jaas.config}. A {@code bootstrap.servers} in the file is
     * ignored (the caller's wins); any other setting is refused, naming it.
     */
    public static KafkaClientSettings fromFile(String bootstrapServers, Path clientProperties) throws IOException {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(clientProperties, StandardCharsets.UTF_8)) {
            p.load(in);
        }
        Map<String, String> security = new LinkedHashMap<>();
        for (String key : p.stringPropertyNames()) {
            if (key.equals(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)) {
                continue;
            }
            if (!SECURITY_KEYS.contains(key)) {
                throw new IllegalArgumentException(clientProperties + ": '" + key + "' is not a client security "
                        + "setting (allowed: " + SECURITY_KEYS.stream().sorted().toList() + ")");
            }
            security.put(key, p.getProperty(key).strip());
        }
        return new KafkaClientSettings(bootstrapServers, security);
    }

    /**
     * The same, over TLS: the brokers' certificates must chain to a certificate in {@code truststore}
     * (PKCS12) and name the host connected to.
     */
    public KafkaClientSettings withTls(Path truststore, String truststorePassword) {
        Map<String, String> s = new LinkedHashMap<>(security);
        s.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, isSasl() ? "SASL_SSL" : "SSL");
        s.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PKCS12");
        s.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, truststore.toAbsolutePath().toString());
        s.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, Objects.requireNonNull(truststorePassword, "truststore password"));
        s.put(SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG, "https");
        return new KafkaClientSettings(bootstrapServers, s);
    }

    /** The same, presenting the certificate in {@code keystore} (PKCS12) too: mutual TLS (brokers' own identity). */
    public KafkaClientSettings withKeystore(Path keystore, String password) {
        if (!isTls()) {
            throw new IllegalStateException("a client certificate needs TLS: call withTls first");
        }
        Map<String, String> s = new LinkedHashMap<>(security);
        s.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PKCS12");
        s.put(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, keystore.toAbsolutePath().toString());
        s.put(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, Objects.requireNonNull(password, "keystore password"));
        s.put(SslConfigs.SSL_KEY_PASSWORD_CONFIG, password);
        return new KafkaClientSettings(bootstrapServers, s);
    }

    /** The same, authenticated as {@code user} with SASL/SCRAM-SHA-512 (over TLS when {@link #withTls} was given). */
    public KafkaClientSettings withScram(String user, String password) {
        requireJaasSafe("user", user);
        requireJaasSafe("password", password);
        Map<String, String> s = new LinkedHashMap<>(security);
        s.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, isTls() ? "SASL_SSL" : "SASL_PLAINTEXT");
        s.put(SaslConfigs.SASL_MECHANISM, SCRAM_MECHANISM);
        s.put(SaslConfigs.SASL_JAAS_CONFIG, SCRAM_LOGIN + " required username=\"" + user + "\" password=\""
                + password + "\";");
        return new KafkaClientSettings(bootstrapServers, s);
    }

    /** The same security on other brokers (e.g. another listener of the same cluster). */
    public KafkaClientSettings withBootstrapServers(String other) {
        return new KafkaClientSettings(other, security);
    }

    private static void requireJaasSafe(String what, String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("the SCRAM " + what + " must not be empty");
        }
        for (char c : value.toCharArray()) {
            if (c == '"' || c == '\\' || c == ';' || Character.isISOControl(c)) {
                throw new IllegalArgumentException("the SCRAM " + what + " must not contain quotes, backslashes, "
                        + "semicolons or control characters");
            }
        }
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** {@code security.protocol}: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL. */
    public String securityProtocol() {
        return security.getOrDefault(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "PLAINTEXT");
    }

    public boolean isTls() {
        return securityProtocol().endsWith("SSL");
    }

    public boolean isSasl() {
        return securityProtocol().startsWith("SASL");
    }

    /** The SASL user this client authenticates as, or null. */
    public String principal() {
        String jaas = security.get(SaslConfigs.SASL_JAAS_CONFIG);
        if (jaas == null) {
            return null;
        }
        Matcher m = JAAS_USER.matcher(jaas);
        return m.find() ? m.group(1) : null;
    }

    /** The security settings alone (what a Kafka client properties file holds besides the bootstrap servers). */
    public Map<String, String> security() {
        return security;
    }

    /** A new, mutable map: {@code bootstrap.servers} and the security settings; add the client's own settings. */
    public Map<String, Object> config() {
        Map<String, Object> config = new HashMap<>(security);
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return config;
    }

    /** {@link #config()} with {@code clientSettings} laid over it (the connection and security always win). */
    public Map<String, Object> config(Map<String, ?> clientSettings) {
        Map<String, Object> config = new HashMap<>(clientSettings);
        config.putAll(config());
        return config;
    }

    /** {@link #config()} as properties (Kafka Streams, the HL7 message log). */
    public Properties properties() {
        Properties p = new Properties();
        p.putAll(config());
        return p;
    }

    /** The security settings as a Kafka client properties file's text (for Kafka's own tools). */
    public String toPropertiesText(String comment) {
        StringBuilder text = new StringBuilder("# ").append(comment.replace('\n', ' ')).append('\n');
        security.forEach((k, v) -> text.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
        return text.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KafkaClientSettings other && bootstrapServers.equals(other.bootstrapServers)
                && security.equals(other.security);
    }

    @Override
    public int hashCode() {
        return Objects.hash(bootstrapServers, security);
    }

    /** Bootstrap servers, protocol and principal; never a password. */
    @Override
    public String toString() {
        String user = principal();
        return "KafkaClientSettings{" + bootstrapServers + ", " + securityProtocol() + (user == null ? "" : ", as " + user)
                + "}";
    }
}
