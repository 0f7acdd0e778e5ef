package org.caretrail.consumers.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.consumers.subscriptions.Changes.change;

import ca.uhn.fhir.context.FhirContext;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
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
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A FHIR Subscription's events through the delivery worker, on a clock the test moves: numbered in
 * order from 1, the number kept across retries, a parked event's number not reused; the notification
 * Bundles shaped as the R4 Subscriptions Backport IG says and valid FHIR R4 (HAPI FHIR's validator).
 */
class FhirDeliveryTest {

    private static final TopicPartition PARTITION = new TopicPartition("care.timeline-changes", 0);
    private static final FhirContext FHIR = FhirContext.forR4Cached();

    private HttpServer receiver;
    private final AtomicInteger status = new AtomicInteger(200);
    private final List<Bundle> received = new CopyOnWriteArrayList<>();
    private final MockProducer<String, String> audit =
            new MockProducer<>(true, null, new StringSerializer(), new StringSerializer());
    private Instant now = Instant.parse("2026-11-22T12:00:00Z");
    private final Clock clock = new Clock() {
        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };

    /** The focus: an Encounter for every change (what the read API would serve, reduced to what is checked here). */
    private final FhirFocus focus = new FhirFocus() {
        @Override
        public String base() {
            return "http://caretrail.test/fhir/r4";
        }

        @Override
        public String reference(TimelineChange change) {
            return "Encounter/" + change.getNhsNumber() + "-" + Integer.toHexString(change.getChangeId().hashCode());
        }

        @Override
        public Optional<Resource> resource(TimelineChange change, Subscription subscription) {
            Encounter e = new Encounter().setStatus(Encounter.EncounterStatus.INPROGRESS)
                    .setClass_(new org.hl7.fhir.r4.model.Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode",
                            "IMP", "inpatient encounter"))
                    .setSubject(new Reference("Patient/" + change.getNhsNumber()));
            e.setId(reference(change).substring("Encounter/".length()));
            return Optional.of(e);
        }
    };

    @BeforeEach
    void startReceiver() throws Exception {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            int answer = status.get();
            if (answer < 300) {
                received.add(FHIR.newJsonParser().parseResource(Bundle.class, body));
            }
            exchange.sendResponseHeaders(answer, -1);
            exchange.close();
        });
        receiver.start();
    }

    @AfterEach
    void stopReceiver() {
        receiver.stop(0);
    }

    private Subscription subscription(FhirChannel.Content content) {
        URI hook = URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook");
        FhirChannel channel = new FhirChannel(FhirTopic.TIMELINE_CHANGE, content, Duration.ofMinutes(1), null, null,
                "test");
        return new Subscription("fhir-1", hook, FhirTopic.TIMELINE_CHANGE.eventTypes(), null, null, false, false,
                StartPoint.EARLIEST, "the-secret", now, PayloadFormat.FHIR_R4, null,
                new SubscriptionOwner("hub", "hub-client", java.util.Set.of(Role.SUBSCRIBER_ADMIN)), channel);
    }

    private DeliveryWorker worker(Subscription subscription) {
        DeliveryConfig config = DeliveryConfig.defaults("localhost:9")
                .withBackoff(new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(5)))
                .withParkAfter(Duration.ofMinutes(45));
        WebhookClient client = new WebhookClient(CallbackPolicy.allowing(List.of("127.0.0.1")), Duration.ofSeconds(5));
        return new DeliveryWorker(subscription, config, null, client, audit, clock, PARTITION.topic(),
                DeadLetterRecord.EMPTY, d -> { }, focus);
    }

    private static ConsumerRecord<String, TimelineChange> record(long offset, TimelineChange change) {
        return new ConsumerRecord<>(PARTITION.topic(), PARTITION.partition(), offset, change.getNhsNumber(), change);
    }

    private static TimelineChange admitted(String id) {
        return change(id, EventType.ADMISSION, ChangeKind.ADDED, "RJ1", "A81001", Sensitivity.NORMAL);
    }

    static String param(Parameters p, String name) {
        return p.getParameter().stream().filter(x -> x.getName().equals(name)).findFirst()
                .map(x -> x.getValue().primitiveValue()).orElse(null);
    }

    static String eventNumber(Bundle b) {
        Parameters p = (Parameters) b.getEntryFirstRep().getResource();
        return p.getParameter().stream().filter(x -> x.getName().equals("notification-event")).findFirst().orElseThrow()
                .getPart().stream().filter(x -> x.getName().equals("event-number")).findFirst().orElseThrow()
                .getValue().primitiveValue();
    }

    @Test
    void events_are_numbered_in_order_a_retry_keeps_its_number_and_a_parked_one_is_not_reused() {
        DeliveryWorker worker = worker(subscription(FhirChannel.Content.FULL_RESOURCE));
        assertThat(worker.handle(PARTITION, record(0, admitted("a1")))).isTrue();
        status.set(503);
        assertThat(worker.handle(PARTITION, record(1, admitted("a2")))).isFalse();
        now = now.plusSeconds(10);
        assertThat(worker.handle(PARTITION, record(1, admitted("a2")))).isFalse();
        status.set(200);
        now = now.plusSeconds(10);
        assertThat(worker.handle(PARTITION, record(1, admitted("a2")))).isTrue();
        // the receiver is away for 45 minutes: the third event is parked, the fourth gets the next number
        status.set(503);
        assertThat(worker.handle(PARTITION, record(2, admitted("a3")))).isFalse();
        now = now.plus(Duration.ofMinutes(45));
        assertThat(worker.handle(PARTITION, record(2, admitted("a3")))).isTrue(); // parked
        status.set(200);
        assertThat(worker.handle(PARTITION, record(3, admitted("a4")))).isTrue();

        assertThat(received).extracting(FhirDeliveryTest::eventNumber).containsExactly("1", "2", "4");
        assertThat(worker.status().eventsSinceStart()).isEqualTo(4);
        // the delivery records name each event's number and where its change is
        assertThat(audit.history()).extracting(r -> r.value()).anySatisfy(v -> assertThat(v)
                .contains("\"outcome\":\"PARKED\"", "\"eventNumber\":3", "\"changePartition\":0", "\"changeOffset\":2"));
    }

    @Test
    void a_full_resource_notification_is_the_backport_bundle_and_valid_fhir_r4() {
        DeliveryWorker worker = worker(subscription(FhirChannel.Content.FULL_RESOURCE));
        assertThat(worker.handle(PARTITION, record(0, admitted("b1")))).isTrue();
        Bundle b = received.get(0);
        assertThat(b.getType()).isEqualTo(Bundle.BundleType.HISTORY);
        assertThat(b.getMeta().getProfile().get(0).getValue()).isEqualTo(FhirNotifications.BUNDLE_PROFILE);
        Parameters status = (Parameters) b.getEntry().get(0).getResource();
        assertThat(param(status, "type")).isEqualTo("event-notification");
        assertThat(param(status, "topic")).isEqualTo("https://caretrail.example/SubscriptionTopic/timeline-change");
        assertThat(param(status, "events-since-subscription-start")).isEqualTo("1");
        assertThat(b.getEntry().get(0).getRequest().getUrl()).isEqualTo("http://caretrail.test/fhir/r4/Subscription/fhir-1/$status");
        assertThat(b.getEntry().get(1).getResource()).isInstanceOf(Encounter.class);
        assertThat(b.getEntry().get(1).getFullUrl()).startsWith("http://caretrail.test/fhir/r4/Encounter/");
        assertThat(FhirR4Validation.errors(b)).isEmpty();
    }

    @Test
    void id_only_carries_the_url_and_empty_not_even_that() {
        DeliveryWorker ids = worker(subscription(FhirChannel.Content.ID_ONLY));
        assertThat(ids.handle(PARTITION, record(0, admitted("c1")))).isTrue();
        Bundle idOnly = received.get(0);
        assertThat(idOnly.getEntry()).hasSize(2);
        assertThat(idOnly.getEntry().get(1).hasResource()).isFalse();
        assertThat(FhirR4Validation.errors(idOnly)).isEmpty();
        DeliveryWorker empty = worker(subscription(FhirChannel.Content.EMPTY));
        assertThat(empty.handle(PARTITION, record(1, admitted("c2")))).isTrue();
        Bundle nothing = received.get(1);
        assertThat(nothing.getEntry()).hasSize(1);
        assertThat(FhirR4Validation.errors(nothing)).isEmpty();
    }

    @Test
    void the_channel_state_survives_in_the_commit_metadata() {
        assertThat(DeliveryWorker.channelMetadata("fhir-channel events=42 handshake=1700000000000"))
                .containsExactly(42, 1_700_000_000_000L);
        assertThat(DeliveryWorker.channelMetadata("")).containsExactly(0, 0);
        assertThat(DeliveryWorker.channelMetadata("fhir-channel events=x")).containsExactly(0, 0);
    }

    @Test
    void the_topics_as_r4_basic_resources_are_valid() {
        for (FhirTopic topic : FhirTopic.values()) {
            assertThat(FhirR4Validation.errors(topic.toBasic())).as(topic.code()).isEmpty();
        }
    }
}
