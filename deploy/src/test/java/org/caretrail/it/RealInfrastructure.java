package org.caretrail.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.deploy.infra.EmbeddedSchemaRegistry;
import org.caretrail.deploy.infra.Ports;
import org.caretrail.deploy.infra.TopicsApplier;

/**
 * The real parts integration tests run on: the same embedded Kafka broker (KRaft, own JVM) and
 * Apicurio registry (own JVM, Java 21+) that {@code caretrail up} runs. One registry per test JVM
 * (schemas are the same for every test); a fresh broker per caller, so tests do not see each
 * other's records.
 */
public final class RealInfrastructure {

    private static EmbeddedSchemaRegistry registry;

    private RealInfrastructure() {
    }

    /** The Confluent-compatible URL of the shared real registry, started on first use. */
    public static synchronized String registryUrl() {
        if (registry == null) {
            Path home = Path.of(System.getProperty("caretrail.registry.home", "target/apicurio"));
            try {
                Path data = Files.createTempDirectory(testDataRoot(), "registry-");
                registry = EmbeddedSchemaRegistry.start(home, data, Ports.free(), Duration.ofSeconds(120));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the real schema registry", e);
            }
            EmbeddedSchemaRegistry started = registry;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "registry-stop"));
        }
        return registry.url();
    }

    /** A fresh real Kafka broker with every CareTrail topic applied. Close it when done. */
    public static EmbeddedKafkaBroker newBroker() {
        try {
            Path data = Files.createTempDirectory(testDataRoot(), "kafka-");
            EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(data, Ports.free(),
                    System.getProperty("java.class.path"), Duration.ofSeconds(90));
            try {
                new TopicsApplier(broker.bootstrapServers()).apply();
            } catch (Exception e) {
                broker.close();
                throw new IllegalStateException("cannot apply topics on the test broker", e);
            }
            return broker;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a real Kafka broker", e);
        }
    }

    private static Path testDataRoot() throws IOException {
        return Files.createDirectories(Path.of("target", "it-data"));
    }
}
