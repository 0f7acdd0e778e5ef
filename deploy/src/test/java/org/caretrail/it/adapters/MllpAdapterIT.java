package org.caretrail.it.adapters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.producers.hl7.AdtMessageBuilder.adt;

import ca.uhn.hl7v2.DefaultHapiContext;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.app.Connection;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.util.Terser;
import ca.uhn.hl7v2.validation.impl.ValidationContextFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.topic.Topics;
import org.caretrail.it.RealInfrastructure;
import org.caretrail.producers.hl7.AdtMessageBuilder;
import org.caretrail.producers.hl7.Hl7Settings;
import org.caretrail.producers.hl7.MllpAdapter;
import org.caretrail.producers.hl7.PublishedItem;
import org.caretrail.producers.publisher.CarePublisher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * HAPI's own MLLP client (the peer a trust's interface engine is) against the MLLP listener,
 * publishing to the real broker with schemas in the real registry.
 */
@Tag("integration")
class MllpAdapterIT {

    static final String NHS = NhsNumber.withCheckDigit("999000011").orElseThrow().value();
    static final String NHS_OLD = NhsNumber.withCheckDigit("999000012").orElseThrow().value();
    static final Instant T0 = Instant.now().minus(2, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);

    static EmbeddedKafkaBroker broker;
    static CarePublisher publisher;
    static MllpAdapter adapter;
    static HapiContext hapi;
    static Connection connection;
    static Topics topics;

    @BeforeAll
    static void start() throws Exception {
        broker = RealInfrastructure.newBroker();
        topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        publisher = CarePublisher.connect(broker.bootstrapServers(), topics, "mllp-it");
        adapter = MllpAdapter.connect(publisher, broker.bootstrapServers(), Hl7Settings.defaults().withPort(0)).start();
        hapi = new DefaultHapiContext(Executors.newCachedThreadPool());
        hapi.setValidationContext(ValidationContextFactory.noValidation());
        connection = hapi.newClient("127.0.0.1", adapter.port(), false);
        connection.getInitiator().setTimeout(30, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        if (connection != null) {
            connection.close();
        }
        if (hapi != null) {
            hapi.close();
        }
        if (adapter != null) {
            adapter.close();
        }
        if (publisher != null) {
            publisher.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    private static Message send(String text) throws Exception {
        return connection.getInitiator().sendAndReceive(hapi.getPipeParser().parse(text));
    }

    private static String msa(Message ack, int field) throws Exception {
        return new Terser(ack).get("/MSA-" + field);
    }

    private static AdtMessageBuilder inpatient(String trigger, String id, Instant at, String spell) {
        return adt(trigger, id, at).facility("RJ1").nhsNumber(NHS).localId("40811111", "MRENTR")
                .visitNumber(spell).location("WARD 7", "ST THOMAS");
    }

    @Test
    void admit_transfer_cancel_transfer_discharge_cancel_discharge_discharge_with_a_duplicate() throws Exception {
        Instant transferAt = T0.plusSeconds(3600);
        List<String> messages = List.of(
                inpatient("A01", "SEQ1", T0, "V900").admissionType("21").build(),
                inpatient("A02", "SEQ2", transferAt, "V900").location("WARD 9", "ST THOMAS").priorWard("WARD 7").build(),
                inpatient("A12", "SEQ3", transferAt.plusSeconds(600), "V900").eventOccurred(transferAt)
                        .priorWard("WARD 9").build(),
                inpatient("A03", "SEQ4", T0.plusSeconds(7200), "V900").dischargeDisposition("19").build(),
                inpatient("A13", "SEQ5", T0.plusSeconds(7300), "V900").build(),
                inpatient("A03", "SEQ6", T0.plusSeconds(9000), "V900").dischargeDisposition("54").build());
        for (String m : messages) {
            Message ack = send(m);
            assertThat(msa(ack, 1)).as(msa(ack, 3)).isEqualTo("AA");
        }
        Message duplicate = send(messages.get(0));
        assertThat(msa(duplicate, 1)).isEqualTo("AA");
        assertThat(msa(duplicate, 3)).contains("duplicate");

        List<SpecificRecord> admissions = spell("V900", TopicReader.events(broker.bootstrapServers(), topics,
                CareEventType.ADMISSION, 1));
        assertThat(admissions).as("the admission, published once although sent twice").hasSize(1);

        List<String> transfers = describe(spell("V900/", TopicReader.events(broker.bootstrapServers(), topics,
                CareEventType.TRANSFER, 2)));
        assertThat(transfers).containsExactly("NEW V900/transfer/" + transferAt, "CANCEL V900/transfer/" + transferAt);

        List<SpecificRecord> discharges = spell("V900/", TopicReader.events(broker.bootstrapServers(), topics,
                CareEventType.DISCHARGE, 3));
        assertThat(describe(discharges)).containsExactly("NEW V900/discharge", "CANCEL V900/discharge",
                "NEW V900/discharge");
        assertThat(discharges).extracting(e -> CareEvents.header(e).getVersion()).isSorted();
        assertThat(discharges.get(2).get(discharges.get(2).getSchema().getField("destination").pos()))
                .isEqualTo("CARE_HOME");
    }

    @Test
    void invalid_content_is_ae_unhandled_types_ar_and_both_reach_the_dead_letter_topic() throws Exception {
        Message badNhs = send(inpatient("A01", "BAD-NHS", T0, "V901").nhsNumber("9990000113").build());
        assertThat(msa(badNhs, 1)).isEqualTo("AE");
        assertThat(msa(badNhs, 3)).contains("Modulus 11");

        Message noPv1 = send(inpatient("A01", "BAD-PV1", T0, "V902").withoutPv1().build());
        assertThat(msa(noPv1, 1)).isEqualTo("AE");
        assertThat(msa(noPv1, 3)).contains("no PV1 segment");

        Message badDate = send(inpatient("A03", "BAD-DATE", T0, "V903").build()
                .replaceFirst("EVN\\|A03\\|[^|\r]*", "EVN|A03|20261399"));
        assertThat(msa(badDate, 1)).isEqualTo("AE");
        assertThat(msa(badDate, 3)).contains("EVN-2");

        Message oru = send("MSH|^~\\&|LAB|RJ1|CARETRAIL|CARETRAIL|20261120090000||ORU^R01^ORU_R01|BAD-TYPE|P|2.5\r"
                + "PID|||" + NHS + "^^^NHS^NH\r");
        assertThat(msa(oru, 1)).isEqualTo("AR");
        assertThat(msa(oru, 3)).contains("not handled");

        List<ConsumerRecord<String, byte[]>> dead = TopicReader.readAll(broker.bootstrapServers(),
                CareTopics.DEAD_LETTER, 4, Duration.ofSeconds(20));
        assertThat(dead).extracting(ConsumerRecord::key)
                .contains("RJ1|PAS|BAD-NHS", "RJ1|PAS|BAD-PV1", "RJ1|PAS|BAD-DATE", "RJ1|LAB|BAD-TYPE");
        ConsumerRecord<String, byte[]> first = dead.stream().filter(r -> r.key().equals("RJ1|PAS|BAD-NHS"))
                .findFirst().orElseThrow();
        assertThat(new String(first.headers().lastHeader(CareTopics.HEADER_REASON).value(), StandardCharsets.UTF_8))
                .startsWith("AE: ").contains("Modulus 11");
        assertThat(new String(first.value(), StandardCharsets.UTF_8)).contains("9990000113");
        assertThat(spell("V901", TopicReader.events(broker.bootstrapServers(), topics, CareEventType.ADMISSION, 0)))
                .as("nothing published for the rejected admission").isEmpty();
    }

    @Test
    void a40_merge_and_a31_link_reach_the_identity_topic() throws Exception {
        Message link = send(adt("A31", "ID1", T0).nhsNumber(NHS).localId("40822222", "MRENTR").withoutPv1()
                .build());
        assertThat(msa(link, 1)).isEqualTo("AA");
        Message merge = send(adt("A40", "ID2", T0.plusSeconds(60)).nhsNumber(NHS).localId("40822222", "MRENTR")
                .merged("40833333^^^MRENTR^MEDREC").merged(NHS_OLD + "^^^NHS^NH").build());
        assertThat(msa(merge, 1)).as(msa(merge, 3)).isEqualTo("AA");

        List<PatientIdentity> identities = TopicReader.events(broker.bootstrapServers(), topics,
                        CareEventType.PATIENT_IDENTITY, 3).stream().map(PatientIdentity.class::cast)
                .filter(p -> p.getNhsNumber().equals(NHS)).toList();
        assertThat(identities).anySatisfy(p -> {
            assertThat(p.getKind()).isEqualTo(IdentityKind.MERGE);
            assertThat(p.getLocalId().getValue()).isEqualTo("40833333");
            assertThat(p.getSupersededNhsNumber()).isEqualTo(NHS_OLD);
        });
        assertThat(identities).filteredOn(p -> p.getKind() == IdentityKind.LINK)
                .extracting(p -> p.getLocalId().getValue()).contains("40822222");
    }

    @Test
    void the_message_log_in_kafka_is_shared_by_instances_and_survives_a_restart() throws Exception {
        String a01 = inpatient("A01", "LOG1", T0, "V950").build();
        assertThat(msa(send(a01), 1)).isEqualTo("AA");

        // a second instance (another pod, or this one restarted) reads the log at start
        try (MllpAdapter second = MllpAdapter.connect(publisher, broker.bootstrapServers(),
                Hl7Settings.defaults().withPort(0)).start();
             HapiContext own = new DefaultHapiContext(Executors.newCachedThreadPool())) {
            own.setValidationContext(ValidationContextFactory.noValidation());
            Connection other = own.newClient("127.0.0.1", second.port(), false);
            other.getInitiator().setTimeout(30, TimeUnit.SECONDS);
            String restamped = a01.replaceFirst("\\|\\d{14}\\+0000\\|\\|ADT", "|20991231235959+0000||ADT");
            assertThat(restamped).isNotEqualTo(a01);
            Message again = other.getInitiator().sendAndReceive(own.getPipeParser().parse(restamped));
            assertThat(msa(again, 1)).isEqualTo("AA");
            assertThat(msa(again, 3)).as("a resend with MSH-7 re-stamped, to another instance").contains("duplicate");

            Message cancel = other.getInitiator().sendAndReceive(own.getPipeParser().parse(
                    inpatient("A11", "LOG2", T0.plusSeconds(600), "V950").patientClass("O").build()));
            assertThat(msa(cancel, 1)).isEqualTo("AA");
            other.close();
        }
        List<SpecificRecord> admissions = spell("V950", TopicReader.events(broker.bootstrapServers(), topics,
                CareEventType.ADMISSION, 2));
        assertThat(describe(admissions)).containsExactly("NEW V950", "CANCEL V950");
        // and the first instance, still running, follows what the second one wrote
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(adapter.processor().messageLog().item(new PublishedItem.Key("RJ1", CareEventType.ADMISSION,
                        "V950"))).hasValueSatisfying(item -> assertThat(item.action()).isEqualTo(Action.CANCEL)));
        assertThat(CareEvents.header(admissions.get(1)).getSupersedes()).as("the other instance knew the A01")
                .isEqualTo(CareEvents.header(admissions.get(0)).getEventId());
    }

    @Test
    void a_reused_control_id_with_other_content_is_published_as_a_different_message() throws Exception {
        assertThat(msa(send(inpatient("A01", "REUSED", T0, "V960").build()), 1)).isEqualTo("AA");
        Message second = send(adt("A01", "REUSED", T0).facility("RJ1").nhsNumber(NHS_OLD)
                .localId("40866666", "MRENTR").visitNumber("V961").location("WARD 2", "ST THOMAS").build());
        assertThat(msa(second, 1)).isEqualTo("AA");
        List<SpecificRecord> admissions = TopicReader.events(broker.bootstrapServers(), topics,
                CareEventType.ADMISSION, 2).stream()
                .filter(e -> CareEvents.header(e).getSubjectId().startsWith("V96")).toList();
        assertThat(admissions).extracting(e -> CareEvents.header(e).getPatient().getNhsNumber())
                .containsExactlyInAnyOrder(NHS, NHS_OLD);
        assertThat(adapter.processor().reusedControlIds()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void a_back_dated_a12_carries_the_transfer_it_cancels_in_supersedes() throws Exception {
        Instant at1330 = T0.plusSeconds(13 * 3600 + 1800);
        Instant at1245 = T0.plusSeconds(12 * 3600 + 2700);
        assertThat(msa(send(inpatient("A01", "SK1", T0, "V970").build()), 1)).isEqualTo("AA");
        assertThat(msa(send(inpatient("A02", "SK2", at1330, "V970").location("WARD 9", "ST THOMAS")
                .priorWard("WARD 7").build()), 1)).isEqualTo("AA");
        assertThat(msa(send(inpatient("A12", "SK3", at1245, "V970").build()), 1)).isEqualTo("AA");
        List<SpecificRecord> transfers = spell("V970/", TopicReader.events(broker.bootstrapServers(), topics,
                CareEventType.TRANSFER, 2));
        assertThat(describe(transfers)).containsExactly("NEW V970/transfer/" + at1330, "CANCEL V970/transfer/" + at1330);
        EventHeader cancel = CareEvents.header(transfers.get(1));
        assertThat(cancel.getVersion()).isLessThan(CareEvents.header(transfers.get(0)).getVersion());
        assertThat(cancel.getSupersedes()).isEqualTo(CareEvents.header(transfers.get(0)).getEventId());
    }

    /**
     * A trust's PAS that puts its own name in MSH-4 ("St Thomas": not an ODS code, which is 3-10 upper-case letters
     * and digits) is answered AE by default; with {@code hl7.default-ods-code} set in the settings file the same
     * message is accepted and its events carry that organisation, over the real MLLP listener, broker and registry.
     */
    @Test
    void the_default_ods_code_from_the_settings_file_is_the_source_of_a_feed_whose_msh4_is_no_ods_code(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.util.function.Function<String, String> a01 = id -> adt("A01", id, T0).facility("St Thomas").nhsNumber(NHS)
                .localId("40811111", "MRENTR").visitNumber("V980").location("WARD 7", "ST THOMAS").build();
        Message refused = send(a01.apply("ODS1"));
        assertThat(msa(refused, 1)).as("no default organisation configured").isEqualTo("AE");
        assertThat(msa(refused, 3)).contains("MSH-4");

        java.nio.file.Path file = dir.resolve("caretrail.properties");
        java.nio.file.Files.writeString(file, "hl7.default-ods-code = RJ1\nhl7.organisation-name = Guy's and St "
                + "Thomas' NHS Foundation Trust\n");
        org.caretrail.events.settings.Settings resolved = org.caretrail.events.settings.Settings.resolve(
                Hl7Settings.DEFINITIONS, java.util.Map.of(), java.util.Map.of(),
                org.caretrail.events.settings.Settings.load(file), file.toString());
        try (MllpAdapter configured = MllpAdapter.connect(publisher, broker.bootstrapServers(),
                Hl7Settings.from(resolved).withPort(0)).start();
             HapiContext own = new DefaultHapiContext(Executors.newCachedThreadPool())) {
            own.setValidationContext(ValidationContextFactory.noValidation());
            Connection other = own.newClient("127.0.0.1", configured.port(), false);
            other.getInitiator().setTimeout(30, TimeUnit.SECONDS);
            Message accepted = other.getInitiator().sendAndReceive(own.getPipeParser().parse(a01.apply("ODS2")));
            assertThat(msa(accepted, 1)).as(msa(accepted, 3)).isEqualTo("AA");
            other.close();
        }
        List<SpecificRecord> admissions = spell("V980", TopicReader.events(broker.bootstrapServers(), topics,
                CareEventType.ADMISSION, 1));
        assertThat(admissions).hasSize(1);
        assertThat(CareEvents.header(admissions.get(0)).getSource().getOdsCode()).isEqualTo("RJ1");
        assertThat(CareEvents.header(admissions.get(0)).getSource().getName())
                .isEqualTo("Guy's and St Thomas' NHS Foundation Trust");
    }

    private static List<SpecificRecord> spell(String prefix, List<SpecificRecord> events) {
        return events.stream().filter(e -> CareEvents.header(e).getSubjectId().startsWith(prefix)).toList();
    }

    private static List<String> describe(List<SpecificRecord> events) {
        return events.stream().map(CareEvents::header).map(MllpAdapterIT::describe).toList();
    }

    private static String describe(EventHeader h) {
        return h.getAction() + " " + h.getSubjectId();
    }
}
