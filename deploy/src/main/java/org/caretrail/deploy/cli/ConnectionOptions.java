package org.caretrail.deploy.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.caretrail.deploy.infra.KafkaAccess;
import org.caretrail.deploy.infra.KafkaSecurity;
import org.caretrail.events.kafka.KafkaClientSettings;
import org.caretrail.events.topic.CarePrincipal;
import picocli.CommandLine.Option;

/**
 * Where the Kafka cluster and the schema registry are, and how a command connects to Kafka; defaults are
 * those of {@code caretrail up}. On a secured Kafka each command connects as the principal its job needs
 * ({@code publish} and {@code import} as the adapters, {@code replay} as an analyst, {@code topics},
 * {@code audit} and {@code rebuild} as the operator), with the files {@code caretrail up} made under
 * {@code data/kafka-security}, or those in {@code --kafka-security-dir}, or exactly the client settings in
 * {@code --kafka-config}.
 */
public final class ConnectionOptions {

    public static final String DEFAULT_BOOTSTRAP = "localhost:9092";
    public static final String DEFAULT_REGISTRY = "http://127.0.0.1:8081/apis/ccompat/v7";
    /** Where {@code caretrail up} keeps Kafka's security files with the default data directory. */
    public static final Path DEFAULT_SECURITY_DIR = Path.of("data", "kafka-security");

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
            defaultValue = "${env:CARETRAIL_BOOTSTRAP_SERVERS:-" + DEFAULT_BOOTSTRAP + "}",
            description = "Kafka brokers (default: ${DEFAULT-VALUE}; env CARETRAIL_BOOTSTRAP_SERVERS)")
    String bootstrapServers;

    @Option(names = "--schema-registry-url", paramLabel = "URL",
            defaultValue = "${env:CARETRAIL_SCHEMA_REGISTRY_URL:-" + DEFAULT_REGISTRY + "}",
            description = "Confluent-compatible schema registry API (default: ${DEFAULT-VALUE}; env CARETRAIL_SCHEMA_REGISTRY_URL)")
    String schemaRegistryUrl;

    @Option(names = "--kafka-security-dir", paramLabel = "DIR",
            defaultValue = "${env:CARETRAIL_KAFKA_SECURITY_DIR}",
            description = "Kafka's trust store and the components' SCRAM passwords, as `caretrail up` keeps them "
                    + "(default: data/kafka-security when it exists, else no TLS or authentication; env "
                    + "CARETRAIL_KAFKA_SECURITY_DIR)")
    Path kafkaSecurityDir;

    @Option(names = "--kafka-config", paramLabel = "FILE", defaultValue = "${env:CARETRAIL_KAFKA_CONFIG}",
            description = "A Kafka client properties file (security.protocol, ssl.*, sasl.*) to connect with, as "
                    + "whichever principal it names (env CARETRAIL_KAFKA_CONFIG); wins over --kafka-security-dir")
    Path kafkaConfig;

    @Option(names = "--no-kafka-security", description = "Connect without TLS or authentication (a Kafka run with "
            + "`up --no-kafka-security`), even when data/kafka-security exists")
    boolean noKafkaSecurity;

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public String schemaRegistryUrl() {
        return schemaRegistryUrl;
    }

    /** How this command connects to Kafka when its job is {@code principal}'s. */
    public KafkaClientSettings kafka(CarePrincipal principal) {
        try {
            if (kafkaConfig != null && !noKafkaSecurity) {
                return KafkaClientSettings.fromFile(bootstrapServers, kafkaConfig);
            }
            Path dir = securityDir();
            return KafkaAccess.of(bootstrapServers, dir == null ? null : KafkaSecurity.existing(dir)).as(principal);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The security directory: the one given, else {@code data/kafka-security} when it exists; null for none. */
    private Path securityDir() {
        if (noKafkaSecurity) {
            return null;
        }
        if (kafkaSecurityDir != null) {
            return kafkaSecurityDir;
        }
        return Files.isDirectory(DEFAULT_SECURITY_DIR.resolve("credentials")) ? DEFAULT_SECURITY_DIR : null;
    }

    /** The Kafka security files in use, if any (the operator's commands apply principals from them). */
    public java.util.Optional<KafkaSecurity> kafkaSecurity() {
        try {
            if (kafkaConfig != null || noKafkaSecurity) {
                return java.util.Optional.empty();
            }
            Path dir = securityDir();
            return dir == null ? java.util.Optional.empty() : java.util.Optional.of(KafkaSecurity.existing(dir));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
