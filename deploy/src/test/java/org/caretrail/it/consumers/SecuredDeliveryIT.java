package org.caretrail.it.consumers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.caretrail.consumers.subscriptions.DeliveryConfig;
import org.caretrail.consumers.subscriptions.SecretKeyRing;
import org.caretrail.consumers.subscriptions.SubscriptionApi;
import org.caretrail.consumers.subscriptions.Subscriptions;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.CarePrincipal;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.topic.Topics;
import org.caretrail.it.RealInfrastructure;
import org.caretrail.it.kafkasecurity.SecuredKafka;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Subscriptions and webhook delivery on a secured broker, connected as their own principal only
 * ({@code caretrail-subscriptions}): the store reads and writes {@code care.subscriptions}, a delivery worker's
 * consumer group ({@code caretrail-delivery-<id>}) reads {@code care.timeline-changes}, and every delivery is
 * recorded on {@code care.deliveries}. Any missing ACL would stop one of these, so a change written by the
 * stream processor's principal arriving at a real receiver shows all of them.
 */
@Tag("integration")
class SecuredDeliveryIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aChangeIsDeliveredAndAuditedUnderTheSubscriptionsPrincipal() throws Exception {
        List<String> received = new CopyOnWriteArrayList<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            received.add(new String(exchange.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.start();
        Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        try (SecuredKafka kafka = SecuredKafka.start()) {
            DeliveryConfig config = DeliveryConfig.defaults(kafka.bootstrapServers())
                    .withKafka(kafka.as(CarePrincipal.SUBSCRIPTIONS).config())
                    .withCallbackPolicy(WebhookDeliveryIT.LOOPBACK_ALLOWED)
                    .withSecretKeys(SecretKeyRing.generate());
            Subscriptions subscriptions = new Subscriptions(config, topics);
            subscriptions.start();
            HttpServer api = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            api.createContext(SubscriptionApi.PATH, TestGuard.byToken(WebhookDeliveryIT.CALLERS, subscriptions.handler()));
            api.start();
            try {
                String base = "http://127.0.0.1:" + api.getAddress().getPort();
                HttpResponse<String> created = HTTP.send(HttpRequest.newBuilder(URI.create(base + SubscriptionApi.PATH))
                        .header("Content-Type", "application/json")
                        .header("Authorization", "Bearer " + WebhookDeliveryIT.ADMIN)
                        .POST(HttpRequest.BodyPublishers.ofString("{\"callbackUrl\":\"http://127.0.0.1:"
                                + receiver.getAddress().getPort() + "/hook\",\"startFrom\":\"earliest\"}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
                String id = JSON.readTree(created.body()).get("id").asText();

                // the stream processor's principal writes the change, as it does in the platform
                TimelineChange change = TestChanges.change(TestChanges.patient(1), 1, EventType.REFERRAL, "RJ1", null,
                        Sensitivity.NORMAL);
                try (KafkaProducer<String, TimelineChange> producer = new KafkaProducer<>(
                        kafka.as(CarePrincipal.TIMELINE).config(), topics.timelineChanges().keySerde().serializer(),
                        topics.timelineChanges().valueSerde().serializer())) {
                    producer.send(new ProducerRecord<>(CareTopics.TIMELINE_CHANGES, change.getNhsNumber(), change))
                            .get(30, TimeUnit.SECONDS);
                }
                await().atMost(Duration.ofSeconds(90)).until(() -> received.size() >= 1);
                assertThat(received.get(0)).contains(TestChanges.patient(1));

                // the delivery is on care.deliveries (read by the operator: nobody else may)
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(deliveries(kafka))
                        .anySatisfy(d -> assertThat(d.get("outcome").asText()).isEqualTo("DELIVERED")));
                assertThat(deliveries(kafka)).allSatisfy(d -> assertThat(d.get("deliveryId").asText()).startsWith(id));
            } finally {
                api.stop(0);
                subscriptions.close();
            }
        } finally {
            receiver.stop(0);
        }
    }

    private static List<JsonNode> deliveries(SecuredKafka kafka) throws Exception {
        List<JsonNode> found = new java.util.ArrayList<>();
        Map<String, Object> config = kafka.as(CarePrincipal.ADMIN).config();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = c.partitionsFor(CareTopics.DELIVERIES).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            c.assign(partitions);
            c.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = c.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < deadline && partitions.stream().anyMatch(p -> c.position(p) < ends.get(p))) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    found.add(JSON.readTree(r.value()));
                }
            }
        }
        return found;
    }
}
