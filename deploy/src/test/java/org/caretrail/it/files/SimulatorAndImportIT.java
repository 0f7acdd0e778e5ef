package org.caretrail.it.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.it.RealInfrastructure;
import org.caretrail.producers.files.FileImporter;
import org.caretrail.producers.files.ImportFormat;
import org.caretrail.producers.files.ImportResult;
import org.caretrail.producers.files.RejectedRow;
import org.caretrail.producers.publisher.CarePublisher;
import org.caretrail.producers.simulator.EventSink;
import org.caretrail.producers.simulator.PopulationSimulator;
import org.caretrail.producers.simulator.SimulationRunner;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The simulator and the file importer against the real broker and the real registry: what they
 * report as accepted is exactly what is on the topics, readable with the registry's schemas.
 */
@Tag("integration")
class SimulatorAndImportIT {

    @TempDir
    Path dir;

    @Test
    void simulatedAndImportedEventsLandOnTheirTopicsExactlyAsAcknowledged() throws IOException {
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker();
             CarePublisher publisher = CarePublisher.connect(broker.bootstrapServers(),
                     RealInfrastructure.registryUrl())) {
            // the simulator, through the publisher sink
            PopulationSimulator simulator = new PopulationSimulator(2026, 300, Clock.systemUTC());
            List<SpecificRecord> simulated = simulator.events().toList();
            SimulationRunner.Result run = new SimulationRunner(EventSink.publisher(publisher),
                    SimulationRunner.Settings.unlimited(), null).run(simulated.stream());
            assertThat(run.failed()).as(run.firstFailures().toString()).isZero();
            assertThat(run.acknowledged()).isEqualTo(simulated.size());
            System.out.printf("simulator -> real broker: %d events in %d ms = %.0f events/s%n", run.acknowledged(),
                    run.elapsed().toMillis(), run.eventsPerSecond());

            // a JSON-lines file: another population plus two bad lines
            Path jsonl = dir.resolve("more.jsonl");
            List<SpecificRecord> fromFile = new PopulationSimulator(7, 50, Clock.systemUTC()).events().toList();
            try (Writer out = Files.newBufferedWriter(jsonl)) {
                out.write("{\"type\":\"admission\",\"header\":{}}\n");
                for (SpecificRecord event : fromFile) {
                    out.write(CareEventJson.toEventJsonLine(event) + "\n");
                }
                out.write("not json at all\n");
            }
            ImportResult jsonResult = FileImporter.importFile(jsonl, ImportFormat.JSON_LINES, Optional.empty(),
                    publisher, null);
            assertThat(jsonResult.accepted()).isEqualTo(fromFile.size());
            assertThat(jsonResult.rejectedRows()).extracting(RejectedRow::line)
                    .containsExactly(1L, fromFile.size() + 2L);

            // a CSV file of social care packages, one with a bad NHS number
            Path csv = dir.resolve("packages.csv");
            Files.writeString(csv, String.join("\n",
                    "nhsNumber,odsCode,sourceName,providerKind,subjectId,occurredAt,kind,description,hoursPerWeek",
                    "9912003888,LA901,Shire County Council,SOCIAL_CARE,PKG-1,2026-11-01T10:00:00Z,PACKAGE_START,"
                            + "Home care twice daily,14",
                    "9912003889,LA901,Shire County Council,SOCIAL_CARE,PKG-2,2026-11-02T10:00:00Z,PACKAGE_START,,7",
                    ""));
            ImportResult csvResult = FileImporter.importFile(csv, ImportFormat.CSV,
                    Optional.of(CareEventType.SOCIAL_CARE), publisher, null);
            assertThat(csvResult.accepted()).isEqualTo(1);
            assertThat(csvResult.rejectedRows()).singleElement().extracting(RejectedRow::line).isEqualTo(3L);
            assertThat(Files.readAllLines(dir.resolve("packages.rejected.csv"))).hasSize(2);

            // what is on the topics is what was acknowledged
            List<SpecificRecord> expected = new ArrayList<>(simulated);
            expected.addAll(fromFile);
            Map<CareEventType, Integer> expectedCounts = new EnumMap<>(CareEventType.class);
            expected.forEach(e -> expectedCounts.merge(CareEventType.of(e), 1, Integer::sum));
            expectedCounts.merge(CareEventType.SOCIAL_CARE, 1, Integer::sum);

            List<ConsumerRecord<String, SpecificRecord>> read = readAll(broker.bootstrapServers(),
                    expected.size() + 1);
            Map<CareEventType, Integer> readCounts = new EnumMap<>(CareEventType.class);
            Map<String, String> byEventId = new HashMap<>();
            for (ConsumerRecord<String, SpecificRecord> record : read) {
                readCounts.merge(CareEventType.of(record.value()), 1, Integer::sum);
                assertThat(record.key()).isEqualTo(CareEvents.patientKey(record.value()));
                byEventId.put(CareEvents.header(record.value()).getEventId(),
                        CareEventJson.toEventJsonLine(record.value()));
            }
            assertThat(readCounts).isEqualTo(expectedCounts);
            for (SpecificRecord event : expected) {
                assertThat(byEventId.get(CareEvents.header(event).getEventId()))
                        .isEqualTo(CareEventJson.toEventJsonLine(event));
            }
        }
    }

    @Test
    void benchmarkTrafficThroughputOnTheRealBroker() {
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker();
             CarePublisher publisher = CarePublisher.connect(broker.bootstrapServers(),
                     RealInfrastructure.registryUrl())) {
            // warm up: schemas registered, metadata fetched, JIT
            new SimulationRunner(EventSink.publisher(publisher), SimulationRunner.Settings.unlimited(), null)
                    .run(new PopulationSimulator(1, 200, Clock.systemUTC(),
                            org.caretrail.producers.simulator.SimulationProfile.BENCHMARK).events());
            List<SpecificRecord> events = new PopulationSimulator(2, 8_000, Clock.systemUTC(),
                    org.caretrail.producers.simulator.SimulationProfile.BENCHMARK).events().toList();
            SimulationRunner.Result result = new SimulationRunner(EventSink.publisher(publisher),
                    SimulationRunner.Settings.unlimited(), null).run(events.stream());
            assertThat(result.failed()).isZero();
            assertThat(result.acknowledged()).isEqualTo(events.size());
            System.out.printf("benchmark profile -> real broker (acks=all, pre-generated): %d events in %d ms = %.0f"
                    + " events/s%n", result.acknowledged(), result.elapsed().toMillis(), result.eventsPerSecond());
        }
    }

    private static List<ConsumerRecord<String, SpecificRecord>> readAll(String bootstrap, int expected) {
        Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "simulator-import-it");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<String, SpecificRecord>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(Arrays.stream(CareEventType.values()).map(CareEventType::topic).toList());
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (records.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    CareEventType type = CareEventType.byTopic(r.topic()).orElseThrow();
                    SpecificRecord value = topics.events(type).valueSerde().deserializer().deserialize(r.topic(),
                            r.value());
                    records.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.key(), value));
                }
            }
            // anything beyond what was acknowledged would show up here as a count mismatch
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofSeconds(2))) {
                records.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.key(), null));
            }
        }
        return records;
    }

    // ------------------------------------------------------------ the caretrail publish and import commands

    /** Runs {@code caretrail ARGS} in this JVM; returns the exit code, and stdout then stderr. */
    private static CliRun caretrail(String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cli = org.caretrail.deploy.cli.CareTrail.commandLine();
        cli.setOut(new java.io.PrintWriter(out));
        cli.setErr(new java.io.PrintWriter(err));
        int exit = cli.execute(args);
        return new CliRun(exit, out.toString(), err.toString());
    }

    private record CliRun(int exit, String out, String err) {
    }

    private static List<ConsumerRecord<String, SpecificRecord>> admissions(String bootstrap, int atLeast) {
        return readAll(bootstrap, atLeast).stream()
                .filter(r -> r.value() instanceof org.caretrail.events.model.Admission).toList();
    }

    @Test
    void publishAndImportPutAHyphenatedNhsNumberOnTheOneTimelineKey() throws IOException {
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker()) {
            String[] connection = {"--bootstrap-servers", broker.bootstrapServers(), "--schema-registry-url",
                    RealInfrastructure.registryUrl()};
            Path jsonl = dir.resolve("hyphen.jsonl");
            Files.writeString(jsonl, "{\"type\":\"admission\",\"header\":{\"eventId\":\"5e7e0000-0000-4000-8000-00000000f001\","
                    + "\"action\":\"NEW\",\"subjectId\":\"SPELL-PUBLISH\",\"version\":1,"
                    + "\"occurredAt\":\"2026-11-20T09:15:00Z\",\"recordedAt\":\"2026-11-20T09:15:30Z\","
                    + "\"source\":{\"odsCode\":\"RX1\",\"name\":null,\"kind\":\"ACUTE\",\"system\":null},"
                    + "\"patient\":{\"nhsNumber\":\"999-000-1006\",\"localId\":null}},\"ward\":\"AMU\"}\n");
            CliRun published = caretrail(concat(new String[] {"publish", jsonl.toString()}, connection));
            assertThat(published.exit()).as(published.err()).isZero();

            Path csv = dir.resolve("hyphen.csv");
            Files.writeString(csv, "nhsNumber,odsCode,providerKind,subjectId,occurredAt,ward\n"
                    + "999-000-1006,RX1,ACUTE,SPELL-IMPORT,2026-11-20T10:15:00Z,Ward 7\n");
            CliRun imported = caretrail(concat(new String[] {"import", csv.toString(), "--kind", "admission"},
                    connection));
            assertThat(imported.exit()).as(imported.err()).isZero();
            assertThat(imported.out()).contains("1 published, 0 rejected");

            List<ConsumerRecord<String, SpecificRecord>> read = admissions(broker.bootstrapServers(), 2);
            assertThat(read).extracting(r -> CareEvents.header(r.value()).getSubjectId())
                    .containsExactlyInAnyOrder("SPELL-PUBLISH", "SPELL-IMPORT");
            assertThat(read).allSatisfy(r -> {
                assertThat(r.key()).isEqualTo("9990001006");
                assertThat(CareEvents.header(r.value()).getPatient().getNhsNumber()).isEqualTo("9990001006");
            });
        }
    }

    @Test
    void importNamesAGiantLineAndAGzBombStopsItKeepingWhatWasAcknowledged() throws IOException {
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker()) {
            String[] connection = {"--bootstrap-servers", broker.bootstrapServers(), "--schema-registry-url",
                    RealInfrastructure.registryUrl()};
            List<String> good = new PopulationSimulator(9, 40, Clock.systemUTC(),
                    org.caretrail.producers.simulator.SimulationProfile.BENCHMARK).events()
                    .filter(e -> e instanceof org.caretrail.events.model.Admission).limit(4)
                    .map(CareEventJson::toEventJsonLine).toList();

            Path giant = dir.resolve("giant.jsonl");
            Files.writeString(giant, good.get(0) + "\n" + good.get(1) + "\n{\"type\":\"admission\",\"ward\":\""
                    + "W".repeat(5_000_000) + "\"}\n" + good.get(2) + "\n");
            CliRun lines = caretrail(concat(new String[] {"import", giant.toString()}, connection));
            assertThat(lines.exit()).isEqualTo(3);
            assertThat(lines.err()).contains(giant + ":3: rejected: longer than 64 KiB (5000030 bytes): rejected");
            assertThat(lines.out()).contains("3 published, 1 rejected (4 lines read)");

            Path bomb = dir.resolve("bomb.jsonl.gz");
            try (java.io.OutputStream out = Files.newOutputStream(bomb)) {
                out.write(gzip((good.get(3) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8), 0));
                byte[] member = gzip(new byte[0], 64 << 20);
                for (int i = 0; i < 32; i++) {
                    out.write(member); // 2 GiB of one line, from about 2 MB
                }
            }
            CliRun bombed = caretrail(concat(new String[] {"import", bomb.toString()}, connection));
            assertThat(bombed.exit()).as(bombed.err()).isEqualTo(4);
            assertThat(bombed.err()).contains(bomb + ": stopped after line 1: the file decompresses to more than 200"
                    + " times its compressed size").contains("--max-compression-ratio");
            assertThat(bombed.out()).contains("1 published, 0 rejected");

            List<ConsumerRecord<String, SpecificRecord>> read = admissions(broker.bootstrapServers(), 4);
            assertThat(read).extracting(r -> CareEventJson.toEventJsonLine(r.value()))
                    .as("every acknowledged line, the one before the bomb included").containsExactlyInAnyOrderElementsOf(good);
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private static byte[] gzip(byte[] prefix, int filler) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(bytes, 1 << 16)) {
            gz.write(prefix);
            byte[] xs = new byte[1 << 20];
            Arrays.fill(xs, (byte) 'x');
            for (int written = 0; written < filler; written += xs.length) {
                gz.write(xs);
            }
        }
        return bytes.toByteArray();
    }
}
