package org.caretrail.it.adapters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.producers.hl7.AdtMessageBuilder.adt;

import ca.uhn.hl7v2.DefaultHapiContext;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.app.Connection;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.util.Terser;
import ca.uhn.hl7v2.validation.impl.ValidationContextFactory;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.it.RealInfrastructure;
import org.caretrail.producers.hl7.Hl7Settings;
import org.caretrail.producers.hl7.MllpAdapter;
import org.caretrail.producers.publisher.CarePublisher;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * While Kafka is away, MLLP senders are answered within their own timeouts (issue 9 item 9): the
 * broker is stopped under a running listener, and HAPI's MLLP client (30 s timeout, shorter than the
 * Kafka producer's own waits) gets AR with the reason instead of being held.
 */
@Tag("integration")
@Tag("faults")
class MllpKafkaDownIT {

    @Test
    void with_the_broker_gone_a_sender_gets_ar_with_the_reason_within_its_timeout() throws Exception {
        Instant t0 = Instant.now().minus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
        String nhs = Hl7TimelineFixture.nhsNumber(500110);
        EmbeddedKafkaBroker broker = RealInfrastructure.newBroker();
        Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        Hl7Settings settings = Hl7Settings.defaults().withPort(0).withPublishTimeout(Duration.ofSeconds(5));
        try (CarePublisher publisher = CarePublisher.connect(broker.bootstrapServers(), topics, "kafka-down-it");
             MllpAdapter adapter = MllpAdapter.connect(publisher, broker.bootstrapServers(), settings).start();
             HapiContext hapi = new DefaultHapiContext(Executors.newCachedThreadPool())) {
            hapi.setValidationContext(ValidationContextFactory.noValidation());
            Connection connection = hapi.newClient("127.0.0.1", adapter.port(), false);
            connection.getInitiator().setTimeout(30, TimeUnit.SECONDS);
            Message before = connection.getInitiator().sendAndReceive(hapi.getPipeParser().parse(
                    adt("A01", "DOWN-1", t0).facility("RJ1").nhsNumber(nhs).visitNumber("DV1").build()));
            assertThat(new Terser(before).get("/MSA-1")).isEqualTo("AA");

            broker.close();

            long started = System.nanoTime();
            Message during = connection.getInitiator().sendAndReceive(hapi.getPipeParser().parse(
                    adt("A02", "DOWN-2", t0.plusSeconds(60)).facility("RJ1").nhsNumber(nhs).visitNumber("DV1")
                            .location("WARD 2", null).build()));
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
            assertThat(new Terser(during).get("/MSA-1")).isEqualTo("AR");
            assertThat(new Terser(during).get("/MSA-3")).contains("Kafka did not acknowledge").contains("resend");
            assertThat(seconds).as("answered inside the sender's 30 s timeout").isLessThan(30);
            connection.close();
        } finally {
            broker.close();
        }
    }
}
