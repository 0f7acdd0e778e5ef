package org.caretrail.it.adapters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.caretrail.producers.hl7.AdtMessageBuilder.adt;

import ca.uhn.hl7v2.DefaultHapiContext;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.app.Connection;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.util.Terser;
import ca.uhn.hl7v2.validation.impl.ValidationContextFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.HospitalSpell;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.it.RealInfrastructure;
import org.caretrail.producers.hl7.AdtMessageBuilder;
import org.caretrail.producers.hl7.Hl7Settings;
import org.caretrail.producers.hl7.MllpAdapter;
import org.caretrail.producers.publisher.CarePublisher;
import org.caretrail.timeline.TimelineApplication;
import org.caretrail.timeline.TimelineSettings;
import org.caretrail.timeline.query.TimelinePage;
import org.caretrail.timeline.query.TimelineQuery;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * HL7v2 all the way to the timeline: HAPI's MLLP client → the MLLP listener → the real broker and
 * registry → the timeline stream processor. admit → transfer → cancel transfer → discharge →
 * cancel discharge → discharge (the admission sent twice) must leave one spell, discharged at the
 * second discharge, with no transfer, and the cancelled transfer withdrawn.
 */
@Tag("integration")
class Hl7TimelineIT {

    static final String NHS = NhsNumber.withCheckDigit("999000032").orElseThrow().value();

    @Test
    void cancellationsFromHl7LeaveTheRightSpellOnTheTimeline() throws Exception {
        Instant t0 = Instant.now().minus(3, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
        Instant transferAt = t0.plusSeconds(3600);
        Instant firstDischarge = t0.plusSeconds(7200);
        Instant secondDischarge = t0.plusSeconds(9000);
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker()) {
            Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
            try (CarePublisher publisher = CarePublisher.connect(broker.bootstrapServers(), topics, "hl7-timeline-it");
                 MllpAdapter adapter = MllpAdapter.connect(publisher, broker.bootstrapServers(),
                         Hl7Settings.defaults().withPort(0)).start();
                 HapiContext hapi = new DefaultHapiContext(Executors.newCachedThreadPool())) {
                hapi.setValidationContext(ValidationContextFactory.noValidation());
                Connection connection = hapi.newClient("127.0.0.1", adapter.port(), false);
                connection.getInitiator().setTimeout(30, TimeUnit.SECONDS);
                String admit = inpatient("A01", "TL1", t0).admissionType("21").admitTime(t0).build();
                List<String> messages = List.of(admit,
                        inpatient("A02", "TL2", transferAt).location("WARD 9", "ST THOMAS").priorWard("WARD 7").build(),
                        inpatient("A12", "TL3", transferAt.plusSeconds(600)).eventOccurred(transferAt).build(),
                        inpatient("A03", "TL4", firstDischarge).dischargeTime(firstDischarge)
                                .dischargeDisposition("19").build(),
                        inpatient("A13", "TL5", firstDischarge.plusSeconds(300)).build(),
                        inpatient("A03", "TL6", secondDischarge).dischargeTime(secondDischarge)
                                .dischargeDisposition("54").build(),
                        admit);
                for (String m : messages) {
                    Message ack = connection.getInitiator().sendAndReceive(hapi.getPipeParser().parse(m));
                    assertThat(new Terser(ack).get("/MSA-1")).as(new Terser(ack).get("/MSA-3")).isEqualTo("AA");
                }
                connection.close();
            }

            Path state = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "hl7-timeline-");
            TimelineSettings settings = TimelineSettings.defaults()
                    .with(TimelineSettings.APPLICATION_ID, "it-hl7-" + UUID.randomUUID())
                    .with(TimelineSettings.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                    .with(TimelineSettings.STATE_DIR, state)
                    .with(TimelineSettings.TIMELINE_EMIT_INTERVAL, Duration.ofMillis(200));
            try (TimelineApplication app = new TimelineApplication(settings, topics)) {
                app.start();
                assertThat(app.awaitRunning(Duration.ofSeconds(90))).as("RUNNING within 90 s").isTrue();
                TimelinePage page = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                        .ignoreExceptions()
                        .until(() -> page(app), p -> p.isPresent() && p.get().entries().size() == 3
                                && discharged(p.get())).orElseThrow();

                List<TimelineEntry> entries = page.entries();
                assertThat(entries).extracting(e -> e.getType() + " " + e.getSubjectId() + " " + e.getStatus())
                        .containsExactly(
                                "ADMISSION V800 CURRENT",
                                "TRANSFER V800/transfer/" + transferAt + " WITHDRAWN",
                                "DISCHARGE V800/discharge CURRENT");
                TimelineEntry discharge = entries.get(2);
                assertThat(discharge.getAction()).isEqualTo(Action.NEW);
                assertThat(discharge.getOccurredAt()).isEqualTo(secondDischarge);
                assertThat(entries).filteredOn(e -> e.getType() == EventType.ADMISSION).hasSize(1);

                HospitalSpell spell = page.summary().getSpells().get(0);
                assertThat(spell.getSpellId()).isEqualTo("V800");
                assertThat(spell.getTransfers()).as("the transfer was cancelled").isZero();
                assertThat(spell.getCurrentWard()).isEqualTo("WARD 7");
                assertThat(spell.getDischargedAt()).isEqualTo(secondDischarge);
                assertThat(spell.getDischargeDestination()).isEqualTo("CARE_HOME");
            }
        }
    }

    private static boolean discharged(TimelinePage page) {
        return !page.summary().getSpells().isEmpty() && page.summary().getSpells().get(0).getDischargedAt() != null
                && page.entries().stream().anyMatch(e -> e.getType() == EventType.DISCHARGE
                && e.getStatus() == EntryStatus.CURRENT && e.getOccurredAt().isAfter(
                page.summary().getSpells().get(0).getAdmittedAt().plusSeconds(8000)));
    }

    private static Optional<TimelinePage> page(TimelineApplication app) {
        return app.queries().page(new TimelineQuery(NHS, null, null, null, 0, 1000, true));
    }

    private static AdtMessageBuilder inpatient(String trigger, String id, Instant at) {
        return adt(trigger, id, at).facility("RJ1").nhsNumber(NHS).localId("40844444", "MRENTR")
                .visitNumber("V800").location("WARD 7", "ST THOMAS");
    }
}
