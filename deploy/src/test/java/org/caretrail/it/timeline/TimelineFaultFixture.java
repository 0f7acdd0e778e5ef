package org.caretrail.it.timeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.it.RealInfrastructure;
import org.caretrail.timeline.TimelineApplication;
import org.caretrail.timeline.TimelineSettings;
import org.caretrail.timeline.query.TimelineApi;

/**
 * The real broker and registry, a raw producer (a third-party producer writes whatever bytes it likes), and
 * the timeline application with its HTTP API, for the fault tests of the timeline. One broker per test class.
 */
final class TimelineFaultFixture implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger SEED = new AtomicInteger(600);

    final EmbeddedKafkaBroker broker;
    final Topics topics;
    final KafkaProducer<byte[], byte[]> producer;
    private final HttpClient http = HttpClient.newHttpClient();

    TimelineFaultFixture() {
        broker = RealInfrastructure.newBroker();
        topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        producer = new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers(), "acks", "all"),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Settings of a new application (its own id and state directory) on this broker. */
    TimelineSettings settings(String name) throws IOException {
        Path state = Files.createTempDirectory(Path.of("target"), "timeline-state-");
        return TimelineSettings.defaults()
                .with(TimelineSettings.APPLICATION_ID, name + "-" + UUID.randomUUID())
                .with(TimelineSettings.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .with(TimelineSettings.STATE_DIR, state)
                .with(TimelineSettings.TIMELINE_EMIT_INTERVAL, Duration.ofMillis(200));
    }

    /** A running application and its API on a free loopback port. */
    record Running(TimelineApplication app, HttpServer server) implements AutoCloseable {
        String url(String nhs) {
            return "http://127.0.0.1:" + server.getAddress().getPort() + TimelineApi.PATH_PREFIX + nhs + "/timeline";
        }

        @Override
        public void close() {
            server.stop(0);
            app.close();
        }
    }

    Running start(TimelineSettings settings) throws Exception {
        TimelineApplication app = new TimelineApplication(settings, topics);
        app.start();
        if (!app.awaitRunning(Duration.ofSeconds(120))) {
            app.close();
            throw new IllegalStateException("not RUNNING within 120 s: " + app.health());
        }
        return serve(app);
    }

    /**
     * A started application and its API, without waiting for it to be RUNNING: for an application that may
     * fail before it ever is (its input topics are shared with this class's other tests, and a thread that
     * fails on their events can use up its restart budget before the client is ever RUNNING).
     */
    Running startWithoutWaiting(TimelineSettings settings) throws Exception {
        TimelineApplication app = new TimelineApplication(settings, topics);
        app.start();
        return serve(app);
    }

    private static Running serve(TimelineApplication app) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext(TimelineApi.PATH_PREFIX, app.api());
        server.start();
        return new Running(app, server);
    }

    /** The Confluent-framed bytes of an event, as a producer with the registry writes them. */
    byte[] bytes(SpecificRecord event) {
        var topic = topics.events(CareEventType.of(event));
        return topic.valueSerde().serializer().serialize(topic.name(), event);
    }

    void send(SpecificRecord... events) throws Exception {
        for (SpecificRecord e : events) {
            sendBytes(CareEventType.of(e).topic(), CareEvents.patientKey(e), bytes(e), null);
        }
    }

    void sendBytes(String topic, String key, byte[] value, Headers headers) throws Exception {
        producer.send(new ProducerRecord<>(topic, null, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value, headers)).get();
    }

    HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    JsonNode page(String url) throws Exception {
        HttpResponse<String> r = get(url);
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    }

    /** Every committed record of {@code topic} matching {@code filter}, reading until at least {@code atLeast}. */
    List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int atLeast,
            Predicate<ConsumerRecord<byte[], byte[]>> filter, Duration within) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * 1024 * 1024),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.currentTimeMillis() + within.toMillis();
            int emptyPolls = 0;
            while (System.currentTimeMillis() < deadline && (out.size() < atLeast || emptyPolls < 3)) {
                var records = consumer.poll(Duration.ofMillis(500));
                emptyPolls = records.isEmpty() ? emptyPolls + 1 : 0;
                records.forEach(r -> {
                    if (filter.test(r)) {
                        out.add(r);
                    }
                });
            }
        }
        return out;
    }

    static String header(ConsumerRecord<?, ?> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    static String key(ConsumerRecord<byte[], byte[]> r) {
        return r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
    }

    /** A synthetic NHS number no other test of this run uses. */
    static String newPatient() {
        while (true) {
            var n = NhsNumber.withCheckDigit(String.format("999%06d", SEED.getAndIncrement()
                    + (int) (Math.random() * 300_000)));
            if (n.isPresent()) {
                return n.get().value();
            }
        }
    }

    static Instant daysAgo(int days) {
        return Instant.now().minus(Duration.ofDays(days)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    }

    @Override
    public void close() {
        producer.close();
        broker.close();
    }
}
