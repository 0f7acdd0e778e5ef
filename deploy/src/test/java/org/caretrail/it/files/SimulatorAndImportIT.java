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
}
