package org.caretrail.deploy.cli;

import picocli.CommandLine.Option;

/** Where the Kafka cluster and the schema registry are; defaults are those of {@code caretrail up}. */
public final class ConnectionOptions {

    public static final String DEFAULT_BOOTSTRAP = "localhost:9092";
    public static final String DEFAULT_REGISTRY = "http://127.0.0.1:8081/apis/ccompat/v7";

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
            defaultValue = "${env:CARETRAIL_BOOTSTRAP_SERVERS:-" + DEFAULT_BOOTSTRAP + "}",
            description = "Kafka brokers (default: ${DEFAULT-VALUE}; env CARETRAIL_BOOTSTRAP_SERVERS)")
    String bootstrapServers;

    @Option(names = "--schema-registry-url", paramLabel = "URL",
            defaultValue = "${env:CARETRAIL_SCHEMA_REGISTRY_URL:-" + DEFAULT_REGISTRY + "}",
            description = "Confluent-compatible schema registry API (default: ${DEFAULT-VALUE}; env CARETRAIL_SCHEMA_REGISTRY_URL)")
    String schemaRegistryUrl;

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public String schemaRegistryUrl() {
        return schemaRegistryUrl;
    }
}
