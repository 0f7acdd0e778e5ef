package org.caretrail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.caretrail.deploy.cli.CareTrail;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.events.CareEvents;
import org.caretrail.events.serde.AvroSerde;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.model.Admission;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code caretrail publish} against the real broker and registry. */
@Tag("integration")
class PublishCommandIT {

    @Test
    void publishesTheValidLinesAndNamesEachInvalidOne() throws Exception {
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker()) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cli = CareTrail.commandLine();
            cli.setOut(new PrintWriter(out));
            cli.setErr(new PrintWriter(err));
            Path file = Path.of("../examples/mixed-valid-and-invalid.jsonl");

            int exit = cli.execute("publish", file.toString(), "--bootstrap-servers", broker.bootstrapServers(),
                    "--schema-registry-url", RealInfrastructure.registryUrl());

            assertThat(exit).isEqualTo(3);
            assertThat(out.toString()).contains("3 published, 3 rejected (6 lines read)");
            assertThat(err.toString())
                    .contains(file + ":2: rejected: header.patient.nhsNumber:")
                    .contains(file + ":4: rejected: not JSON")
                    .contains(file + ":5: rejected: spellId is required")
                    .doesNotContain(":1:", ":3:", ":6:");

            List<Admission> admissions = new ArrayList<>();
            AvroSerde<Admission> serde = AvroSerde.of(Admission.class, new RestSchemaRegistry(RealInfrastructure.registryUrl()));
            try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                    ConsumerConfig.GROUP_ID_CONFIG, "publish-it",
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new ByteArrayDeserializer())) {
                consumer.subscribe(Set.of("care.admissions"));
                long deadline = System.currentTimeMillis() + 30_000;
                while (admissions.isEmpty() && System.currentTimeMillis() < deadline) {
                    consumer.poll(Duration.ofMillis(500)).forEach(r -> {
                        Admission a = serde.deserialize(r.topic(), r.value());
                        assertThat(r.key()).isEqualTo(CareEvents.patientKey(a));
                        admissions.add(a);
                    });
                }
            }
            assertThat(admissions).singleElement()
                    .satisfies(a -> assertThat(a.getHeader().getPatient().getNhsNumber()).isEqualTo("9912003888"));
        }
    }
}
