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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.caretrail.consumers.subscriptions.Backoff;
import org.caretrail.consumers.subscriptions.DeliveryConfig;
import org.caretrail.consumers.subscriptions.DeliveryService;
import org.caretrail.consumers.subscriptions.SubscriptionApi;
import org.caretrail.consumers.subscriptions.SubscriptionStore;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.consumers.subscriptions.SecretKeyRing;
import org.caretrail.consumers.webhook.CallbackPolicy;
import org.caretrail.deploy.infra.Ports;
import org.caretrail.events.access.Caller;
import org.caretrail.events.access.Role;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.topic.Topics;
import org.caretrail.it.RealInfrastructure;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Subscriptions on the real broker and registry: created through the HTTP API, delivered to a
 * real HTTP receiver that is stopped and restarted in the middle of the stream.
 */
@Tag("integration")
class WebhookDeliveryIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int PATIENTS = 6;
    /** A subscriber admin (a GP hub's integration account), and one also granted RESTRICTED entries. */
    static final String ADMIN = "admin-token";
    static final String RESTRICTED_ADMIN = "restricted-admin-token";
    static final Map<String, Caller> CALLERS = Map.of(
            ADMIN, TestGuard.caller("hub-integration", Role.SUBSCRIBER_ADMIN),
            RESTRICTED_ADMIN, TestGuard.caller("hub-restricted", Role.SUBSCRIBER_ADMIN, Role.RESTRICTED_ACCESS));
    /** The test's receivers are on this machine: the operator's allow-list names loopback. */
    static final CallbackPolicy LOOPBACK_ALLOWED = CallbackPolicy.allowing(List.of("127.0.0.1"));

    /** The platform side: store, delivery and the API on a JDK HTTP server, as the lead mounts them. */
    private record Platform(SubscriptionStore store, DeliveryService delivery, HttpServer api) implements AutoCloseable {
        static Platform start(String bootstrap, Topics topics, DeliveryConfig config) throws Exception {
            SubscriptionStore store = new SubscriptionStore(Map.of("bootstrap.servers", bootstrap), config.secretKeys());
            store.start();
            DeliveryService delivery = new DeliveryService(store, topics, config);
            delivery.start();
            HttpServer api = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            api.createContext(SubscriptionApi.PATH, TestGuard.byToken(CALLERS,
                    new SubscriptionApi(store, delivery, config)));
            api.start();
            return new Platform(store, delivery, api);
        }

        String url(String path) {
            return "http://127.0.0.1:" + api.getAddress().getPort() + path;
        }

        @Override
        public void close() {
            api.stop(0);
            delivery.stop();
            store.stop();
        }
    }

    private static JsonNode post(String url, String json) throws Exception {
        return post(url, json, ADMIN);
    }

    private static JsonNode post(String url, String json, String token) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return JSON.readTree(response.body());
    }

    private static HttpRequest.Builder as(String token, String url) {
        return HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token);
    }

    private static JsonNode get(String url) throws Exception {
        return get(url, ADMIN);
    }

    private static JsonNode get(String url, String token) throws Exception {
        HttpResponse<String> response = HTTP.send(as(token, url).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static KafkaProducer<String, TimelineChange> producer(String bootstrap, Topics topics) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1),
                topics.timelineChanges().keySerde().serializer(),
                topics.timelineChanges().valueSerde().serializer());
    }

    /** Sends the changes in order and waits until the broker has every one. */
    private static void send(KafkaProducer<String, TimelineChange> producer, List<TimelineChange> changes)
            throws Exception {
        List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
        changes.forEach(c -> sent.add(producer.send(new ProducerRecord<>(CareTopics.TIMELINE_CHANGES, c.getNhsNumber(), c))));
        producer.flush();
        for (java.util.concurrent.Future<?> s : sent) {
            s.get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /** Changes seq from..to-1 for every patient; patient 0 is registered at A81001, the others at B82002. */
    private static List<TimelineChange> changes(int from, int to) {
        List<TimelineChange> changes = new ArrayList<>();
        for (int seq = from; seq < to; seq++) {
            for (int p = 0; p < PATIENTS; p++) {
                EventType type = switch (seq % 4) {
                    case 0 -> EventType.ADMISSION;
                    case 1 -> EventType.REFERRAL;
                    case 2 -> EventType.DISCHARGE;
                    default -> EventType.PRESCRIPTION;
                };
                Sensitivity sensitivity = seq % 10 == 7 ? Sensitivity.RESTRICTED : Sensitivity.NORMAL;
                changes.add(TestChanges.change(TestChanges.patient(p), seq, type, "RJ1", p == 0 ? "A81001" : "B82002",
                        sensitivity));
            }
        }
        return changes;
    }

    @Test
    void aReceiverStoppedAndRestartedMidStreamGetsEveryChangeInOrderPerPatient() throws Exception {
        Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        DeliveryConfig config = DeliveryConfig.defaults("unused")
                .withBackoff(new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1)))
                .withParkAfter(Duration.ofHours(1))
                .withRequestTimeout(Duration.ofSeconds(2))
                .withCallbackPolicy(LOOPBACK_ALLOWED)
                .withSecretKeys(SecretKeyRing.generate());
        Map<String, String> secrets = new ConcurrentHashMap<>();
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker();
                WebhookReceiver receiver = new WebhookReceiver(Ports.free(), secrets);
                KafkaProducer<String, TimelineChange> producer = producer(broker.bootstrapServers(), topics)) {
            DeliveryConfig onBroker = config.withKafka(Map.of("bootstrap.servers", broker.bootstrapServers()));
            receiver.start();
            var platform = new java.util.concurrent.atomic.AtomicReference<>(Platform.start(broker.bootstrapServers(), topics, onBroker));
            try {
                // given: everything-but-restricted, and GP notifications for practice A81001, RESTRICTED included,
                // created by a subscriber admin who holds RESTRICTED_ACCESS
                JsonNode all = post(platform.get().url(SubscriptionApi.PATH), "{\"callbackUrl\":\"" + receiver.url("/all")
                        + "\",\"startFrom\":\"earliest\"}");
                JsonNode gp = post(platform.get().url(SubscriptionApi.PATH), "{\"callbackUrl\":\"" + receiver.url("/gp")
                        + "\",\"gpNotifications\":true,\"allowRestricted\":true,"
                        + "\"filters\":{\"registeredPractice\":\"A81001\"},\"startFrom\":\"earliest\"}",
                        RESTRICTED_ADMIN);
                JsonNode fhir = post(platform.get().url(SubscriptionApi.PATH), "{\"callbackUrl\":\""
                        + receiver.url("/fhir") + "\",\"payload\":\"fhir-r4\",\"eventTypes\":[\"referral\"],"
                        + "\"startFrom\":\"earliest\"}");
                String allId = all.get("id").asText();
                String gpId = gp.get("id").asText();
                String fhirId = fhir.get("id").asText();
                secrets.put(allId, all.get("secret").asText());
                secrets.put(gpId, gp.get("secret").asText());
                secrets.put(fhirId, fhir.get("secret").asText());
                assertThat(get(platform.get().url(SubscriptionApi.PATH + "/" + allId)).has("secret")).isFalse();

                // when: a first part is delivered, then the receiver goes down while more changes arrive
                send(producer, changes(0, 20));
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> WebhookReceiver.firstSeenOrder(receiver.receivedFor(allId)).values().stream()
                                .mapToInt(List::size).sum() >= 20 * PATIENTS * 9 / 10 - 5);
                receiver.stop();
                send(producer, changes(20, 50));
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    JsonNode status = get(platform.get().url(SubscriptionApi.PATH + "/" + allId)).get("delivery");
                    assertThat(status.get("state").asText()).isEqualTo("RETRYING");
                    assertThat(status.get("lastError").asText()).isEqualTo("connection refused");
                    assertThat(status.get("lag").asLong()).isPositive();
                });
                // the platform restarts too while the receiver is down: positions are in Kafka, not in memory
                platform.get().close();
                platform.set(Platform.start(broker.bootstrapServers(), topics, onBroker));
                Thread.sleep(2_000);
                receiver.start();
                send(producer, changes(50, 60));

                // then: every change, in order per patient, signed; RESTRICTED ones only where allowed
                List<TimelineChange> expected = changes(0, 60);
                Map<String, List<Integer>> expectedOrder = new HashMap<>();
                expected.stream().filter(c -> c.getEntry().getSensitivity() == Sensitivity.NORMAL)
                        .forEach(c -> expectedOrder.computeIfAbsent(c.getNhsNumber(), k -> new ArrayList<>())
                                .add(Integer.parseInt(c.getEntry().getDetails().get("seq"))));
                await().atMost(Duration.ofSeconds(90)).untilAsserted(() ->
                        assertThat(WebhookReceiver.firstSeenOrder(receiver.receivedFor(allId)))
                                .isEqualTo(expectedOrder));
                assertThat(receiver.received()).allMatch(WebhookReceiver.Received::signatureValid);
                assertThat(receiver.receivedFor(allId))
                        .noneMatch(r -> r.body().at("/change/entry/sensitivity").asText().equals("RESTRICTED"));

                // GP notifications: admissions and discharges of the patient at A81001, restricted included
                List<Integer> gpExpected = IntStream.range(0, 60).filter(s -> s % 4 == 0 || s % 4 == 2).boxed().toList();
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                        assertThat(WebhookReceiver.firstSeenOrder(receiver.receivedFor(gpId)))
                                .containsOnlyKeys(TestChanges.patient(0))
                                .containsEntry(TestChanges.patient(0), gpExpected));
                assertThat(receiver.receivedFor(gpId)).allSatisfy(r -> {
                    assertThat(r.body().at("/gpNotification/practiceOdsCode").asText()).isEqualTo("A81001");
                    assertThat(r.body().at("/gpNotification/reason").asText()).isIn("ADMITTED", "DISCHARGED");
                });

                // the FHIR subscription: referrals only, as R4 notification Bundles, in order per patient
                Map<String, List<Integer>> referrals = new HashMap<>();
                expectedOrder.forEach((patient, seqs) -> referrals.put(patient,
                        seqs.stream().filter(s -> s % 4 == 1).toList()));
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                        assertThat(WebhookReceiver.firstSeenOrder(receiver.receivedFor(fhirId))).isEqualTo(referrals));
                assertThat(receiver.receivedFor(fhirId)).allSatisfy(r -> {
                    assertThat(r.body().get("resourceType").asText()).isEqualTo("Bundle");
                    assertThat(r.body().at("/entry/1/resource/resourceType").asText()).isEqualTo("ServiceRequest");
                });

                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    JsonNode status = get(platform.get().url(SubscriptionApi.PATH + "/" + allId)).get("delivery");
                    assertThat(status.get("state").asText()).isEqualTo("ACTIVE");
                    assertThat(status.get("lag").asLong()).isZero();
                    assertThat(status.get("parkedCount").asLong()).isZero();
                });

                // and every delivery is on care.deliveries: who, what, which patient
                Map<String, JsonNode> audited = readDeliveries(broker.bootstrapServers());
                long normal = expected.stream().filter(c -> c.getEntry().getSensitivity() == Sensitivity.NORMAL).count();
                assertThat(audited.keySet().stream().filter(k -> k.startsWith(allId + ":")).count()).isEqualTo(normal);
                assertThat(audited.keySet().stream().filter(k -> k.startsWith(gpId + ":")).count())
                        .isEqualTo(gpExpected.size());
                JsonNode one = audited.get(allId + ":" + TestChanges.patient(3) + "-5:ADDED");
                assertThat(one.get("outcome").asText()).isEqualTo("DELIVERED");
                assertThat(one.get("nhsNumber").asText()).isEqualTo(TestChanges.patient(3));
                assertThat(one.get("callbackUrl").asText()).isEqualTo(receiver.url("/all"));

                // deleting stops delivery; only its owner may
                assertThat(HTTP.send(as(ADMIN, platform.get().url(SubscriptionApi.PATH + "/" + gpId)).DELETE().build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
                HttpResponse<String> deleted = HTTP.send(as(RESTRICTED_ADMIN,
                        platform.get().url(SubscriptionApi.PATH + "/" + gpId)).DELETE().build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(deleted.statusCode()).isEqualTo(204);
                assertThat(HTTP.send(as(RESTRICTED_ADMIN, platform.get().url(SubscriptionApi.PATH + "/" + gpId))
                        .GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
                // and its position is forgotten: no consumer group left behind
                try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                        Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(admin.listConsumerGroups()
                            .all().get(10, java.util.concurrent.TimeUnit.SECONDS))
                            .extracting(org.apache.kafka.clients.admin.ConsumerGroupListing::groupId)
                            .doesNotContain(config.consumerGroupPrefix() + gpId)
                            .contains(config.consumerGroupPrefix() + allId));
                }
            } finally {
                platform.get().close();
            }
        }
    }

    @Test
    void changesFailingLongerThanParkAfterAreParkedAndShownByTheApi() throws Exception {
        Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker();
                KafkaProducer<String, TimelineChange> producer = producer(broker.bootstrapServers(), topics)) {
            HttpServer failing = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            java.util.concurrent.atomic.AtomicBoolean receiverUp = new java.util.concurrent.atomic.AtomicBoolean();
            List<String> receivedIds = new java.util.concurrent.CopyOnWriteArrayList<>();
            failing.createContext("/", exchange -> {
                exchange.getRequestBody().readAllBytes();
                if (receiverUp.get()) {
                    receivedIds.add(exchange.getRequestHeaders().getFirst(
                            org.caretrail.consumers.subscriptions.WebhookSigner.DELIVERY_ID_HEADER));
                    exchange.sendResponseHeaders(204, -1);
                } else {
                    exchange.sendResponseHeaders(503, -1);
                }
                exchange.close();
            });
            failing.start();
            DeliveryConfig config = DeliveryConfig.defaults(broker.bootstrapServers())
                    .withBackoff(new Backoff(Duration.ofMillis(100), Duration.ofMillis(400)))
                    .withParkAfter(Duration.ofSeconds(1))
                    .withCallbackPolicy(LOOPBACK_ALLOWED)
                    .withSecretKeys(SecretKeyRing.generate());
            try (Platform platform = Platform.start(broker.bootstrapServers(), topics, config)) {
                // the API names what is wrong
                HttpResponse<String> bad = HTTP.send(as(ADMIN, platform.url(SubscriptionApi.PATH))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"callbackUrl\":\"http://x/y\",\"eventTypes\":[\"lunch\"]}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(bad.statusCode()).isEqualTo(400);
                assertThat(bad.body()).contains("unknown event type 'lunch'");
                assertThat(HTTP.send(as(ADMIN, platform.url(SubscriptionApi.PATH + "/nope"))
                        .GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
                assertThat(HTTP.send(as(ADMIN, platform.url(SubscriptionApi.PATH))
                        .PUT(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString())
                        .statusCode()).isEqualTo(405);

                JsonNode created = post(platform.url(SubscriptionApi.PATH), "{\"callbackUrl\":\"http://127.0.0.1:"
                        + failing.getAddress().getPort() + "/down\",\"startFrom\":\"earliest\"}");
                String id = created.get("id").asText();
                send(producer, List.of(TestChanges.change(TestChanges.patient(1), 1, EventType.REFERRAL, "RJ1", null,
                        Sensitivity.NORMAL), TestChanges.change(TestChanges.patient(1), 2, EventType.APPOINTMENT, "RJ1",
                        null, Sensitivity.NORMAL)));

                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    JsonNode status = get(platform.url(SubscriptionApi.PATH + "/" + id)).get("delivery");
                    assertThat(status.get("parkedCount").asLong()).isEqualTo(2);
                    assertThat(status.get("parked")).hasSize(2);
                    assertThat(status.get("lastError").asText()).contains("HTTP 503");
                    assertThat(status.get("lag").asLong()).isZero();
                });
                JsonNode parked = get(platform.url(SubscriptionApi.PATH + "/" + id)).at("/delivery/parked/0");
                assertThat(parked.get("deliveryId").asText()).isEqualTo(id + ":" + TestChanges.patient(1) + "-2:ADDED");
                assertThat(parked.get("attempts").asInt()).isGreaterThan(1);
                Map<String, JsonNode> audited = readDeliveries(broker.bootstrapServers());
                assertThat(audited.values()).extracting(n -> n.get("outcome").asText()).containsOnly("PARKED");
                assertThat(audited).hasSize(2);
            }
            // the dead-letter record survives a restart of CareTrail
            try (Platform platform = Platform.start(broker.bootstrapServers(), topics, config)) {
                JsonNode all = get(platform.url(SubscriptionApi.PATH));
                JsonNode delivery = all.at("/subscriptions/0/delivery");
                assertThat(delivery.get("parkedCount").asLong()).isEqualTo(2);
                assertThat(delivery.get("parked")).hasSize(2);
                assertThat(delivery.at("/parked/0/error").asText()).contains("HTTP 503");
                String id = all.at("/subscriptions/0/id").asText();

                // the receiver is fixed: the parked changes are asked for again, and arrive
                String redeliver = platform.url(SubscriptionApi.PATH + "/" + id + "/redeliver");
                assertThat(postStatus(redeliver, "{\"from\":\"yesterday\"}")).isEqualTo(400);
                assertThat(postStatus(platform.url(SubscriptionApi.PATH + "/nope/redeliver"), "{\"parked\":true}"))
                        .isEqualTo(404);
                receiverUp.set(true);
                HttpResponse<String> response = HTTP.send(as(ADMIN, redeliver)
                        .POST(HttpRequest.BodyPublishers.ofString("{\"parked\":true}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
                JsonNode accepted = JSON.readTree(response.body());
                assertThat(accepted.get("redeliverFrom").asText())
                        .isEqualTo(delivery.at("/parked/1/changedAt").asText());
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(receivedIds)
                        .containsExactly(id + ":" + TestChanges.patient(1) + "-1:ADDED",
                                id + ":" + TestChanges.patient(1) + "-2:ADDED"));
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    JsonNode status = get(platform.url(SubscriptionApi.PATH + "/" + id)).get("delivery");
                    assertThat(status.get("delivered").asLong()).isEqualTo(2);
                    assertThat(status.get("lag").asLong()).isZero();
                });
                assertThat(readDeliveries(broker.bootstrapServers()).values())
                        .extracting(n -> n.get("outcome").asText()).containsOnly("DELIVERED");
            } finally {
                failing.stop(0);
            }
        }
    }

    private static int postStatus(String url, String body) throws Exception {
        return HTTP.send(as(ADMIN, url).POST(HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    /** care.deliveries, read to its end: delivery id to the last record about it. */
    private static Map<String, JsonNode> readDeliveries(String bootstrap) throws Exception {
        Map<String, JsonNode> byId = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(CareTopics.DELIVERIES).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    JsonNode node = JSON.readTree(record.value());
                    byId.put(node.get("deliveryId").asText(), node);
                }
            }
        }
        return byId;
    }
}
