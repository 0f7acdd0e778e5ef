package org.caretrail.consumers.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.consumers.subscriptions.Changes.change;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.caretrail.consumers.webhook.CallbackPolicy;
import org.caretrail.consumers.webhook.WebhookClient;
import org.caretrail.events.access.Role;
import org.caretrail.events.model.ChangeKind;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.TimelineChange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DeliveryWorkerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TopicPartition PARTITION = new TopicPartition("care.timeline-changes", 0);

    private HttpServer receiver;
    private final AtomicInteger status = new AtomicInteger(200);
    private final List<Map<String, String>> received = new CopyOnWriteArrayList<>();
    private final MockProducer<String, String> audit =
            new MockProducer<>(true, null, new StringSerializer(), new StringSerializer());
    private final List<DeadLetterRecord> deadLetters = new CopyOnWriteArrayList<>();
    private Instant now = Instant.parse("2026-11-22T12:00:00Z");
    private final Clock clock = new Clock() {
        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };

    @BeforeEach
    void startReceiver() throws Exception {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            received.add(Map.of("body", body,
                    "signature", exchange.getRequestHeaders().getFirst(WebhookSigner.SIGNATURE_HEADER),
                    "timestamp", exchange.getRequestHeaders().getFirst(WebhookSigner.TIMESTAMP_HEADER),
                    "deliveryId", exchange.getRequestHeaders().getFirst(WebhookSigner.DELIVERY_ID_HEADER),
                    "attempt", exchange.getRequestHeaders().getFirst(WebhookSigner.ATTEMPT_HEADER),
                    "contentType", exchange.getRequestHeaders().getFirst("Content-Type"),
                    "authorization", String.valueOf(exchange.getRequestHeaders().getFirst("Authorization"))));
            byte[] answer = "internal detail: db at 10.1.2.3:5432 refused; token=SECRET-BODY".getBytes(
                    StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status.get(), answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        receiver.start();
    }

    @AfterEach
    void stopReceiver() {
        receiver.stop(0);
    }

    private DeliveryWorker worker(Duration parkAfter) {
        return worker(parkAfter, PayloadFormat.CARETRAIL_JSON);
    }

    private DeliveryWorker worker(Duration parkAfter, PayloadFormat payload) {
        return worker(parkAfter, new Subscription("sub-1", hook(), null, null, null, false, false,
                StartPoint.EARLIEST, "the-secret", now, payload));
    }

    private URI hook() {
        return URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook");
    }

    private DeliveryWorker worker(Duration parkAfter, Subscription subscription) {
        DeliveryConfig config = DeliveryConfig.defaults("localhost:9")
                .withBackoff(new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8)))
                .withParkAfter(parkAfter);
        // the test receiver is on loopback: the operator's allow-list names it
        WebhookClient client = new WebhookClient(CallbackPolicy.allowing(List.of("127.0.0.1")), Duration.ofSeconds(5));
        return new DeliveryWorker(subscription, config, null, client, audit, clock,
                PARTITION.topic(), DeadLetterRecord.EMPTY, deadLetters::add);
    }

    /** A subscription that asks for RESTRICTED entries, created by {@code owner}. */
    private Subscription askingForRestricted(SubscriptionOwner owner) {
        return new Subscription("sub-r", hook(), null, null, null, false, true, StartPoint.EARLIEST, "the-secret", now,
                PayloadFormat.CARETRAIL_JSON, null, owner);
    }

    private static ConsumerRecord<String, TimelineChange> record(long offset, TimelineChange change) {
        return new ConsumerRecord<>(PARTITION.topic(), PARTITION.partition(), offset, change.getNhsNumber(), change);
    }

    @Test
    void deliversASignedPostAndRecordsIt() throws Exception {
        DeliveryWorker worker = worker(Duration.ofHours(1));
        TimelineChange admitted = change("e1:ADDED", EventType.ADMISSION, ChangeKind.ADDED, "RJ1", "A81001",
                Sensitivity.NORMAL);

        assertThat(worker.handle(PARTITION, record(0, admitted))).isTrue();

        assertThat(received).hasSize(1);
        Map<String, String> post = received.get(0);
        assertThat(post.get("deliveryId")).isEqualTo("sub-1:e1:ADDED");
        assertThat(WebhookSigner.verify("the-secret", Long.parseLong(post.get("timestamp")), post.get("body"),
                post.get("signature"))).isTrue();
        JsonNode body = JSON.readTree(post.get("body"));
        assertThat(body.at("/change/entry/type").asText()).isEqualTo("ADMISSION");
        assertThat(body.at("/gpNotification/reason").asText()).isEqualTo("ADMITTED");
        assertThat(body.at("/gpNotification/practiceOdsCode").asText()).isEqualTo("A81001");
        assertThat(audit.history()).hasSize(1);
        JsonNode audited = JSON.readTree(audit.history().get(0).value());
        assertThat(audited.get("outcome").asText()).isEqualTo("DELIVERED");
        assertThat(audited.get("nhsNumber").asText()).isEqualTo(Changes.PATIENT);
        assertThat(audit.history().get(0).topic()).isEqualTo("care.deliveries");
        assertThat(worker.status().delivered()).isEqualTo(1);
    }

    @Test
    void failuresAreRetriedWithBackoffThenDeliveredWithTheSameDeliveryId() {
        DeliveryWorker worker = worker(Duration.ofHours(1));
        TimelineChange change = change("e2:ADDED", EventType.REFERRAL, ChangeKind.ADDED, "RJ1", null,
                Sensitivity.NORMAL);
        status.set(503);

        assertThat(worker.handle(PARTITION, record(7, change))).isFalse();
        now = now.plusSeconds(1);
        assertThat(worker.handle(PARTITION, record(7, change))).isFalse();
        assertThat(worker.status().lastError()).contains("HTTP 503");
        status.set(204);
        now = now.plusSeconds(2);
        assertThat(worker.handle(PARTITION, record(7, change))).isTrue();

        assertThat(received).extracting(m -> m.get("deliveryId")).containsOnly("sub-1:e2:ADDED").hasSize(3);
        assertThat(received).extracting(m -> m.get("attempt")).containsExactly("1", "2", "3");
        assertThat(audit.history()).hasSize(1);
        assertThat(worker.status().parkedCount()).isZero();
    }

    @Test
    void aChangeFailingLongerThanParkAfterIsParkedAndVisible() throws Exception {
        DeliveryWorker worker = worker(Duration.ofMinutes(10));
        TimelineChange change = change("e3:ADDED", EventType.DEATH, ChangeKind.ADDED, "RJ1", null,
                Sensitivity.NORMAL);
        status.set(500);

        assertThat(worker.handle(PARTITION, record(3, change))).isFalse();
        now = now.plus(Duration.ofMinutes(5));
        assertThat(worker.handle(PARTITION, record(3, change))).isFalse();
        now = now.plus(Duration.ofMinutes(5));
        assertThat(worker.handle(PARTITION, record(3, change))).isTrue();

        DeliveryStatus status = worker.status();
        assertThat(status.parkedCount()).isEqualTo(1);
        assertThat(status.parked()).singleElement().satisfies(p -> {
            assertThat(p.deliveryId()).isEqualTo("sub-1:e3:ADDED");
            assertThat(p.attempts()).isEqualTo(3);
            assertThat(p.error()).contains("HTTP 500");
        });
        assertThat(deadLetters).singleElement().satisfies(d -> {
            assertThat(d.parkedCount()).isEqualTo(1);
            assertThat(DeadLetterRecord.fromJson(d.toJson())).isEqualTo(d);
        });
        JsonNode audited = JSON.readTree(audit.history().get(0).value());
        assertThat(audited.get("outcome").asText()).isEqualTo("PARKED");
        assertThat(audited.get("subscriptionId").asText()).isEqualTo("sub-1");
    }

    @Test
    void fhirSubscriptionsReceiveASignedNotificationBundle() throws Exception {
        DeliveryWorker worker = worker(Duration.ofHours(1), PayloadFormat.FHIR_R4);
        TimelineChange died = change("e5:ADDED", EventType.DEATH, ChangeKind.ADDED, "RJ1", "A81001",
                Sensitivity.NORMAL);

        assertThat(worker.handle(PARTITION, record(11, died))).isTrue();

        Map<String, String> post = received.get(0);
        assertThat(post.get("contentType")).isEqualTo("application/fhir+json");
        assertThat(WebhookSigner.verify("the-secret", Long.parseLong(post.get("timestamp")), post.get("body"),
                post.get("signature"))).isTrue();
        JsonNode bundle = JSON.readTree(post.get("body"));
        assertThat(bundle.get("resourceType").asText()).isEqualTo("Bundle");
        assertThat(bundle.at("/entry/0/resource/parameter/4/part/0/valueString").asText()).isEqualTo("0:11");
        assertThat(bundle.at("/entry/1/resource/deceasedDateTime").asText()).isEqualTo("2026-11-20T09:15:00Z");
    }

    @Test
    void changesTheSubscriptionMayNotSeeAreSkippedWithoutAPost() {
        DeliveryWorker worker = worker(Duration.ofHours(1));
        TimelineChange restricted = change("e4:ADDED", EventType.ATTENDANCE, ChangeKind.ADDED, "RJ1", null,
                Sensitivity.RESTRICTED);

        assertThat(worker.handle(PARTITION, record(0, restricted))).isTrue();

        assertThat(received).isEmpty();
        assertThat(audit.history()).isEmpty();
        assertThat(worker.status().skipped()).isEqualTo(1);
    }

    @Test
    void restrictedEntriesGoOnlyToSubscriptionsWhoseCreatorHeldRestrictedAccess() {
        TimelineChange restricted = change("e6:ADDED", EventType.ADMISSION, ChangeKind.ADDED, "RJ1", "A81001",
                Sensitivity.RESTRICTED);
        SubscriptionOwner withRole = new SubscriptionOwner("gp-hub", "hub-client",
                java.util.Set.of(Role.SUBSCRIBER_ADMIN, Role.RESTRICTED_ACCESS));
        SubscriptionOwner withoutRole = new SubscriptionOwner("gp-hub", "hub-client", java.util.Set.of(Role.SUBSCRIBER_ADMIN));

        // asked for, but the creator lacked the role (a record written by hand, or changed on the topic)
        DeliveryWorker refused = worker(Duration.ofHours(1), askingForRestricted(withoutRole));
        assertThat(refused.handle(PARTITION, record(0, restricted))).isTrue();
        // stored before owners were kept: a self-granted flag is not a grant
        DeliveryWorker legacy = worker(Duration.ofHours(1), askingForRestricted(null));
        assertThat(legacy.handle(PARTITION, record(0, restricted))).isTrue();
        assertThat(received).isEmpty();
        assertThat(refused.status().skipped()).isEqualTo(1);

        // the GP notification of a RESTRICTED admission goes to the practice only with the role
        DeliveryWorker granted = worker(Duration.ofHours(1), askingForRestricted(withRole));
        assertThat(granted.handle(PARTITION, record(0, restricted))).isTrue();
        assertThat(received).singleElement().satisfies(post -> assertThat(post.get("body"))
                .contains("\"sensitivity\":\"RESTRICTED\"").contains("\"gpNotification\""));
    }

    @Test
    void theLastErrorSaysWhatFailedWithoutTheReceiversWordsOrAddresses() throws Exception {
        DeliveryWorker worker = worker(Duration.ofHours(1));
        TimelineChange change = change("e7:ADDED", EventType.REFERRAL, ChangeKind.ADDED, "RJ1", null,
                Sensitivity.NORMAL);
        status.set(500);
        assertThat(worker.handle(PARTITION, record(0, change))).isFalse();
        assertThat(worker.status().lastError()).isEqualTo("HTTP 500");

        int closed;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        DeliveryWorker toClosedPort = worker(Duration.ofHours(1), new Subscription("sub-2",
                URI.create("http://127.0.0.1:" + closed + "/hook"), null, null, null, false, false, StartPoint.EARLIEST,
                "s", now, PayloadFormat.CARETRAIL_JSON));
        assertThat(toClosedPort.handle(PARTITION, record(0, change))).isFalse();
        assertThat(toClosedPort.status().lastError()).isEqualTo("connection refused");
        JsonNode audited = JSON.readTree(audit.history().isEmpty() ? "{}" : audit.history().get(0).value());
        assertThat(audited.toString()).doesNotContain("SECRET-BODY");
        assertThat(worker.status().toJson().toString()).doesNotContain("SECRET-BODY").doesNotContain("10.1.2.3");
    }

    @Test
    void theCallbacksCredentialsTravelAsAuthorizationAndTheQueryIsRedactedInTheAudit() throws Exception {
        Subscription subscription = new Subscription("sub-3", URI.create(hook() + "?token=QUERY-TOKEN"), null, null,
                null, false, false, StartPoint.EARLIEST, "s", now, PayloadFormat.CARETRAIL_JSON, "Bearer CALLBACK-TOKEN",
                null);
        DeliveryWorker worker = worker(Duration.ofHours(1), subscription);
        assertThat(worker.handle(PARTITION, record(0, change("e8:ADDED", EventType.REFERRAL, ChangeKind.ADDED, "RJ1",
                null, Sensitivity.NORMAL)))).isTrue();
        assertThat(received).singleElement().satisfies(post ->
                assertThat(post.get("authorization")).isEqualTo("Bearer CALLBACK-TOKEN"));
        String audited = audit.history().get(0).value();
        assertThat(audited).contains("/hook?[redacted]").doesNotContain("QUERY-TOKEN").doesNotContain("CALLBACK-TOKEN");
    }
}
