package org.caretrail.producers.hl7;

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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.errors.TimeoutException;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.EventHeader;
import org.caretrail.producers.support.MockPublisher;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** HAPI's own MLLP client against the listener; Kafka is a MockProducer here (the real broker: deploy's IT). */
class MllpAdapterTest {

    static final String NHS = AdtMapperTest.NHS;
    static final Instant T0 = Instant.parse("2026-11-20T09:00:00Z");

    private final HapiContext client = hapiClient();
    private MllpAdapter adapter;
    private Connection connection;

    /** A HAPI context with its own threads: closing one must not stop another's (the default pool is shared). */
    static HapiContext hapiClient() {
        HapiContext context = new DefaultHapiContext(java.util.concurrent.Executors.newCachedThreadPool());
        context.setValidationContext(ValidationContextFactory.noValidation());
        return context;
    }

    @AfterEach
    void stop() throws Exception {
        if (connection != null) {
            connection.close();
        }
        if (adapter != null) {
            adapter.close();
        }
        client.close();
    }

    private Connection connect(MockPublisher mock, Hl7Settings settings) throws Exception {
        adapter = new MllpAdapter(mock.publisher, settings.withPort(0)).start();
        connection = client.newClient("127.0.0.1", adapter.port(), false);
        connection.getInitiator().setTimeout(20, TimeUnit.SECONDS);
        return connection;
    }

    private Message send(String text) throws Exception {
        return connection.getInitiator().sendAndReceive(client.getPipeParser().parse(text));
    }

    private static String ackCode(Message ack) throws Exception {
        return new Terser(ack).get("/MSA-1");
    }

    private static String ackText(Message ack) throws Exception {
        return new Terser(ack).get("/MSA-3");
    }

    private AdtMessageBuilder inpatient(String trigger, String id, Instant at) {
        return adt(trigger, id, at).nhsNumber(NHS).localId("40800000", "MRENTR").visitNumber("V100")
                .location("WARD 7", "ST THOMAS");
    }

    @Test
    void admission_is_acknowledged_aa_after_publishing_and_a_resend_is_not_published_again() throws Exception {
        MockPublisher mock = new MockPublisher();
        connect(mock, Hl7Settings.defaults());
        String a01 = inpatient("A01", "MSG1", T0).build();

        Message ack = send(a01);
        assertThat(ackCode(ack)).isEqualTo("AA");
        assertThat(new Terser(ack).get("/MSA-2")).isEqualTo("MSG1");
        assertThat(mock.events()).hasSize(1);

        Message again = send(a01);
        assertThat(ackCode(again)).isEqualTo("AA");
        assertThat(ackText(again)).contains("duplicate");
        assertThat(mock.events()).as("published once").hasSize(1);
    }

    @Test
    void aa_waits_for_kafka_to_acknowledge_the_write() throws Exception {
        MockPublisher mock = new MockPublisher(false);
        connect(mock, Hl7Settings.defaults());
        CompletableFuture<Message> ack = CompletableFuture.supplyAsync(() -> {
            try {
                return send(inpatient("A01", "MSG2", T0).build());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> mock.producer.history().size() == 1);
        Thread.sleep(200);
        assertThat(ack).as("no ACK before Kafka acknowledged").isNotDone();
        mock.producer.completeNext();
        assertThat(ackCode(ack.get(10, TimeUnit.SECONDS))).isEqualTo("AA");
    }

    @Test
    void kafka_failure_is_answered_ar_so_the_sender_resends_and_the_resend_is_published() throws Exception {
        MockPublisher mock = new MockPublisher(false);
        connect(mock, Hl7Settings.defaults());
        String a01 = inpatient("A01", "MSG3", T0).build();
        CompletableFuture<Message> first = CompletableFuture.supplyAsync(() -> sendUnchecked(a01));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> mock.producer.history().size() == 1);
        mock.producer.errorNext(new TimeoutException("broker down"));
        Message ack = first.get(10, TimeUnit.SECONDS);
        assertThat(ackCode(ack)).isEqualTo("AR");
        assertThat(ackText(ack)).contains("Kafka did not acknowledge");

        CompletableFuture<Message> retry = CompletableFuture.supplyAsync(() -> sendUnchecked(a01));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> mock.producer.history().size() == 2);
        mock.producer.completeNext();
        assertThat(ackCode(retry.get(10, TimeUnit.SECONDS))).isEqualTo("AA");
    }

    private Message sendUnchecked(String text) {
        try {
            return send(text);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void invalid_content_is_ae_with_the_reason_and_goes_to_the_dead_letter_topic() throws Exception {
        MockPublisher mock = new MockPublisher();
        connect(mock, Hl7Settings.defaults());

        Message badNhs = send(inpatient("A01", "BAD1", T0).nhsNumber("9990000019").build());
        assertThat(ackCode(badNhs)).isEqualTo("AE");
        assertThat(ackText(badNhs)).contains("fails the Modulus 11 check");
        assertThat(badNhs.encode()).as("ERR segment").contains("ERR|").contains("Modulus 11");

        Message noPv1 = send(inpatient("A01", "BAD2", T0).withoutPv1().build());
        assertThat(ackCode(noPv1)).isEqualTo("AE");
        assertThat(ackText(noPv1)).contains("no PV1 segment");

        Message badDate = send(inpatient("A01", "BAD3", T0).build().replaceFirst("EVN\\|A01\\|[^|]*", "EVN|A01|yesterday"));
        assertThat(ackCode(badDate)).isEqualTo("AE");
        assertThat(ackText(badDate)).contains("EVN-2");

        assertThat(mock.events()).isEmpty();
        assertThat(mock.deadLetters()).hasSize(3);
        assertThat(MockPublisher.reason(mock.deadLetters().get(0))).startsWith("AE: ").contains("Modulus 11");
        assertThat(new String(mock.deadLetters().get(1).value())).contains("BAD2");
        assertThat(mock.deadLetters().get(2).key()).isEqualTo("RJ1|PAS|BAD3");
    }

    @Test
    void bytes_that_are_not_hl7_get_an_ar_built_by_hand_and_a_dead_letter() throws Exception {
        MockPublisher mock = new MockPublisher();
        adapter = new MllpAdapter(mock.publisher, Hl7Settings.defaults().withPort(0)).start();
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", adapter.port())) {
            socket.setSoTimeout(10_000);
            java.io.OutputStream out = socket.getOutputStream();
            out.write(0x0b);
            out.write("MSH|^~\\&|PAS|RJ1|CT|CT|20261120090000||ADT^A01|G1|P|2.5\rPID|||x\u0000\rZZZ".getBytes());
            out.write(new byte[] {0x1c, 0x0d});
            out.write(0x0b);
            out.write("this is not HL7".getBytes());
            out.write(new byte[] {0x1c, 0x0d});
            out.flush();
            java.io.InputStream in = socket.getInputStream();
            String first = readFrame(in);
            String second = readFrame(in);
            assertThat(second).startsWith("MSH|").contains("MSA|AR||message cannot be parsed");
            assertThat(first).contains("MSA|");
        }
        assertThat(mock.deadLetters()).extracting(r -> new String(r.value())).contains("this is not HL7");
    }

    private static String readFrame(java.io.InputStream in) throws java.io.IOException {
        StringBuilder s = new StringBuilder();
        int b;
        while ((b = in.read()) != 0x0b) {
            assertThat(b).isNotEqualTo(-1);
        }
        while ((b = in.read()) != 0x1c) {
            s.append((char) b);
        }
        in.read();
        return s.toString();
    }

    @Test
    void every_2x_version_is_acknowledged_in_its_own_version() throws Exception {
        MockPublisher mock = new MockPublisher();
        connect(mock, Hl7Settings.defaults());
        for (String version : List.of("2.2", "2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6")) {
            Message ack = send(inpatient("A01", "V" + version, T0).version(version).visitNumber("VV" + version).build());
            assertThat(ackCode(ack)).as(version).isEqualTo("AA");
            assertThat(new Terser(ack).get("/MSA-2")).isEqualTo("V" + version);
            assertThat(new Terser(ack).get("/MSH-12")).as("ACK version").isEqualTo(version);
        }
        assertThat(mock.events()).hasSize(7);
    }

    @Test
    void message_types_not_handled_are_ar() throws Exception {
        MockPublisher mock = new MockPublisher();
        connect(mock, Hl7Settings.defaults());
        String oru = "MSH|^~\\&|LAB|RJ1|CARETRAIL|CARETRAIL|20261120090000||ORU^R01^ORU_R01|LAB1|P|2.5\r"
                + "PID|||" + NHS + "^^^NHS^NH\r"
                + "OBR|1||X1|CBC\r";
        Message ack = send(oru);
        assertThat(ackCode(ack)).isEqualTo("AR");
        assertThat(ackText(ack)).contains("ORU^R01 is not handled");
        assertThat(MockPublisher.reason(mock.deadLetters().get(0))).startsWith("AR: ");
    }

    @Test
    void admit_transfer_cancel_transfer_discharge_cancel_discharge_discharge_is_published_in_order() throws Exception {
        MockPublisher mock = new MockPublisher();
        connect(mock, Hl7Settings.defaults());
        Instant transferAt = T0.plusSeconds(3600);
        List<String> messages = List.of(
                inpatient("A01", "S1", T0).build(),
                inpatient("A02", "S2", transferAt).location("WARD 9", "ST THOMAS").priorWard("WARD 7").build(),
                inpatient("A12", "S3", transferAt.plusSeconds(300)).build(),  // no EVN-6: the last transfer
                inpatient("A03", "S4", T0.plusSeconds(7200)).build(),
                inpatient("A13", "S5", T0.plusSeconds(7300)).build(),
                inpatient("A03", "S6", T0.plusSeconds(9000)).build());
        for (String m : messages) {
            assertThat(ackCode(send(m))).isEqualTo("AA");
        }
        List<EventHeader> headers = mock.events().stream().map(CareEvents::header).toList();
        assertThat(headers).extracting(h -> h.getAction() + " " + h.getSubjectId()).containsExactly(
                "NEW V100",
                "NEW V100/transfer/" + transferAt,
                "CANCEL V100/transfer/" + transferAt,
                "NEW V100/discharge",
                "CANCEL V100/discharge",
                "NEW V100/discharge");
        assertThat(headers).extracting(EventHeader::getVersion).isSorted();
        assertThat(headers.get(5).getAction()).isEqualTo(Action.NEW);
    }

    @Test
    void several_connections_are_served_in_parallel() throws Exception {
        MockPublisher mock = new MockPublisher();
        connect(mock, Hl7Settings.defaults());
        List<CompletableFuture<String>> results = new java.util.ArrayList<>();
        for (int c = 0; c < 4; c++) {
            int conn = c;
            results.add(CompletableFuture.supplyAsync(() -> {
                try (HapiContext own = hapiClient()) {
                    Connection cx = own.newClient("127.0.0.1", adapter.port(), false);
                    StringBuilder codes = new StringBuilder();
                    for (int i = 0; i < 10; i++) {
                        Message ack = cx.getInitiator().sendAndReceive(own.getPipeParser().parse(
                                inpatient("A01", "P" + conn + "-" + i, T0).visitNumber("V" + conn + i).build()));
                        codes.append(ackCode(ack)).append(' ');
                    }
                    cx.close();
                    return codes.toString().trim();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (CompletableFuture<String> r : results) {
            assertThat(r.get(30, TimeUnit.SECONDS).split(" ")).hasSize(10).containsOnly("AA");
        }
        assertThat(mock.events()).hasSize(40);
    }
}
