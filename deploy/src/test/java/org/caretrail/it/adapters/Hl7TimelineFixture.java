package org.caretrail.it.adapters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ca.uhn.hl7v2.DefaultHapiContext;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.app.Connection;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.util.Terser;
import ca.uhn.hl7v2.validation.impl.ValidationContextFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.it.RealInfrastructure;
import org.caretrail.producers.hl7.Hl7Settings;
import org.caretrail.producers.hl7.MllpAdapter;
import org.caretrail.producers.publisher.CarePublisher;
import org.caretrail.timeline.TimelineApplication;
import org.caretrail.timeline.TimelineSettings;
import org.caretrail.timeline.query.TimelinePage;
import org.caretrail.timeline.query.TimelineQuery;

/**
 * HL7v2 all the way to the timeline, for the HL7 integration tests: a real Kafka broker and schema
 * registry, the MLLP listener (with its message log in Kafka), HAPI's own MLLP client as the
 * sending system, and the timeline stream processor whose interactive queries are read back.
 */
final class Hl7TimelineFixture implements AutoCloseable {

    final EmbeddedKafkaBroker broker;
    final Topics topics;
    final CarePublisher publisher;
    final MllpAdapter adapter;
    final TimelineApplication timeline;
    private final HapiContext hapi;
    private final Connection connection;

    Hl7TimelineFixture(String name) throws Exception {
        broker = RealInfrastructure.newBroker();
        topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        publisher = CarePublisher.connect(broker.bootstrapServers(), topics, name);
        adapter = MllpAdapter.connect(publisher, broker.bootstrapServers(), Hl7Settings.defaults().withPort(0)).start();
        hapi = new DefaultHapiContext(Executors.newCachedThreadPool());
        hapi.setValidationContext(ValidationContextFactory.noValidation());
        connection = hapi.newClient("127.0.0.1", adapter.port(), false);
        connection.getInitiator().setTimeout(30, TimeUnit.SECONDS);
        Path state = Files.createTempDirectory(Files.createDirectories(Path.of("target")), name + "-");
        TimelineSettings settings = TimelineSettings.defaults()
                .with(TimelineSettings.APPLICATION_ID, "it-" + name + "-" + UUID.randomUUID())
                .with(TimelineSettings.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .with(TimelineSettings.STATE_DIR, state)
                .with(TimelineSettings.TIMELINE_EMIT_INTERVAL, Duration.ofMillis(200));
        timeline = new TimelineApplication(settings, topics);
        timeline.start();
        assertThat(timeline.awaitRunning(Duration.ofSeconds(90))).as("timeline RUNNING within 90 s").isTrue();
    }

    /** A synthetic NHS number (999 range, valid Modulus 11), the first valid one from {@code n}. */
    static String nhsNumber(int n) {
        for (int i = n; ; i++) {
            var nhs = org.caretrail.events.NhsNumber.withCheckDigit(String.format("999%06d", i));
            if (nhs.isPresent()) {
                return nhs.get().value();
            }
        }
    }

    /** Sends {@code er7} with HAPI's MLLP client; returns the ACK. */
    Message send(String er7) throws Exception {
        return connection.getInitiator().sendAndReceive(hapi.getPipeParser().parse(er7));
    }

    /** Sends {@code er7} and checks the ACK is AA. */
    void accepted(String er7) throws Exception {
        Message ack = send(er7);
        assertThat(new Terser(ack).get("/MSA-1")).as("ACK of %s: %s", er7.split("\r")[0], new Terser(ack).get("/MSA-3"))
                .isEqualTo("AA");
    }

    /** The patient's timeline (with withdrawn entries), once {@code until} holds; fails after 60 s. */
    TimelinePage timelineOf(String nhs, Predicate<TimelinePage> until) {
        return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).ignoreExceptions()
                .until(() -> page(nhs), p -> p.isPresent() && until.test(p.get())).orElseThrow();
    }

    Optional<TimelinePage> page(String nhs) {
        return timeline.queries().page(new TimelineQuery(nhs, null, null, null, 0, 1000, true));
    }

    @Override
    public void close() throws Exception {
        connection.close();
        hapi.close();
        timeline.close();
        adapter.close();
        publisher.close();
        broker.close();
    }
}
