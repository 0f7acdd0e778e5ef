package org.caretrail.it.consumers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.caretrail.consumers.replay.Replay;
import org.caretrail.consumers.replay.ReplayFormat;
import org.caretrail.consumers.replay.ReplayOptions;
import org.caretrail.consumers.replay.ReplaySummary;
import org.caretrail.consumers.subscriptions.DeliveryConfig;
import org.caretrail.consumers.subscriptions.DeliveryService;
import org.caretrail.consumers.subscriptions.StartPoint;
import org.caretrail.consumers.subscriptions.SubscriptionRequest;
import org.caretrail.consumers.subscriptions.SubscriptionStore;
import org.caretrail.consumers.subscriptions.WebhookSigner;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.topic.Topics;
import org.caretrail.it.RealInfrastructure;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Throughput of webhook delivery to a local receiver and of replay to Parquet, on the real broker
 * and registry. Runs only when asked:
 * {@code mvn -o -pl deploy -am test -Dgroups=integration -Dtest=ConsumersBenchmarkIT
 * -Dsurefire.failIfNoSpecifiedTests=false -Dcaretrail.bench=true [-Dcaretrail.bench.changes=N -Dcaretrail.bench.events=N]}
 */
@Tag("integration")
@EnabledIfSystemProperty(named = "caretrail.bench", matches = "true")
class ConsumersBenchmarkIT {

    private static final Logger LOG = LoggerFactory.getLogger(ConsumersBenchmarkIT.class);

    @TempDir
    Path dir;

    @Test
    void deliveriesPerSecondToALocalReceiver() throws Exception {
        int changes = Integer.getInteger("caretrail.bench.changes", 10_000);
        Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        Set<String> received = ConcurrentHashMap.newKeySet();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 100);
        receiver.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            received.add(exchange.getRequestHeaders().getFirst(WebhookSigner.DELIVERY_ID_HEADER));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.start();
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker();
                KafkaProducer<String, TimelineChange> producer = new KafkaProducer<>(Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                        ProducerConfig.LINGER_MS_CONFIG, 20), topics.timelineChanges().keySerde().serializer(),
                        topics.timelineChanges().valueSerde().serializer())) {
            // only what the broker acknowledged counts (a new broker on a busy machine can refuse a few sends)
            java.util.concurrent.atomic.AtomicInteger acked = new java.util.concurrent.atomic.AtomicInteger();
            for (int i = 0; i < changes; i++) {
                String patient = TestChanges.patient(i % 500);
                producer.send(new ProducerRecord<>(CareTopics.TIMELINE_CHANGES, patient,
                        TestChanges.change(patient, i, EventType.APPOINTMENT, "RJ1", "A81001", Sensitivity.NORMAL)),
                        (metadata, e) -> {
                            if (e == null) {
                                acked.incrementAndGet();
                            }
                        });
            }
            producer.flush();
            int expected = acked.get();
            LOG.info("BENCH {} of {} changes acknowledged by the broker", expected, changes);
            DeliveryConfig config = DeliveryConfig.defaults(broker.bootstrapServers())
                    .withCallbackPolicy(org.caretrail.consumers.webhook.CallbackPolicy.allowing(
                            java.util.List.of("127.0.0.1")))
                    .withSecretKeys(org.caretrail.consumers.subscriptions.SecretKeyRing.generate());
            SubscriptionStore store = new SubscriptionStore(Map.of("bootstrap.servers", broker.bootstrapServers()),
                    config.secretKeys());
            store.start();
            DeliveryService delivery = new DeliveryService(store, topics, config);
            delivery.start();
            try {
                long started = System.nanoTime();
                var subscription = store.create(new SubscriptionRequest(java.net.URI.create("http://127.0.0.1:"
                        + receiver.getAddress().getPort() + "/hook"), null, null, null, false, false,
                        StartPoint.EARLIEST, null, null), new org.caretrail.consumers.subscriptions.SubscriptionOwner(
                        "bench", null, java.util.Set.of(org.caretrail.events.access.Role.SUBSCRIBER_ADMIN)));
                long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
                long lastLog = System.nanoTime();
                while (received.size() < expected && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                    if (System.nanoTime() - lastLog > 5e9) {
                        lastLog = System.nanoTime();
                        LOG.info("BENCH progress: {} of {} received; {}", received.size(), expected,
                                delivery.status(subscription.id()));
                    }
                }
                double seconds = (System.nanoTime() - started) / 1e9;
                LOG.info("BENCH delivery: {} changes delivered to a local receiver in {} s = {} deliveries/s",
                        expected, String.format("%.2f", seconds), String.format("%.0f", expected / seconds));
                assertThat(received).hasSize(expected);
            } finally {
                delivery.stop();
                store.stop();
            }
        } finally {
            receiver.stop(0);
        }
    }

    @Test
    void replayEventsPerSecondToParquet() throws Exception {
        int events = Integer.getInteger("caretrail.bench.events", 100_000);
        Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        Instant base = Instant.parse("2026-11-20T08:00:00Z");
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker();
                KafkaProducer<String, byte[]> producer = ReplayIT.producer(broker.bootstrapServers())) {
            java.util.concurrent.atomic.AtomicInteger acked = new java.util.concurrent.atomic.AtomicInteger();
            for (int i = 0; i < events; i++) {
                String patient = TestChanges.patient(i % 1000);
                Instant at = base.plusMillis(i);
                ReplayIT.publish(producer, topics, i % 2 == 0 ? ReplayIT.admission(patient, at)
                        : ReplayIT.discharge(patient, at), at, acked);
            }
            producer.flush();
            LOG.info("BENCH {} of {} events acknowledged by the broker", acked.get(), events);
            // one thread (as before the replay shared its work out), then the default: the same reads, two figures
            for (int threads : new java.util.LinkedHashSet<>(List.of(1, Replay.THREADS))) {
                Path out = dir.resolve("bench-" + threads + ".parquet");
                ReplaySummary summary = new Replay(Map.of("bootstrap.servers", broker.bootstrapServers()), topics)
                        .withThreads(threads)
                        .run(ReplayOptions.of(List.of("care.admissions", "care.discharges"), base.minusSeconds(1),
                                base.plusSeconds(3600), ReplayFormat.PARQUET, out)
                                .pseudonymised(ReplayIT.KEY), p -> { });
                LOG.info("BENCH replay ({} thread(s)): {} events to pseudonymised Parquet in {} s = {} events/s ({} "
                                + "bytes)", threads, summary.written(),
                        String.format("%.2f", summary.elapsed().toMillis() / 1000.0),
                        String.format("%.0f", summary.eventsPerSecond()), java.nio.file.Files.size(out));
                assertThat(summary.written()).isEqualTo(acked.get());
            }
        }
    }
}
