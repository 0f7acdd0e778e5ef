package org.caretrail.it.consumers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
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
import org.caretrail.consumers.subscriptions.SecretKeyRing;
import org.caretrail.consumers.subscriptions.SubscriptionApi;
import org.caretrail.consumers.subscriptions.SubscriptionStore;
import org.caretrail.consumers.subscriptions.Subscriptions;
import org.caretrail.consumers.webhook.CallbackPolicy;
import org.caretrail.deploy.http.ApiAccess;
import org.caretrail.deploy.http.PlatformHttpServer;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
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
 * The subscriptions API and webhook delivery tried as an attacker would, on the real broker and
 * registry with real HTTP receivers: callbacks at the platform's own services, the error text as a
 * port scanner, RESTRICTED entries a subscriber grants itself, other callers' subscriptions, and the
 * secrets in the subscriptions topic.
 */
@Tag("integration")
class WebhookSecurityIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String ADMIN = "admin-token";
    private static final String OTHER_ADMIN = "other-admin-token";
    private static final String RESTRICTED_ADMIN = "restricted-admin-token";
    private static final String CLINICIAN = "clinician-token";
    private static final Map<String, Caller> CALLERS = Map.of(
            ADMIN, TestGuard.caller("hub-integration", Role.SUBSCRIBER_ADMIN),
            OTHER_ADMIN, TestGuard.caller("other-trust-integration", Role.SUBSCRIBER_ADMIN),
            RESTRICTED_ADMIN, TestGuard.caller("hub-restricted", Role.SUBSCRIBER_ADMIN, Role.RESTRICTED_ACCESS),
            CLINICIAN, TestGuard.caller("dr-synthetic", Role.CLINICIAN, Role.RESTRICTED_ACCESS));
    /** What {@code lastError} may say: a fixed phrase, never an address, a port or a receiver's words. */
    private static final Pattern PUBLIC_ERROR = Pattern.compile("connection refused|timeout|host not found"
            + "|host unreachable|connection failed|no HTTP answer|invalid HTTP answer|TLS handshake failed"
            + "|callback address not allowed|HTTP [1-5][0-9][0-9]( \\(redirects are not followed\\))?");

    /** Store, delivery and API as the platform mounts them, behind the test's stand-in guard. */
    private record Platform(SubscriptionStore store, DeliveryService delivery, HttpServer api) implements AutoCloseable {
        static Platform start(DeliveryConfig config, Topics topics) throws Exception {
            SubscriptionStore store = new SubscriptionStore(config.kafka(), config.secretKeys());
            store.start();
            DeliveryService delivery = new DeliveryService(store, topics, config);
            delivery.start();
            HttpServer api = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            api.createContext(SubscriptionApi.PATH, TestGuard.byToken(CALLERS, new SubscriptionApi(store, delivery,
                    config)));
            api.start();
            return new Platform(store, delivery, api);
        }

        String url(String path) {
            return "http://127.0.0.1:" + api.getAddress().getPort() + SubscriptionApi.PATH + path;
        }

        @Override
        public void close() {
            api.stop(0);
            delivery.stop();
            store.stop();
        }
    }

    private static DeliveryConfig config(EmbeddedKafkaBroker broker, CallbackPolicy policy, SecretKeyRing keys) {
        return DeliveryConfig.defaults(broker.bootstrapServers())
                .withBackoff(new Backoff(Duration.ofMillis(200), Duration.ofSeconds(1)))
                .withRequestTimeout(Duration.ofSeconds(2))
                .withCallbackPolicy(policy)
                .withSecretKeys(keys);
    }

    private static HttpResponse<String> call(String method, String url, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode created(Platform platform, String token, String body) throws Exception {
        HttpResponse<String> response = call("POST", platform.url(""), token, body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return JSON.readTree(response.body());
    }

    private static int port(String hostAndPort) {
        String text = hostAndPort.contains("://") ? URI.create(hostAndPort).getAuthority() : hostAndPort;
        return Integer.parseInt(text.substring(text.lastIndexOf(':') + 1).replaceAll("/.*", ""));
    }

    private static KafkaProducer<String, TimelineChange> producer(String bootstrap, Topics topics) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG,
                "all"), topics.timelineChanges().keySerde().serializer(), topics.timelineChanges().valueSerde().serializer());
    }

    private static void send(KafkaProducer<String, TimelineChange> producer, List<TimelineChange> changes)
            throws Exception {
        for (TimelineChange change : changes) {
            producer.send(new ProducerRecord<>(CareTopics.TIMELINE_CHANGES, change.getNhsNumber(), change))
                    .get(30, TimeUnit.SECONDS);
        }
    }

    /** Every value ever written to care.subscriptions, as text. */
    private static List<String> subscriptionsTopic(String bootstrap) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap),
                new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(CareTopics.SUBSCRIPTIONS).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.value() != null) {
                        values.add(record.value());
                    }
                }
            }
        }
        return values;
    }

    @Test
    void callbacksAtThePlatformsOwnServicesAreRefusedHoweverTheyAreWritten() throws Exception {
        Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        int registry = port(RealInfrastructure.registryUrl());
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker();
                Platform platform = Platform.start(config(broker, CallbackPolicy.publicOnly(), SecretKeyRing.generate()),
                        topics)) {
            int kafka = port(broker.bootstrapServers());
            int api = platform.api().getAddress().getPort();
            List<String> attacks = List.of(
                    "http://127.0.0.1:" + registry + "/apis/ccompat/v7/subjects",
                    "http://localhost:" + registry + "/apis/ccompat/v7/subjects",
                    "http://127.0.0.1:" + kafka + "/",
                    "http://localhost:" + api + SubscriptionApi.PATH,
                    "http://[::1]:" + registry + "/",
                    "http://[::ffff:127.0.0.1]:" + registry + "/",
                    "http://[::ffff:7f00:1]:" + registry + "/",
                    "http://2130706433:" + registry + "/",
                    "http://0x7f000001:" + registry + "/",
                    "http://0177.0.0.1:" + registry + "/",
                    "http://010.0.0.1:" + registry + "/",
                    "http://127.1:" + registry + "/",
                    "http://0.0.0.0:" + registry + "/",
                    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
                    "http://[fd00:ec2::254]/latest/meta-data/",
                    "http://100.100.100.200/latest/meta-data/",
                    "http://10.0.0.1/", "http://172.16.5.4/", "http://192.168.1.1/",
                    "http://[fe80::1]/", "http://[fc00::1]/", "http://224.0.0.1/", "http://255.255.255.255/",
                    "http://user:pass@localhost:" + registry + "/");
            for (String url : attacks) {
                HttpResponse<String> refused = call("POST", platform.url(""), ADMIN,
                        "{\"callbackUrl\":\"" + url + "\",\"startFrom\":\"earliest\"}");
                assertThat(refused.statusCode()).as(url + ": " + refused.body()).isEqualTo(400);
                assertThat(JSON.readTree(refused.body()).get("error").asText()).as(url).startsWith("callbackUrl");
            }
            assertThat(JSON.readTree(call("GET", platform.url(""), ADMIN, null).body()).get("subscriptions")).isEmpty();
            assertThat(subscriptionsTopic(broker.bootstrapServers())).as("nothing was stored").isEmpty();
        }
    }

    @Test
    void whatAnsweredIsNeverShownSoTheErrorIsNoPortScanner() throws Exception {
        Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        int registry = port(RealInfrastructure.registryUrl());
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        AtomicInteger redirectedTo = new AtomicInteger();
        HttpServer target = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        target.createContext("/", exchange -> {
            redirectedTo.incrementAndGet();
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        target.start();
        HttpServer redirecting = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        redirecting.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().set("Location", "http://127.0.0.1:" + target.getAddress().getPort() + "/");
            exchange.sendResponseHeaders(307, -1);
            exchange.close();
        });
        redirecting.start();
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker();
                KafkaProducer<String, TimelineChange> producer = producer(broker.bootstrapServers(), topics);
                // the operator allows loopback on purpose: even then the answers say little
                Platform platform = Platform.start(config(broker, CallbackPolicy.allowing(List.of("127.0.0.1")),
                        SecretKeyRing.generate()), topics)) {
            int kafka = port(broker.bootstrapServers());
            Map<String, String> targets = Map.of(
                    "closed port", "http://127.0.0.1:" + closed + "/",
                    "schema registry", "http://127.0.0.1:" + registry + "/apis/ccompat/v7/subjects",
                    "Kafka broker", "http://127.0.0.1:" + kafka + "/",
                    "redirect", "http://127.0.0.1:" + redirecting.getAddress().getPort() + "/hook");
            Map<String, String> ids = new ConcurrentHashMap<>();
            for (Map.Entry<String, String> t : targets.entrySet()) {
                ids.put(t.getKey(), created(platform, ADMIN, "{\"callbackUrl\":\"" + t.getValue()
                        + "\",\"startFrom\":\"earliest\"}").get("id").asText());
            }
            send(producer, List.of(TestChanges.change(TestChanges.patient(1), 1, EventType.REFERRAL, "RJ1", null,
                    Sensitivity.NORMAL)));

            Map<String, String> errors = new ConcurrentHashMap<>();
            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
                for (Map.Entry<String, String> id : ids.entrySet()) {
                    JsonNode delivery = JSON.readTree(call("GET", platform.url("/" + id.getValue()), ADMIN, null)
                            .body()).get("delivery");
                    assertThat(delivery.get("lastError").isTextual()).as(id.getKey()).isTrue();
                    errors.put(id.getKey(), delivery.get("lastError").asText());
                }
            });
            assertThat(errors.get("closed port")).isEqualTo("connection refused");
            assertThat(errors.get("schema registry")).matches("HTTP 4[0-9][0-9]");
            assertThat(errors.get("redirect")).isEqualTo("HTTP 307 (redirects are not followed)");
            assertThat(redirectedTo).hasValue(0);
            for (Map.Entry<String, String> error : errors.entrySet()) {
                assertThat(error.getValue()).as(error.getKey()).matches(PUBLIC_ERROR)
                        .doesNotContain("127.0.0.1").doesNotContain(Integer.toString(closed))
                        .doesNotContain(Integer.toString(registry)).doesNotContain(Integer.toString(kafka));
            }
        } finally {
            redirecting.stop(0);
            target.stop(0);
        }
    }

    @Test
    void rolesDecideWhoManagesSubscriptionsAndWhoReceivesRestrictedEntries() throws Exception {
        Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        Map<String, String> secrets = new ConcurrentHashMap<>();
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker();
                WebhookReceiver receiver = new WebhookReceiver(Ports.free(), secrets);
                KafkaProducer<String, TimelineChange> producer = producer(broker.bootstrapServers(), topics);
                Platform platform = Platform.start(config(broker, CallbackPolicy.allowing(List.of("127.0.0.1")),
                        SecretKeyRing.generate()).withMaxPerCaller(2), topics)) {
            receiver.start();
            String everything = "{\"callbackUrl\":\"" + receiver.url("/x") + "\",\"startFrom\":\"earliest\"}";
            String restricted = "{\"callbackUrl\":\"" + receiver.url("/x")
                    + "\",\"allowRestricted\":true,\"startFrom\":\"earliest\"}";

            // no verified caller, or one without SUBSCRIBER_ADMIN: nothing at all
            assertThat(call("POST", platform.url(""), null, everything).statusCode()).isEqualTo(403);
            assertThat(call("GET", platform.url(""), null, null).statusCode()).isEqualTo(403);
            assertThat(call("POST", platform.url(""), "forged-token", everything).statusCode()).isEqualTo(403);
            HttpResponse<String> clinician = call("POST", platform.url(""), CLINICIAN, everything);
            assertThat(clinician.statusCode()).isEqualTo(403);
            assertThat(clinician.body()).contains("SUBSCRIBER_ADMIN");

            // the flag in the body is a request: refused without the role
            HttpResponse<String> selfGranted = call("POST", platform.url(""), ADMIN, restricted);
            assertThat(selfGranted.statusCode()).isEqualTo(403);
            assertThat(selfGranted.body()).contains("RESTRICTED_ACCESS");

            JsonNode plain = created(platform, ADMIN, everything.replace("/x", "/plain"));
            JsonNode gp = created(platform, ADMIN, "{\"callbackUrl\":\"" + receiver.url("/gp")
                    + "\",\"gpNotifications\":true,\"startFrom\":\"earliest\"}");
            JsonNode granted = created(platform, RESTRICTED_ADMIN, restricted.replace("/x", "/granted"));
            assertThat(plain.get("allowRestricted").asBoolean()).isFalse();
            assertThat(granted.get("allowRestricted").asBoolean()).isTrue();
            assertThat(granted.at("/owner/subject").asText()).isEqualTo("hub-restricted");
            assertThat(granted.at("/owner/roles").toString()).contains("RESTRICTED_ACCESS");
            for (JsonNode s : List.of(plain, gp, granted)) {
                secrets.put(s.get("id").asText(), s.get("secret").asText());
            }

            // at most two per caller
            HttpResponse<String> third = call("POST", platform.url(""), ADMIN, everything);
            assertThat(third.statusCode()).isEqualTo(409);
            assertThat(third.body()).contains("already has 2 subscriptions");

            // each caller sees and manages its own
            assertThat(JSON.readTree(call("GET", platform.url(""), ADMIN, null).body()).findValuesAsText("id"))
                    .containsExactlyInAnyOrder(plain.get("id").asText(), gp.get("id").asText());
            String grantedId = granted.get("id").asText();
            assertThat(call("GET", platform.url("/" + grantedId), ADMIN, null).statusCode()).isEqualTo(404);
            assertThat(call("GET", platform.url("/" + grantedId), OTHER_ADMIN, null).statusCode()).isEqualTo(404);
            assertThat(call("POST", platform.url("/" + grantedId + "/redeliver"), OTHER_ADMIN,
                    "{\"from\":\"2026-01-01T00:00:00Z\"}").statusCode()).isEqualTo(404);
            assertThat(call("DELETE", platform.url("/" + grantedId), OTHER_ADMIN, null).statusCode()).isEqualTo(404);
            assertThat(call("GET", platform.url("/" + grantedId), RESTRICTED_ADMIN, null).statusCode()).isEqualTo(200);

            // a NORMAL and a RESTRICTED admission (each a GP notification) and a RESTRICTED referral
            String patient = TestChanges.patient(7);
            send(producer, List.of(
                    TestChanges.change(patient, 1, EventType.ADMISSION, "RJ1", "A81001", Sensitivity.NORMAL),
                    TestChanges.change(patient, 2, EventType.ADMISSION, "RV3", "A81001", Sensitivity.RESTRICTED),
                    TestChanges.change(patient, 3, EventType.REFERRAL, "RV3", "A81001", Sensitivity.RESTRICTED),
                    TestChanges.change(patient, 4, EventType.DISCHARGE, "RJ1", "A81001", Sensitivity.NORMAL)));

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(WebhookReceiver.firstSeenOrder(receiver.receivedFor(grantedId)))
                        .containsEntry(patient, List.of(1, 2, 3, 4));
                assertThat(WebhookReceiver.firstSeenOrder(receiver.receivedFor(plain.get("id").asText())))
                        .containsEntry(patient, List.of(1, 4));
                assertThat(WebhookReceiver.firstSeenOrder(receiver.receivedFor(gp.get("id").asText())))
                        .containsEntry(patient, List.of(1, 4));
            });
            // everything delivered, skipped or parked: nothing RESTRICTED is on its way to them later
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                for (JsonNode s : List.of(plain, gp)) {
                    JsonNode delivery = JSON.readTree(call("GET", platform.url("/" + s.get("id").asText()), ADMIN,
                            null).body()).get("delivery");
                    assertThat(delivery.get("lag").asLong()).isZero();
                }
            });
            assertThat(receiver.received()).allMatch(WebhookReceiver.Received::signatureValid);
            assertThat(receiver.receivedFor(plain.get("id").asText()))
                    .noneMatch(r -> r.body().toString().contains("RESTRICTED"));
            assertThat(receiver.receivedFor(gp.get("id").asText()))
                    .allMatch(r -> r.body().has("gpNotification"))
                    .noneMatch(r -> r.body().toString().contains("RESTRICTED"));
        }
    }

    @Test
    void secretsAndCallbackCredentialsAreSealedAtRestAndSurviveAKeyRotation() throws Exception {
        Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        Map<String, String> secrets = new ConcurrentHashMap<>();
        String oldKey = SecretKeyRing.newKeyLine();
        String newKey = SecretKeyRing.newKeyLine();
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker();
                WebhookReceiver receiver = new WebhookReceiver(Ports.free(), secrets);
                KafkaProducer<String, TimelineChange> producer = producer(broker.bootstrapServers(), topics)) {
            receiver.start();
            CallbackPolicy loopback = CallbackPolicy.allowing(List.of("127.0.0.1"));
            String patient = TestChanges.patient(3);
            String id;
            String secret;
            try (Platform platform = Platform.start(config(broker, loopback, SecretKeyRing.parse(oldKey)), topics)) {
                JsonNode created = created(platform, ADMIN, "{\"callbackUrl\":\"" + receiver.url("/hook?key=QUERY-TOKEN-456")
                        + "\",\"callbackAuthorization\":\"Bearer CALLBACK-TOKEN-123\",\"startFrom\":\"earliest\"}");
                id = created.get("id").asText();
                secret = created.get("secret").asText();
                secrets.put(id, secret);
                assertThat(created.get("callbackUrl").asText()).endsWith("/hook?[redacted]");
                assertThat(created.get("callbackAuthorization").asText()).isEqualTo("[redacted]");
                String shown = call("GET", platform.url("/" + id), ADMIN, null).body();
                assertThat(shown).doesNotContain(secret).doesNotContain("QUERY-TOKEN-456")
                        .doesNotContain("CALLBACK-TOKEN-123");

                send(producer, List.of(TestChanges.change(patient, 1, EventType.REFERRAL, "RJ1", null,
                        Sensitivity.NORMAL)));
                await().atMost(Duration.ofSeconds(60)).until(() -> receiver.receivedFor(id).size() >= 1);
                assertThat(receiver.receivedFor(id).get(0).authorization()).isEqualTo("Bearer CALLBACK-TOKEN-123");
            }
            List<String> stored = subscriptionsTopic(broker.bootstrapServers());
            assertThat(stored).isNotEmpty().allSatisfy(value -> assertThat(value).doesNotContain(secret)
                    .doesNotContain("QUERY-TOKEN-456").doesNotContain("CALLBACK-TOKEN-123"));
            String oldId = oldKey.split(" ")[0];
            String newId = newKey.split(" ")[0];
            assertThat(stored.get(stored.size() - 1)).contains("v1:" + oldId + ":");

            // rotation, step 1: the new key first, the old one still there; the platform re-seals on start
            try (Platform platform = Platform.start(config(broker, loopback, SecretKeyRing.parse(newKey + "\n" + oldKey)),
                    topics)) {
                assertThat(call("GET", platform.url("/" + id), ADMIN, null).statusCode()).isEqualTo(200);
            }
            List<String> resealed = subscriptionsTopic(broker.bootstrapServers());
            assertThat(resealed.get(resealed.size() - 1)).contains("v1:" + newId + ":").doesNotContain(oldId);

            // step 2: the old key gone; the subscription is still read, and deliveries still signed with its secret
            try (Platform platform = Platform.start(config(broker, loopback, SecretKeyRing.parse(newKey)), topics)) {
                assertThat(call("GET", platform.url("/" + id), ADMIN, null).statusCode()).isEqualTo(200);
                send(producer, List.of(TestChanges.change(patient, 2, EventType.REFERRAL, "RJ1", null,
                        Sensitivity.NORMAL)));
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                        assertThat(WebhookReceiver.firstSeenOrder(receiver.receivedFor(id)))
                                .containsEntry(patient, List.of(1, 2)));
                assertThat(receiver.receivedFor(id)).allMatch(WebhookReceiver.Received::signatureValid)
                        .allMatch(r -> "Bearer CALLBACK-TOKEN-123".equals(r.authorization()));
            }
        }
    }

    /**
     * End to end through the platform's real HTTP server and its real guard: the platform's token
     * must reach the subscriptions API as a verified caller (the guard sets {@link Caller#ATTRIBUTE}).
     */
    @Test
    void throughThePlatformsHttpServerWithARealToken() throws Exception {
        Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        String token = "it-static-token-" + java.util.UUID.randomUUID();
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker();
                Subscriptions subscriptions = new Subscriptions(config(broker, CallbackPolicy.publicOnly(),
                        SecretKeyRing.generate()), topics);
                PlatformHttpServer http = new PlatformHttpServer("127.0.0.1", 0, () -> "")) {
            subscriptions.start();
            http.protectWith(ApiAccess.bearer(token)).mount(SubscriptionApi.PATH, subscriptions.handler()).start();
            String url = "http://127.0.0.1:" + http.port() + SubscriptionApi.PATH;
            assertThat(call("GET", url, null, null).statusCode()).isEqualTo(401);
            HttpResponse<String> listed = call("GET", url, token, null);
            assertThat(listed.statusCode()).as(listed.body()).isEqualTo(200);
            HttpResponse<String> refused = call("POST", url, token,
                    "{\"callbackUrl\":\"http://169.254.169.254/latest/meta-data/\"}");
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
        }
    }
}
