package org.caretrail.it.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.caretrail.it.timeline.TimelineFaultFixture.daysAgo;
import static org.caretrail.it.timeline.TimelineFaultFixture.header;
import static org.caretrail.it.timeline.TimelineFaultFixture.key;
import static org.caretrail.it.timeline.TimelineFaultFixture.newPatient;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.caretrail.events.CareEventLimits;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.Coding;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.Location;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;
import org.caretrail.events.model.Timeline;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.timeline.TimelineHealth;
import org.caretrail.timeline.TimelineSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 9 item 1 on the real broker and registry: one oversized event took every timeline offline, for ever.
 * What Kafka 4.3.1 does with a record too large inside a transaction; the issue's 460 KB ward; a patient whose
 * every event is at the field limits; a record still too large under exactly_once_v2; a thread that fails for
 * the same cause again and again.
 */
@Tag("integration")
@Tag("faults")
class TimelineOversizeIT {

    private static TimelineFaultFixture fx;

    @BeforeAll
    static void start() {
        fx = new TimelineFaultFixture();
    }

    @AfterAll
    static void stop() {
        if (fx != null) {
            fx.close();
        }
    }

    /**
     * The finding behind the design: in a transaction, a record the producer finds too large (over
     * max.request.size) fails its send with RecordTooLargeException AND leaves the transaction unable to commit
     * (KafkaProducer.doSend → TransactionManager.maybeTransitionToErrorState: an abortable error). A production
     * exception handler answering CONTINUE cannot save it; only a record refused before it reaches the producer
     * (a serialization error) can be replaced by a dead letter in the same transaction.
     */
    @Test
    void kafkaCannotCommitATransactionInWhichARecordWasTooLarge() throws Exception {
        String topic = "it.finding-" + UUID.randomUUID();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", fx.broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        try (KafkaProducer<byte[], byte[]> tx = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, fx.broker.bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "it-finding-" + UUID.randomUUID()),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            tx.initTransactions();
            tx.beginTransaction();
            tx.send(new ProducerRecord<>(topic, "small".getBytes())).get();
            Future<RecordMetadata> big = tx.send(new ProducerRecord<>(topic, new byte[1_400_000]));
            assertThatThrownBy(big::get).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(RecordTooLargeException.class);
            assertThatThrownBy(tx::commitTransaction).isInstanceOf(KafkaException.class);
            tx.abortTransaction();
        }
        assertThat(fx.readAll(topic, 0, r -> true, Duration.ofSeconds(5)))
                .as("nothing of the transaction is visible, the small record neither").isEmpty();
    }

    @Test
    void theIssuesOversizedWardIsDeadLetteredAndEveryOtherPatientIsServed() throws Exception {
        String victim = newPatient();
        String other = newPatient();
        Instant t0 = daysAgo(3);
        // a third-party producer writes the 460 KB ward straight to the topic (the ways in now refuse it)
        Admission huge = admission(victim, t0, "W".repeat(460 * 1024));
        fx.sendBytes("care.admissions", victim, fx.bytes(huge), null);
        fx.send(attendance(victim, t0.plusSeconds(60)), attendance(other, t0.plusSeconds(120)));
        try (TimelineFaultFixture.Running running = fx.start(fx.settings("it-oversize-ward"))) {
            JsonNode victimsPage = await().atMost(Duration.ofSeconds(90)).until(() -> fx.page(running.url(victim)),
                    p -> p != null && p.get("entries").size() == 1);
            assertThat(victimsPage.get("entries").get(0).get("type").asText()).isEqualTo("ATTENDANCE");
            assertThat(await().atMost(Duration.ofSeconds(30)).until(() -> fx.page(running.url(other)),
                    p -> p != null && p.get("entries").size() == 1)).isNotNull();
            List<ConsumerRecord<byte[], byte[]>> dead = fx.readAll(CareTopics.DEAD_LETTER, 1,
                    r -> victim.equals(key(r)), Duration.ofSeconds(30));
            assertThat(dead).singleElement().satisfies(r -> {
                assertThat(header(r, CareTopics.HEADER_REASON)).contains("ward is " + (460 * 1024)
                        + " characters long; the limit is " + CareEventLimits.MAX_TEXT_CHARS);
                assertThat(header(r, CareTopics.HEADER_SOURCE_TOPIC)).isEqualTo("care.admissions");
                assertThat(r.value()).isEqualTo(fx.bytes(huge));
            });
            assertThat(running.app().health().status()).isEqualTo(TimelineHealth.Status.UP);
        }
    }

    @Test
    void aPatientWhoseEventsAreAllAtTheFieldLimitsGetsTimelineRecordsWithinTheBudget() throws Exception {
        String patient = newPatient();
        Instant t0 = daysAgo(20);
        List<SpecificRecord> events = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            events.add(admissionAtTheLimits(patient, t0.plusSeconds(i * 3600L), i));
        }
        long total = events.stream().mapToLong(CareEventLimits::encodedSize).sum();
        assertThat(total).as("the issue's failure: together far over a record's 1 MB").isGreaterThan(1_000_000);
        fx.send(events.toArray(SpecificRecord[]::new));
        TimelineSettings settings = fx.settings("it-oversize-limits");
        try (TimelineFaultFixture.Running running = fx.start(settings)) {
            JsonNode page = await().atMost(Duration.ofSeconds(120)).until(() -> fx.page(running.url(patient)),
                    p -> p != null && p.path("summary").path("currentEntries").asInt() == 60);
            assertThat(page.path("entries")).hasSize(60);
            List<ConsumerRecord<byte[], byte[]>> records = fx.readAll(CareTopics.TIMELINES, 1,
                    r -> patient.equals(key(r)), Duration.ofSeconds(30));
            assertThat(records).isNotEmpty().allSatisfy(r -> assertThat(r.value().length)
                    .isLessThanOrEqualTo(settings.recordBudget() + 5));
            Timeline last = fx.topics.timelines().valueSerde().deserializer().deserialize(CareTopics.TIMELINES,
                    records.get(records.size() - 1).value());
            assertThat(last.getTruncated()).isTrue();
            assertThat(last.getSummary().getCurrentEntries()).isEqualTo(60);
            assertThat(last.getSummary().getOmitted()).isNotEmpty();
            assertThat(fx.readAll(CareTopics.DEAD_LETTER, 0, r -> patient.equals(key(r)), Duration.ofSeconds(5)))
                    .isEmpty();
            assertThat(running.app().health().status()).isEqualTo(TimelineHealth.Status.UP);
        }
    }

    @Test
    void aRecordStillTooLargeIsDeadLetteredUnderExactlyOnceAndThePipelineGoesOn() throws Exception {
        String big = newPatient();
        String after = newPatient();
        Instant t0 = daysAgo(10);
        List<SpecificRecord> events = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            events.add(admissionAtTheLimits(big, t0.plusSeconds(i * 3600L), i));
        }
        fx.send(events.toArray(SpecificRecord[]::new));
        // a budget above the backstop, so that the backstop is met (a budget is normally well below it)
        TimelineSettings settings = fx.settings("it-oversize-backstop")
                .with(TimelineSettings.RECORD_BUDGET, 200_000)
                .with(TimelineSettings.MAX_RECORD_BYTES, 60_000);
        assertThat(settings.get(TimelineSettings.PROCESSING_GUARANTEE)).isEqualTo("exactly_once_v2");
        try (TimelineFaultFixture.Running running = fx.start(settings)) {
            List<ConsumerRecord<byte[], byte[]>> dead = fx.readAll(CareTopics.DEAD_LETTER, 1,
                    r -> big.equals(key(r)), Duration.ofSeconds(90));
            assertThat(dead).isNotEmpty().allSatisfy(r -> assertThat(header(r, CareTopics.HEADER_REASON))
                    .contains("the output for care.timelines was not written").contains("the limit is 60000"));
            // the transaction went on and committed: later events are processed, the patient's changes written
            fx.send(attendance(after, t0.plusSeconds(7 * 3600L)));
            await().atMost(Duration.ofSeconds(60)).until(() -> fx.page(running.url(after)),
                    p -> p != null && p.get("entries").size() == 1);
            assertThat(fx.readAll(CareTopics.TIMELINES, 1, r -> after.equals(key(r)), Duration.ofSeconds(30)))
                    .isNotEmpty();
            assertThat(fx.readAll(CareTopics.TIMELINE_CHANGES, 6, r -> big.equals(key(r)), Duration.ofSeconds(30)))
                    .hasSize(6);
            TimelineHealth health = running.app().health();
            assertThat(health.status()).isEqualTo(TimelineHealth.Status.UP);
            assertThat(health.since()).as("no stream thread failed").isNull();
        }
    }

    @Test
    void aThreadFailingForTheSameCauseIsReplacedABoundedNumberOfTimesThenTheInstanceSaysItIsDown()
            throws Exception {
        // a timelines topic whose broker-side limit (max.message.bytes) is below any timeline record: every
        // transaction that writes one aborts, whatever the processor builds (the thread fails each time)
        String tiny = "it.timelines.tiny-" + UUID.randomUUID();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", fx.broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(tiny, CareTopics.PARTITIONS, (short) 1)
                    .configs(Map.of("max.message.bytes", "512")))).all().get();
        }
        String patient = newPatient();
        TimelineSettings settings = fx.settings("it-retry-budget")
                .with(TimelineSettings.TIMELINES_TOPIC, tiny)
                .with(TimelineSettings.THREAD_MAX_RESTARTS, 2);
        // not awaited RUNNING: this class's other tests left events on the shared input topics, and each makes a
        // timeline record too large here; a task processes as soon as it is restored, before the client says
        // RUNNING, so the thread can fail on them and use up its budget before RUNNING is ever seen (CI saw it)
        try (TimelineFaultFixture.Running running = fx.startWithoutWaiting(settings)) {
            fx.send(attendance(patient, daysAgo(1)));
            long started = System.nanoTime();
            // (replacement stream threads rethrow their failure to the JVM's handler: not a failure of this test)
            TimelineHealth down = await().dontCatchUncaughtExceptions().atMost(Duration.ofMinutes(4))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> running.app().health(), h -> h.status() == TimelineHealth.Status.DOWN);
            System.out.printf("FAULT retry budget: DOWN after %.1f s: %s%n", (System.nanoTime() - started) / 1e9,
                    down.cause());
            assertThat(down.cause()).contains("RecordTooLarge");
            assertThat(down.since()).isNotNull();
            // one instance: its stores closed with it, so the API says so (503), it does not hang or lie
            assertThat(fx.get(running.url(patient)).statusCode()).isEqualTo(503);
        }
    }

    // ---- events ----------------------------------------------------------------------------------------

    private static EventHeader eventHeader(String nhs, Instant at) {
        return EventHeader.newBuilder()
                .setEventId(UUID.randomUUID().toString()).setAction(Action.NEW)
                .setSubjectId("item-" + UUID.randomUUID()).setVersion(1).setOccurredAt(at)
                .setRecordedAt(at.plusSeconds(30)).setSource(new Source("RJ1", null, ProviderKind.ACUTE, "it"))
                .setPatient(PatientRef.newBuilder().setNhsNumber(nhs).build()).setSensitivity(Sensitivity.NORMAL)
                .build();
    }

    private static Attendance attendance(String nhs, Instant at) {
        return Attendance.newBuilder().setHeader(eventHeader(nhs, at)).setDepartment("ED").build();
    }

    private static Admission admission(String nhs, Instant at, String ward) {
        return Admission.newBuilder().setHeader(eventHeader(nhs, at)).setWard(ward).build();
    }

    /** An admission with every text at (or near) its limit, within the event's own limit. */
    static Admission admissionAtTheLimits(String nhs, Instant at, int i) {
        Admission a = admission(nhs, at, "AMU");
        for (int size = CareEventLimits.MAX_TEXT_CHARS; size > 0; size -= 50) {
            String s = ("Ward " + i + " " + "x".repeat(size)).substring(0, size);
            a.setWard(s);
            a.setSite(s);
            a.setSpecialty(s);
            a.setConsultant(s);
            a.setLocation(new Location(s, s, s, s, s, s));
            List<Coding> codes = new ArrayList<>();
            for (int c = 0; c < 20; c++) {
                codes.add(new Coding(s.substring(0, size / 4), "code" + c, s.substring(0, size / 4)));
            }
            a.setDiagnoses(codes);
            if (CareEventLimits.problems(a).isEmpty()) {
                return a;
            }
        }
        throw new IllegalStateException("cannot fit the admission");
    }

}
