package org.caretrail.it.kafkasecurity;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.deploy.infra.Ports;
import org.caretrail.deploy.infra.TopicsApplier;
import org.caretrail.events.kafka.DurableProducer;
import org.caretrail.events.kafka.KafkaClientSettings;
import org.caretrail.events.topic.CarePrincipal;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * What TLS and SCRAM cost a CareTrail producer: the same durable producer (acks=all, idempotent, lz4, linger 5 ms)
 * sends the same records, as fast as it can, to a plain embedded broker and to a secured one, one after the other on
 * this machine. A measurement, printed, never asserted:
 * {@code mvn -o -q -pl deploy -am test -Dtest=KafkaSecurityCostRun -Dcaretrail.bench=true -Dsurefire.failIfNoSpecifiedTests=false}
 */
@Tag("integration")
@EnabledIfSystemProperty(named = "caretrail.bench", matches = "true")
class KafkaSecurityCostRun {

    private static final int RECORDS = Integer.getInteger("caretrail.bench.records", 1_000_000);
    private static final int RECORD_BYTES = 204;

    @Test
    void producerThroughputWithAndWithoutTlsAndScram() throws Exception {
        Path data = Files.createTempDirectory(Files.createDirectories(Path.of("target", "it-data")), "plain-kafka-");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(data, Ports.free(),
                System.getProperty("java.class.path"), Duration.ofSeconds(120));
             SecuredKafka kafka = SecuredKafka.start()) {
            new TopicsApplier(broker.bootstrapServers()).apply();
            KafkaClientSettings plainSettings = KafkaClientSettings.plaintext(broker.bootstrapServers());
            KafkaClientSettings securedSettings = kafka.as(CarePrincipal.ADAPTERS);
            // a first round warms the JIT (the first producer of a JVM is the slowest); both brokers run throughout
            run("warm-up plain", plainSettings, RECORDS / 5);
            run("warm-up TLS + SCRAM", securedSettings, RECORDS / 5);
            double secured = run("TLS + SCRAM", securedSettings, RECORDS);
            double plain = run("plain", plainSettings, RECORDS);
            double securedAgain = run("TLS + SCRAM again", securedSettings, RECORDS);
            double plainAgain = run("plain again", plainSettings, RECORDS);
            System.out.printf("TLS + SCRAM: %.0f%% of plain producer throughput (%.0f and %.0f vs %.0f and %.0f "
                    + "records/s); load %s%n", 100.0 * (secured + securedAgain) / (plain + plainAgain), secured,
                    securedAgain, plain, plainAgain, loadAverage());
        }
    }

    private static double run(String label, KafkaClientSettings kafka, int records) throws Exception {
        byte[] value = new byte[RECORD_BYTES];
        Random random = new Random(7);
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) ('a' + random.nextInt(26)); // text-like, as care events are
        }
        try (KafkaProducer<String, byte[]> producer = DurableProducer.create(kafka.config(), "bench-" + label.length(),
                new StringSerializer(), new ByteArraySerializer())) {
            // warm up: connections, metadata, the producer id
            producer.send(new ProducerRecord<>("care.admissions", "warm-up", value)).get(60, TimeUnit.SECONDS);
            long start = System.nanoTime();
            List<Future<RecordMetadata>> last = new ArrayList<>();
            for (int i = 0; i < records; i++) {
                Future<RecordMetadata> f = producer.send(new ProducerRecord<>("care.admissions", "99900" + (i % 10_000), value));
                if (i >= records - 1000) {
                    last.add(f);
                }
            }
            for (Future<RecordMetadata> f : last) {
                f.get(120, TimeUnit.SECONDS);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double rate = records / seconds;
            System.out.printf("%s: %,d records of %d bytes in %.1f s: %,.0f records/s (load %s)%n", label, records,
                    RECORD_BYTES, seconds, rate, loadAverage());
            return rate;
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
