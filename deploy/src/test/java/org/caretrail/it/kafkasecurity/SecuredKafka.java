package org.caretrail.it.kafkasecurity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.deploy.infra.KafkaSecurity;
import org.caretrail.deploy.infra.Ports;
import org.caretrail.deploy.infra.PrincipalsApplier;
import org.caretrail.deploy.infra.TopicsApplier;
import org.caretrail.events.kafka.KafkaClientSettings;
import org.caretrail.events.topic.CarePrincipal;

/**
 * A real embedded broker secured as {@code caretrail up} secures it (TLS, SASL/SCRAM, ACLs enforced), with
 * the CareTrail principals, ACLs and topics applied as the operator. Close it when done.
 */
public final class SecuredKafka implements AutoCloseable {

    public final EmbeddedKafkaBroker broker;
    public final KafkaSecurity security;

    private SecuredKafka(EmbeddedKafkaBroker broker, KafkaSecurity security) {
        this.broker = broker;
        this.security = security;
    }

    public static SecuredKafka start() {
        try {
            Path data = Files.createTempDirectory(Files.createDirectories(Path.of("target", "it-data")), "secured-kafka-");
            KafkaSecurity security = KafkaSecurity.generate(data.resolve("kafka-security"), 1);
            EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(data, Ports.free(),
                    System.getProperty("java.class.path"), Duration.ofSeconds(120), security);
            try {
                KafkaClientSettings admin = security.client(broker.bootstrapServers(), CarePrincipal.ADMIN);
                new PrincipalsApplier(admin, security).apply();
                new TopicsApplier(admin).apply();
            } catch (Exception e) {
                broker.close();
                throw new IllegalStateException("cannot apply principals, ACLs and topics on the secured broker", e);
            }
            return new SecuredKafka(broker, security);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a secured Kafka broker", e);
        }
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    /** How {@code principal} connects (TLS with the CareTrail CA, SCRAM as itself). */
    public KafkaClientSettings as(CarePrincipal principal) {
        try {
            return security.client(broker.bootstrapServers(), principal);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        broker.close();
    }
}
