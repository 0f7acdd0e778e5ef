package org.caretrail.deploy.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.caretrail.deploy.infra.KafkaAccess;
import org.caretrail.deploy.infra.KafkaSecurity;
import org.caretrail.events.kafka.KafkaClientSettings;
import org.caretrail.events.settings.Setting;
import org.caretrail.events.settings.Settings;
import org.caretrail.events.topic.CarePrincipal;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Where the Kafka cluster and the schema registry are, and how a command connects to Kafka; defaults are
 * those of {@code caretrail up}. On a secured Kafka each command connects as the principal its job needs
 * ({@code publish} and {@code import} as the adapters, {@code replay} as an analyst, {@code topics},
 * {@code audit} and {@code rebuild} as the operator), with the files {@code caretrail up} made under
 * {@code data/kafka-security}, or those in {@code --kafka-security-dir}, or exactly the client settings in
 * {@code --kafka-config}.
 *
 * <p>Each of these is a setting of the {@code client.*} group ({@link #DEFINITIONS}), so the commands that connect
 * read it as {@code up} reads its own: the option, then the environment (the variables these options had before,
 * {@code CARETRAIL_BOOTSTRAP_SERVERS} ..., keep working), then the {@code --config} file, then the default; and
 * {@code --set} sets any of them. {@code caretrail config} lists them.
 */
public final class ConnectionOptions {

    public static final String DEFAULT_BOOTSTRAP = "localhost:9092";
    public static final String DEFAULT_REGISTRY = "http://127.0.0.1:8081/apis/ccompat/v7";
    /** Where {@code caretrail up} keeps Kafka's security files with the default data directory. */
    public static final Path DEFAULT_SECURITY_DIR = Path.of("data", "kafka-security");

    public static final Setting<String> BOOTSTRAP_SERVERS = Setting.text("client.bootstrap-servers", DEFAULT_BOOTSTRAP,
            "Kafka brokers the commands other than up (topics, publish, import, simulate, replay, rebuild, audit) "
                    + "connect to, host:port[,...].")
            .alsoFromEnv("CARETRAIL_BOOTSTRAP_SERVERS")
            .checkedBy(v -> v.isBlank() ? "must not be blank" : null);
    public static final Setting<String> SCHEMA_REGISTRY_URL = Setting.text("client.schema-registry-url",
            DEFAULT_REGISTRY, "The Confluent-compatible schema registry API those commands use.")
            .alsoFromEnv("CARETRAIL_SCHEMA_REGISTRY_URL")
            .checkedBy(ConnectionOptions::httpUrlProblem);
    public static final Setting<String> KAFKA_SECURITY_DIR = Setting.text("client.kafka-security-dir", "",
            "Kafka's trust store and the components' SCRAM passwords, as caretrail up keeps them (empty: "
                    + "data/kafka-security when it exists, else no TLS or authentication).")
            .alsoFromEnv("CARETRAIL_KAFKA_SECURITY_DIR");
    public static final Setting<String> KAFKA_CONFIG = Setting.text("client.kafka-config", "",
            "A Kafka client properties file (security.protocol, ssl.*, sasl.*) to connect with, as whichever "
                    + "principal it names; wins over client.kafka-security-dir (empty: none).")
            .alsoFromEnv("CARETRAIL_KAFKA_CONFIG");

    /** The connection settings, in the order {@code caretrail config} lists them. */
    public static final List<Setting<?>> DEFINITIONS = List.of(BOOTSTRAP_SERVERS, SCHEMA_REGISTRY_URL,
            KAFKA_SECURITY_DIR, KAFKA_CONFIG);

    // The fields below are null unless the option was given: the setting (environment, file, default) fills the rest.

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
            description = "Kafka brokers (setting client.bootstrap-servers; default: " + DEFAULT_BOOTSTRAP
                    + "; env CARETRAIL_BOOTSTRAP_SERVERS)")
    String bootstrapServers;

    @Option(names = "--schema-registry-url", paramLabel = "URL",
            description = "Confluent-compatible schema registry API (setting client.schema-registry-url; default: "
                    + DEFAULT_REGISTRY + "; env CARETRAIL_SCHEMA_REGISTRY_URL)")
    String schemaRegistryUrl;

    @Option(names = "--kafka-security-dir", paramLabel = "DIR",
            description = "Kafka's trust store and the components' SCRAM passwords, as `caretrail up` keeps them "
                    + "(setting client.kafka-security-dir; default: data/kafka-security when it exists, else no TLS "
                    + "or authentication; env CARETRAIL_KAFKA_SECURITY_DIR)")
    Path kafkaSecurityDir;

    @Option(names = "--kafka-config", paramLabel = "FILE",
            description = "A Kafka client properties file (security.protocol, ssl.*, sasl.*) to connect with, as "
                    + "whichever principal it names (setting client.kafka-config; env CARETRAIL_KAFKA_CONFIG); wins "
                    + "over --kafka-security-dir")
    Path kafkaConfig;

    @Option(names = "--no-kafka-security", description = "Connect without TLS or authentication (a Kafka run with "
            + "`up --no-kafka-security`), even when data/kafka-security exists")
    boolean noKafkaSecurity;

    @Mixin
    SettingsSources sources;

    /**
     * Every setting, resolved from the options given here, --set, the environment and --config (read again at each
     * call: a command line object may be run more than once).
     */
    Settings settings() {
        Map<String, String> given = new LinkedHashMap<>();
        if (bootstrapServers != null) {
            given.put(BOOTSTRAP_SERVERS.name(), bootstrapServers);
        }
        if (schemaRegistryUrl != null) {
            given.put(SCHEMA_REGISTRY_URL.name(), schemaRegistryUrl);
        }
        if (kafkaSecurityDir != null) {
            given.put(KAFKA_SECURITY_DIR.name(), kafkaSecurityDir.toString());
        }
        if (kafkaConfig != null) {
            given.put(KAFKA_CONFIG.name(), kafkaConfig.toString());
        }
        try {
            return sources.resolve(given);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String bootstrapServers() {
        return settings().get(BOOTSTRAP_SERVERS);
    }

    public String schemaRegistryUrl() {
        return settings().get(SCHEMA_REGISTRY_URL);
    }

    /** Null when {@code url} is an http(s) URL with a host, else what is wrong with it (a setting's check). */
    static String httpUrlProblem(String url) {
        try {
            URI uri = new URI(url.strip());
            return ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null
                    ? null : "must be an http:// or https:// URL with a host";
        } catch (URISyntaxException e) {
            return "is not a URL";
        }
    }

    /** How this command connects to Kafka when its job is {@code principal}'s. */
    public KafkaClientSettings kafka(CarePrincipal principal) {
        Settings s = settings();
        try {
            Path config = pathOrNull(s.get(KAFKA_CONFIG));
            if (config != null && !noKafkaSecurity) {
                return KafkaClientSettings.fromFile(s.get(BOOTSTRAP_SERVERS), config);
            }
            Path dir = securityDir(s);
            return KafkaAccess.of(s.get(BOOTSTRAP_SERVERS), dir == null ? null : KafkaSecurity.existing(dir))
                    .as(principal);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The security directory: the one given, else {@code data/kafka-security} when it exists; null for none. */
    private Path securityDir(Settings s) {
        if (noKafkaSecurity) {
            return null;
        }
        Path given = pathOrNull(s.get(KAFKA_SECURITY_DIR));
        if (given != null) {
            return given;
        }
        return Files.isDirectory(DEFAULT_SECURITY_DIR.resolve("credentials")) ? DEFAULT_SECURITY_DIR : null;
    }

    /** The Kafka security files in use, if any (the operator's commands apply principals from them). */
    public java.util.Optional<KafkaSecurity> kafkaSecurity() {
        Settings s = settings();
        try {
            if (pathOrNull(s.get(KAFKA_CONFIG)) != null || noKafkaSecurity) {
                return java.util.Optional.empty();
            }
            Path dir = securityDir(s);
            return dir == null ? java.util.Optional.empty() : java.util.Optional.of(KafkaSecurity.existing(dir));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path pathOrNull(String value) {
        return value == null || value.isBlank() ? null : Path.of(value.strip());
    }
}
