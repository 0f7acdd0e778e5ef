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

    /** A listener over {@code mock}, its message log over an empty mock topic. */
    static MllpAdapter adapter(MockPublisher mock, Hl7Settings settings) {
        return new MllpAdapter(new Hl7Processor(mock.publisher, TestMessageLogs.empty(settings).log(), settings),
                settings);
    }

    private Connection connect(MockPublisher mock, Hl7Settings settings) throws Exception {
        adapter = adapter(mock, settings.withPort(0)).start();
        connection = client.newClient("127.0.0.1", adapter.port(), false);
        connection.getInitiator().setTimeout(20, TimeUnit.SECONDS);
        return connection;
    }

    private Message send(String text) throws Exception {
        return connection.getInitiator().sendAndReceive(client.getPipeParser().parse(text));
    }

    /** What the mock published, identity links left out (every PID-3 pairing NHS number and MRN gives one). */
    static List<org.apache.avro.specific.SpecificRecord> careEvents(MockPublisher mock) {
        return mock.events().stream().filter(e -> !(e instanceof org.caretrail.events.model.PatientIdentity)).toList();
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
        assertThat(mock.events()).as("the link and the admission").hasSize(2);

        Message again = send(a01);
        assertThat(ackCode(again)).isEqualTo("AA");
        assertThat(ackText(again)).contains("duplicate");
        assertThat(mock.events()).as("published once").hasSize(2);
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
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> mock.producer.history().size() == 2);
        Thread.sleep(200);
        assertThat(ack).as("no ACK before Kafka acknowledged").isNotDone();
        mock.producer.completeNext();
        Thread.sleep(200);
        assertThat(ack).as("no ACK before Kafka acknowledged every event").isNotDone();
        mock.producer.completeNext();
        assertThat(ackCode(ack.get(10, TimeUnit.SECONDS))).isEqualTo("AA");
    }

    @Test
    void kafka_failure_is_answered_ar_so_the_sender_resends_and_the_resend_is_published() throws Exception {
        MockPublisher mock = new MockPublisher(false);
        connect(mock, Hl7Settings.defaults());
        String a01 = inpatient("A01", "MSG3", T0).build();
        CompletableFuture<Message> first = CompletableFuture.supplyAsync(() -> sendUnchecked(a01));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> mock.producer.history().size() == 2);
        mock.producer.errorNext(new TimeoutException("broker down"));
        mock.producer.completeNext();
        Message ack = first.get(10, TimeUnit.SECONDS);
        assertThat(ackCode(ack)).isEqualTo("AR");
        assertThat(ackText(ack)).contains("Kafka did not acknowledge");

        CompletableFuture<Message> retry = CompletableFuture.supplyAsync(() -> sendUnchecked(a01));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> mock.producer.history().size() == 4);
        mock.producer.completeNext();
        mock.producer.completeNext();
        assertThat(ackCode(retry.get(10, TimeUnit.SECONDS))).isEqualTo("AA");
        assertThat(mock.events().subList(2, 4)).as("the resend publishes the same event ids")
                .extracting(e -> CareEvents.header(e).getEventId())
                .containsExactlyElementsOf(mock.events().subList(0, 2).stream()
                        .map(e -> CareEvents.header(e).getEventId()).toList());
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

        Message badDate = send(inpatient("A01", "BAD3", T0).build().replaceFirst("EVN\\|A01\\|[^|\r]*", "EVN|A01|yesterday"));
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
        adapter = MllpAdapterTest.adapter(mock, Hl7Settings.defaults().withPort(0)).start();
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
        assertThat(careEvents(mock)).hasSize(7);
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
        List<EventHeader> headers = careEvents(mock).stream().map(CareEvents::header).toList();
        assertThat(headers).extracting(h -> h.getAction() + " " + h.getSubjectId()).containsExactly(
                "NEW V100",
                "NEW V100/transfer/" + transferAt,
                "CANCEL V100/transfer/" + transferAt,
                "NEW V100/discharge",
                "CANCEL V100/discharge",
                "NEW V100/discharge");
        assertThat(headers).extracting(EventHeader::getVersion).isSorted();
        assertThat(headers.get(5).getAction()).isEqualTo(Action.NEW);
        assertThat(headers.get(2).getSupersedes()).as("the cancel names the transfer").isEqualTo(headers.get(1).getEventId());
        assertThat(headers.get(5).getSupersedes()).as("the new discharge names the cancel").isEqualTo(headers.get(4).getEventId());
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
        assertThat(careEvents(mock)).hasSize(40);
    }

    @Test
    void a_repeat_is_still_a_repeat_after_a_restart_because_the_memory_is_in_the_message_log() throws Exception {
        MockPublisher mock = new MockPublisher();
        Hl7Settings settings = Hl7Settings.defaults().withPort(0);
        TestMessageLogs.TestLog first = TestMessageLogs.empty(settings);
        String a01 = inpatient("A01", "RST1", T0).build();
        try (MllpAdapter one = new MllpAdapter(new Hl7Processor(mock.publisher, first.log(), settings), settings).start()) {
            adapter = null;
            try (HapiContext c = hapiClient()) {
                Connection cx = c.newClient("127.0.0.1", one.port(), false);
                assertThat(ackCode(cx.getInitiator().sendAndReceive(c.getPipeParser().parse(a01)))).isEqualTo("AA");
                cx.close();
            }
        }
        assertThat(mock.events()).hasSize(2);

        // another instance (or this one restarted) reads what the first wrote to the log
        TestMessageLogs.TestLog second = TestMessageLogs.restartedFrom(first.written(), settings);
        adapter = new MllpAdapter(new Hl7Processor(mock.publisher, second.log(), settings), settings).start();
        connection = client.newClient("127.0.0.1", adapter.port(), false);
        connection.getInitiator().setTimeout(20, TimeUnit.SECONDS);
        Message again = send(a01.replaceFirst("\\|2026\\d+\\+0000\\|\\|ADT", "|20261120093000+0000||ADT"));
        assertThat(ackCode(again)).isEqualTo("AA");
        assertThat(ackText(again)).as("MSH-7 re-stamped by the engine: still the same message").contains("duplicate");
        assertThat(mock.events()).as("nothing published again").hasSize(2);

        Message cancel = send(inpatient("A11", "RST2", T0.plusSeconds(60)).patientClass("O").build());
        assertThat(ackCode(cancel)).isEqualTo("AA");
        EventHeader cancelled = CareEvents.header(mock.events().get(2));
        assertThat(cancelled.getAction()).isEqualTo(Action.CANCEL);
        assertThat(cancelled.getSupersedes()).as("the restarted instance knows what the first one published")
                .isEqualTo(CareEvents.header(mock.events().get(1)).getEventId());
    }

    @Test
    void a_reused_control_id_with_different_content_is_published_acknowledged_and_counted() throws Exception {
        MockPublisher mock = new MockPublisher();
        connect(mock, Hl7Settings.defaults());
        assertThat(ackCode(send(inpatient("A01", "SAME-ID", T0).build()))).isEqualTo("AA");
        String otherPatient = inpatient("A01", "SAME-ID", T0).nhsNumber(AdtMapperTest.NHS_2)
                .localId("40800002", "MRENTR").visitNumber("V200").build();

        Message ack = send(otherPatient);

        assertThat(ackCode(ack)).isEqualTo("AA");
        assertThat(ackText(ack)).isNull();
        assertThat(careEvents(mock)).extracting(e -> CareEvents.header(e).getPatient().getNhsNumber())
                .containsExactly(NHS, AdtMapperTest.NHS_2);
        assertThat(careEvents(mock)).extracting(e -> CareEvents.header(e).getEventId()).doesNotHaveDuplicates();
        assertThat(adapter.processor().reusedControlIds()).isEqualTo(1);
    }

    @Test
    void a_producer_blocked_on_a_lost_broker_cannot_hold_the_sender_past_the_publish_timeout() throws Exception {
        // KafkaProducer.send blocks up to max.block.ms (60 s) fetching metadata when the broker is gone
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        org.apache.kafka.clients.producer.MockProducer<String, byte[]> blocking =
                new org.apache.kafka.clients.producer.MockProducer<>(true, null,
                        new org.apache.kafka.common.serialization.StringSerializer(),
                        new org.apache.kafka.common.serialization.ByteArraySerializer()) {
                    @Override
                    public synchronized java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata> send(
                            org.apache.kafka.clients.producer.ProducerRecord<String, byte[]> record,
                            org.apache.kafka.clients.producer.Callback callback) {
                        try {
                            release.await(60, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        throw new TimeoutException("Topic not present in metadata after 60000 ms.");
                    }
                };
        MockPublisher mock = new MockPublisher();
        org.caretrail.producers.publisher.CarePublisher publisher = new org.caretrail.producers.publisher.CarePublisher(
                blocking, mock.topics, new org.caretrail.events.CareEventValidator());
        Hl7Settings settings = Hl7Settings.defaults().withPort(0).withPublishTimeout(Duration.ofSeconds(2));
        adapter = new MllpAdapter(new Hl7Processor(publisher, TestMessageLogs.empty(settings).log(), settings),
                settings).start();
        connection = client.newClient("127.0.0.1", adapter.port(), false);
        connection.getInitiator().setTimeout(20, TimeUnit.SECONDS);
        try {
            long started = System.nanoTime();
            Message ack = send(inpatient("A01", "BLOCKED", T0).build());
            long waited = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
            assertThat(ackCode(ack)).isEqualTo("AR");
            assertThat(ackText(ack)).contains("Kafka did not acknowledge the write within 2 s; resend");
            assertThat(waited).as("answered within the sender's 20 s timeout, not after the producer's 60 s")
                    .isLessThan(20);

            Message invalid = send(inpatient("A01", "BLOCKED-BAD", T0).nhsNumber("9990000019").build());
            assertThat(ackCode(invalid)).as("the dead-letter write is bounded too").isEqualTo("AR");
            assertThat(ackText(invalid)).contains("could not record the rejection");
        } finally {
            release.countDown();
        }
    }
}
