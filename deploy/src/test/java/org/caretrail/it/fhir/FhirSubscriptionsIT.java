package org.caretrail.it.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.MethodOutcome;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.client.interceptor.BearerTokenAuthInterceptor;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.consumers.subscriptions.Backoff;
import org.caretrail.consumers.subscriptions.DeliveryConfig;
import org.caretrail.consumers.subscriptions.FhirSubscriptionApi;
import org.caretrail.consumers.subscriptions.SecretKeyRing;
import org.caretrail.consumers.subscriptions.Subscriptions;
import org.caretrail.consumers.webhook.CallbackPolicy;
import org.caretrail.deploy.http.ApiAccess;
import org.caretrail.deploy.http.FhirR4Routes;
import org.caretrail.deploy.http.PlatformHttpServer;
import org.caretrail.deploy.http.TimelineFhirFocus;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.deploy.infra.Ports;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Appointment;
import org.caretrail.events.model.Coding;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.Prescription;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Referral;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.it.RealInfrastructure;
import org.caretrail.producers.fhir.FhirGateway;
import org.caretrail.producers.publisher.CarePublisher;
import org.caretrail.timeline.TimelineApplication;
import org.caretrail.timeline.TimelineSettings;
import org.caretrail.timeline.fhir.FhirReadApi;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CanonicalType;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.Subscription;
import org.hl7.fhir.r4.model.UnsignedIntType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * FHIR Subscriptions (R4 Subscriptions Backport IG) on the real broker and registry, the real timeline
 * stream processor and the FHIR read API, created with HAPI FHIR's generic client and received by a real
 * HTTP server. Retries, parking and heartbeats run on a clock the test moves: a receiver down for an hour
 * of simulated time takes seconds.
 *
 * <p>What must happen, from the IG: a handshake first; then one {@code event-notification} per change,
 * numbered 1, 2, 3... in the order received; {@code full-resource} carries the focus resource (the read
 * API's), {@code id-only} its URL only; a heartbeat after {@code heartbeatPeriod} without a notification;
 * {@code $status} counts the events; and with parkAfter = 45 minutes, a receiver down for 60 minutes misses
 * the event that was failing for 45 minutes (parked), gets the later ones in order when it is back (where
 * HAPI FHIR's own subscriptions would have given up after a minute), and fetches the missed one with
 * {@code $events}, replayed from Kafka.
 */
@Tag("integration")
class FhirSubscriptionsIT {

    static final FhirContext FHIR = FhirContext.forR4();
    static final String TOKEN = "subscriptions-it-token-" + UUID.randomUUID();
    static final String PATIENT = NhsNumber.withCheckDigit("999000731").orElseThrow().value();
    static final String OTHER = NhsNumber.withCheckDigit("999000732").orElseThrow().value();
    static final Duration PARK_AFTER = Duration.ofMinutes(45);

    static EmbeddedKafkaBroker broker;
    static TimelineApplication timeline;
    static Subscriptions subscriptions;
    static PlatformHttpServer http;
    static CarePublisher publisher;
    static Receiver receiver;
    static String base;
    static final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());
    static final Clock CLOCK = new Clock() {
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
            return now.get();
        }
    };

    @BeforeAll
    static void start() throws Exception {
        broker = RealInfrastructure.newBroker();
        Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
        Path state = Files.createTempDirectory(Files.createDirectories(Path.of("target/it-data")), "fhir-subs-");
        timeline = new TimelineApplication(TimelineSettings.defaults()
                .with(TimelineSettings.APPLICATION_ID, "it-fhir-subs-" + UUID.randomUUID())
                .with(TimelineSettings.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .with(TimelineSettings.STATE_DIR, state)
                .with(TimelineSettings.TIMELINE_EMIT_INTERVAL, Duration.ofMillis(200)), topics);
        timeline.start();
        assertThat(timeline.awaitRunning(Duration.ofSeconds(90))).isTrue();
        int port = Ports.free();
        base = "http://127.0.0.1:" + port + "/fhir/r4";
        FhirReadApi reads = new FhirReadApi(timeline.queries(), null, timeline::isRunning);
        DeliveryConfig config = DeliveryConfig.defaults(broker.bootstrapServers())
                .withBackoff(new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(5)))
                .withParkAfter(PARK_AFTER)
                .withRequestTimeout(Duration.ofSeconds(3))
                .withCallbackPolicy(CallbackPolicy.allowing(List.of("127.0.0.1")))
                .withSecretKeys(SecretKeyRing.generate());
        subscriptions = new Subscriptions(config, topics, CLOCK, new TimelineFhirFocus(base, reads));
        subscriptions.start();
        publisher = CarePublisher.connect(broker.bootstrapServers(), topics, "fhir-subs-it");
        FhirGateway writes = new FhirGateway(publisher);
        var capabilities = FhirR4Routes.capabilities(writes);
        FhirSubscriptionApi.describe(capabilities);
        http = new PlatformHttpServer("127.0.0.1", port, () -> "").protectWith(ApiAccess.bearer(TOKEN));
        http.mount(FhirR4Routes.PATH, new FhirR4Routes(writes, reads, subscriptions.fhirHandler(), capabilities));
        http.start();
        receiver = new Receiver(Ports.free());
        receiver.start();
    }

    @AfterAll
    static void stop() {
        if (receiver != null) {
            receiver.stop();
        }
        if (http != null) {
            http.close();
        }
        if (subscriptions != null) {
            subscriptions.close();
        }
        if (publisher != null) {
            publisher.close();
        }
        if (timeline != null) {
            timeline.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    static IGenericClient client() {
        IGenericClient client = FHIR.newRestfulGenericClient(base);
        client.registerInterceptor(new BearerTokenAuthInterceptor(TOKEN));
        return client;
    }

    /** A backport Subscription to {@code topic} for one patient, to the receiver's {@code path}. */
    static Subscription subscription(String topic, String content, String path, Integer heartbeat) {
        Subscription s = new Subscription();
        s.getMeta().addProfile(FhirSubscriptionApi.PROFILE);
        s.setStatus(Subscription.SubscriptionStatus.REQUESTED);
        s.setReason("GP practice A81001: hospital activity of its patients");
        s.setCriteria("https://caretrail.example/SubscriptionTopic/" + topic);
        s.getCriteriaElement().addExtension(
                "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-filter-criteria",
                new StringType("Encounter?patient=Patient/" + PATIENT));
        Subscription.SubscriptionChannelComponent channel = s.getChannel();
        channel.setType(Subscription.SubscriptionChannelType.RESTHOOK).setEndpoint(receiver.url(path))
                .setPayload("application/fhir+json");
        channel.getPayloadElement().addExtension(
                "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-payload-content",
                new CodeType(content));
        if (heartbeat != null) {
            channel.addExtension("http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-heartbeat-period",
                    new UnsignedIntType(heartbeat));
        }
        channel.addExtension("http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-timeout",
                new UnsignedIntType(2));
        channel.addHeader("Authorization: Bearer receiver-secret");
        return s;
    }

    static EventHeader header(String nhs, String ods, ProviderKind kind, String subject, Action action, long version,
            Instant at) {
        return EventHeader.newBuilder().setEventId(UUID.randomUUID().toString()).setAction(action).setSubjectId(subject)
                .setVersion(version).setOccurredAt(at).setRecordedAt(at)
                .setSource(Source.newBuilder().setOdsCode(ods).setName(null).setKind(kind).setSystem("EPR").build())
                .setPatient(PatientRef.newBuilder().setNhsNumber(nhs).build()).setSensitivity(Sensitivity.NORMAL).build();
    }

    static void publish(SpecificRecord event) throws Exception {
        publisher.publish(event).get(30, TimeUnit.SECONDS);
    }

    /** Moves the simulated clock on in steps, giving the delivery a moment after each. */
    static void advance(Duration total, Duration step) throws InterruptedException {
        for (Duration moved = Duration.ZERO; moved.compareTo(total) < 0; moved = moved.plus(step)) {
            now.updateAndGet(t -> t.plus(step));
            Thread.sleep(250);
        }
    }

    static Parameters status(Bundle notification) {
        return (Parameters) notification.getEntryFirstRep().getResource();
    }

    static String param(Parameters p, String name) {
        return p.getParameter().stream().filter(x -> x.getName().equals(name)).findFirst()
                .map(x -> x.getValue().primitiveValue()).orElse(null);
    }

    static List<Long> eventNumbers(Parameters p) {
        return p.getParameter().stream().filter(x -> x.getName().equals("notification-event"))
                .map(x -> Long.parseLong(x.getPart().stream().filter(y -> y.getName().equals("event-number"))
                        .findFirst().orElseThrow().getValue().primitiveValue())).toList();
    }

    @Test
    void notifications_in_order_heartbeat_an_hour_down_catch_up_and_missed_events_from_kafka() throws Exception {
        IGenericClient client = client();
        MethodOutcome full = client.create().resource(subscription("timeline-change", "full-resource", "/full", 60))
                .execute();
        assertThat(full.getCreated()).isTrue();
        String fullId = full.getId().getIdPart();
        Subscription created = (Subscription) full.getResource();
        assertThat(created.getStatus()).isEqualTo(Subscription.SubscriptionStatus.REQUESTED);
        assertThat(created.getChannel().getHeader()).extracting(StringType::getValue)
                .containsExactly("Authorization: [redacted]");
        String idOnlyId = client.create().resource(subscription("admission", "id-only", "/ids", null)).execute()
                .getId().getIdPart();

        // 1. the handshake, then the subscription is active
        await().atMost(Duration.ofSeconds(60)).until(() -> receiver.at("/full").size() >= 1
                && receiver.at("/ids").size() >= 1);
        for (String path : List.of("/full", "/ids")) {
            Bundle handshake = receiver.at(path).get(0);
            assertThat(handshake.getType()).isEqualTo(Bundle.BundleType.HISTORY);
            assertThat(param(status(handshake), "type")).isEqualTo("handshake");
            assertThat(param(status(handshake), "events-since-subscription-start")).isEqualTo("0");
            assertThat(receiver.authorizations(path)).containsOnly("Bearer receiver-secret");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> client.read().resource(Subscription.class).withId(fullId)
                .execute().getStatus() == Subscription.SubscriptionStatus.ACTIVE);

        // 2. three changes for the patient (and one for another patient, not for these subscriptions), in order
        Instant t0 = Instant.now().minus(2, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
        Admission admission = Admission.newBuilder().setHeader(header(PATIENT, "RX1", ProviderKind.ACUTE, "SPELL-IT-1",
                Action.NEW, 1, t0)).setWard("AMU").setSite("Riverside General").setPatientClass("INPATIENT").build();
        publish(Admission.newBuilder(admission).setHeader(header(OTHER, "RX1", ProviderKind.ACUTE, "SPELL-IT-9",
                Action.NEW, 1, t0)).build());
        publish(admission);
        await().atMost(Duration.ofSeconds(60)).until(() -> receiver.events("/full").size() == 1);
        Referral referral = Referral.newBuilder().setHeader(header(PATIENT, "A81001", ProviderKind.GP, "REF-IT-1",
                Action.NEW, 1, t0.plusSeconds(3600))).setToOdsCode("RX1").setSpecialty("Cardiology")
                .setPriority("URGENT").setStatus("OPEN").build();
        publish(referral);
        await().atMost(Duration.ofSeconds(60)).until(() -> receiver.events("/full").size() == 2);
        publish(Prescription.newBuilder().setHeader(header(PATIENT, "A81001", ProviderKind.GP, "RX-IT-1", Action.NEW, 1,
                t0.plusSeconds(7200))).setMedication("Atorvastatin 20mg tablets").setDose("One at night")
                .setRepeat(true).setMedicationCode(new Coding("https://dmd.nhs.uk", "320000009",
                        "Atorvastatin 20mg tablets")).build());
        await().atMost(Duration.ofSeconds(60)).until(() -> receiver.events("/full").size() == 3);

        List<Bundle> events = receiver.events("/full");
        assertThat(events.stream().flatMap(b -> eventNumbers(status(b)).stream()).toList()).containsExactly(1L, 2L, 3L);
        Encounter encounter = (Encounter) events.get(0).getEntry().get(1).getResource();
        assertThat(encounter.getStatus()).isEqualTo(Encounter.EncounterStatus.INPROGRESS);
        assertThat(encounter.getSubject().getReference()).isEqualTo("Patient/" + PATIENT);
        assertThat(events.get(0).getEntry().get(1).getFullUrl()).isEqualTo(base + "/Encounter/" + encounter.getIdPart());
        assertThat(events.get(1).getEntry().get(1).getResource().fhirType()).isEqualTo("ServiceRequest");
        MedicationRequest medicine = (MedicationRequest) events.get(2).getEntry().get(1).getResource();
        assertThat(medicine.getMedicationCodeableConcept().getCodingFirstRep().getCode()).isEqualTo("320000009");
        for (Bundle b : receiver.at("/full")) {
            assertThat(FhirR4Validation.errors(b)).as("notification " + param(status(b), "type")).isEmpty();
        }
        // id-only, on the admission topic: the admission only, its URL and no resource
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.events("/ids").size() == 1);
        Bundle idOnly = receiver.events("/ids").get(0);
        assertThat(idOnly.getEntry()).hasSize(2);
        assertThat(idOnly.getEntry().get(1).getFullUrl()).isEqualTo(base + "/Encounter/" + encounter.getIdPart());
        assertThat(idOnly.getEntry().get(1).hasResource()).isFalse();
        assertThat(FhirR4Validation.errors(idOnly)).isEmpty();

        // 3. a heartbeat once 60 s pass without a notification
        advance(Duration.ofSeconds(70), Duration.ofSeconds(35));
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.ofType("/full", "heartbeat").size() >= 1);
        Bundle heartbeat = receiver.ofType("/full", "heartbeat").get(0);
        assertThat(param(status(heartbeat), "events-since-subscription-start")).isEqualTo("3");
        assertThat(FhirR4Validation.errors(heartbeat)).isEmpty();

        // 4. the receiver is down for an hour: three more changes; the first is tried, numbered 4, and fails
        receiver.stop();
        Instant downAt = now.get();
        publish(Discharge.newBuilder().setHeader(header(PATIENT, "RX1", ProviderKind.ACUTE, "SPELL-IT-1/D", Action.NEW,
                1, t0.plusSeconds(86_400))).setSpellId("SPELL-IT-1").setDestination("HOME").build());
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            Parameters st = (Parameters) client.operation().onInstance("Subscription/" + fullId).named("$status")
                    .withNoParameters(Parameters.class).useHttpGet().returnResourceType(Bundle.class).execute()
                    .getEntryFirstRep().getResource();
            assertThat(param(st, "type")).isEqualTo("query-status");
            assertThat(param(st, "events-since-subscription-start")).isEqualTo("4");
            assertThat(param(st, "status")).isEqualTo("error");
        });
        publish(Appointment.newBuilder().setHeader(header(PATIENT, "A81001", ProviderKind.GP, "APPT-IT-1", Action.NEW, 1,
                t0.plusSeconds(90_000))).setStartsAt(t0.plusSeconds(200_000)).setService("GP follow-up")
                .setStatus("BOOKED").build());
        publish(Referral.newBuilder(referral).setHeader(header(PATIENT, "A81001", ProviderKind.GP, "REF-IT-1",
                Action.CANCEL, 2, t0.plusSeconds(3600))).build());
        // both are on the timeline (the read API shows them) before the hour passes; they wait behind event 4
        await().atMost(Duration.ofSeconds(60)).until(() -> client.search().forResource(
                org.hl7.fhir.r4.model.ServiceRequest.class).where(org.hl7.fhir.r4.model.ServiceRequest.PATIENT
                .hasId(PATIENT)).returnBundle(Bundle.class).execute().getEntry().stream()
                .anyMatch(e -> ((org.hl7.fhir.r4.model.ServiceRequest) e.getResource()).getStatus()
                        == org.hl7.fhir.r4.model.ServiceRequest.ServiceRequestStatus.ENTEREDINERROR)
                && client.search().forResource(org.hl7.fhir.r4.model.Appointment.class)
                .where(org.hl7.fhir.r4.model.Appointment.PATIENT.hasId(PATIENT)).returnBundle(Bundle.class).execute()
                .getTotal() == 1);
        advance(Duration.ofMinutes(60), Duration.ofMinutes(1));
        assertThat(Duration.between(downAt, now.get())).isGreaterThanOrEqualTo(Duration.ofMinutes(60));
        assertThat(receiver.events("/full")).hasSize(3);

        // 5. back: event 4 was parked after 45 minutes of failures; 5 and 6 arrive in order once the next retry is due
        receiver.start();
        advance(Duration.ofMinutes(6), Duration.ofMinutes(1));
        await().atMost(Duration.ofSeconds(60)).until(() -> receiver.events("/full").size() == 5);
        List<Bundle> after = receiver.events("/full");
        assertThat(after.stream().flatMap(b -> eventNumbers(status(b)).stream()).toList())
                .containsExactly(1L, 2L, 3L, 5L, 6L);
        assertThat(after.subList(3, 5)).extracting(b -> b.getEntry().get(1).getResource().fhirType())
                .containsExactlyInAnyOrder("Appointment", "ServiceRequest");
        for (Bundle b : after) {
            assertThat(FhirR4Validation.errors(b)).isEmpty();
        }

        // 6. the missed event, 4 (the discharge: the spell's Encounter, now finished), from Kafka with $events
        Bundle missed = client.operation().onInstance("Subscription/" + fullId).named("$events")
                .withParameter(Parameters.class, "eventsSinceNumber", new StringType("4"))
                .andParameter("eventsUntilNumber", new StringType("4")).useHttpGet()
                .returnResourceType(Bundle.class).execute();
        assertThat(missed.getType()).isEqualTo(Bundle.BundleType.HISTORY);
        assertThat(param(status(missed), "type")).isEqualTo("query-event");
        assertThat(param(status(missed), "events-since-subscription-start")).isEqualTo("6");
        assertThat(eventNumbers(status(missed))).containsExactly(4L);
        Encounter discharged = (Encounter) missed.getEntry().get(1).getResource();
        assertThat(discharged.getIdPart()).isEqualTo(encounter.getIdPart());
        assertThat(discharged.getStatus()).isEqualTo(Encounter.EncounterStatus.FINISHED);
        assertThat(FhirR4Validation.errors(missed)).isEmpty();
        Bundle all = client.operation().onInstance("Subscription/" + fullId).named("$events")
                .withParameter(Parameters.class, "eventsSinceNumber", new StringType("1")).useHttpGet()
                .returnResourceType(Bundle.class).execute();
        assertThat(eventNumbers(status(all))).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);

        // 7. the topics, and the CapabilityStatement naming them
        Bundle topics = client.search().byUrl("Basic?code=SubscriptionTopic").returnBundle(Bundle.class).execute();
        assertThat(topics.getTotal()).isEqualTo(5);
        for (Bundle.BundleEntryComponent e : topics.getEntry()) {
            assertThat(FhirR4Validation.errors(e.getResource())).isEmpty();
        }
        var cs = client.capabilities().ofType(org.hl7.fhir.r4.model.CapabilityStatement.class).execute();
        assertThat(cs.getRestFirstRep().getResource().stream().filter(r -> r.getType().equals("Subscription"))
                .findFirst().orElseThrow().getExtensionsByUrl(
                        "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/capabilitystatement-subscriptiontopic-canonical"))
                .extracting(e -> ((CanonicalType) e.getValue()).getValue())
                .contains("https://caretrail.example/SubscriptionTopic/admission");
        client.delete().resourceById("Subscription", idOnlyId).execute();
        assertThat(client.search().forResource(Subscription.class).returnBundle(Bundle.class).execute().getTotal())
                .isEqualTo(1);
    }

    @Test
    void subscriptions_that_cannot_be_served_are_refused_and_say_why() throws Exception {
        IGenericClient client = client();
        // an unknown topic, a filter the topics do not take, another channel type, XML payloads: 422, naming what
        Subscription unknownTopic = subscription("admission", "id-only", "/refused", null);
        unknownTopic.setCriteria("https://caretrail.example/SubscriptionTopic/everything-ever");
        Subscription badFilter = subscription("admission", "id-only", "/refused", null);
        badFilter.getCriteriaElement().getExtension().clear();
        badFilter.getCriteriaElement().addExtension(
                "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-filter-criteria",
                new StringType("Encounter?class=EMER"));
        Subscription websocket = subscription("admission", "id-only", "/refused", null);
        websocket.getChannel().setType(Subscription.SubscriptionChannelType.WEBSOCKET);
        Subscription xml = subscription("admission", "id-only", "/refused", null);
        xml.getChannel().setPayload("application/fhir+xml");
        Subscription badPatient = subscription("admission", "id-only", "/refused", null);
        badPatient.getCriteriaElement().getExtension().clear();
        badPatient.getCriteriaElement().addExtension(
                "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-filter-criteria",
                new StringType("Encounter?patient=Patient/9990000019"));
        Subscription tooFrequent = subscription("admission", "id-only", "/refused", 1);
        for (Map.Entry<Subscription, String> refused : Map.of(unknownTopic, "Subscription.criteria",
                badFilter, "class", websocket, "rest-hook", xml, "application/fhir+json", badPatient, "patient",
                tooFrequent, "heartbeat").entrySet()) {
            Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> client.create()
                    .resource(refused.getKey()).execute());
            assertThat(thrown).isInstanceOf(ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException.class)
                    .hasMessageContaining(refused.getValue());
        }
        // the cloud's metadata service as the endpoint: refused by the callback policy whatever the allow-list says
        Subscription metadata = subscription("admission", "id-only", "/refused", null);
        metadata.getChannel().setEndpoint("http://169.254.169.254/latest/meta-data/");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> client.create().resource(metadata).execute()))
                .isInstanceOf(ca.uhn.fhir.rest.server.exceptions.InvalidRequestException.class)
                .hasMessageContaining("Subscription.channel.endpoint");
        // RESTRICTED entries asked for by a caller without restricted access: 403
        Subscription restricted = subscription("admission", "id-only", "/refused", null);
        restricted.addExtension(FhirSubscriptionApi.ALLOW_RESTRICTED, new org.hl7.fhir.r4.model.BooleanType(true));
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> client.create().resource(restricted).execute()))
                .isInstanceOf(ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException.class);
        // no token at all: 401, as an OperationOutcome
        IGenericClient anonymous = FHIR.newRestfulGenericClient(base);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> anonymous.create()
                .resource(subscription("admission", "id-only", "/refused", null)).execute()))
                .isInstanceOf(ca.uhn.fhir.rest.server.exceptions.AuthenticationException.class);
        assertThat(receiver.at("/refused")).isEmpty();
    }

    /** A real HTTP receiver of notifications, per path, that can be stopped and started again on its port. */
    static final class Receiver {
        private final int port;
        private final Map<String, List<Bundle>> received = new ConcurrentHashMap<>();
        private final Map<String, List<String>> authorizations = new ConcurrentHashMap<>();
        private HttpServer server;

        Receiver(int port) {
            this.port = port;
        }

        String url(String path) {
            return "http://127.0.0.1:" + port + path;
        }

        synchronized void start() {
            try {
                server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 50);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            server.createContext("/", exchange -> {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                String path = exchange.getRequestURI().getPath();
                Bundle bundle = FHIR.newJsonParser().parseResource(Bundle.class, body);
                received.computeIfAbsent(path, k -> new CopyOnWriteArrayList<>()).add(bundle);
                authorizations.computeIfAbsent(path, k -> new CopyOnWriteArrayList<>())
                        .add(exchange.getRequestHeaders().getFirst("Authorization"));
                exchange.sendResponseHeaders(200, -1);
                exchange.close();
            });
            server.start();
        }

        synchronized void stop() {
            if (server != null) {
                server.stop(0);
                server = null;
            }
        }

        List<Bundle> at(String path) {
            return new ArrayList<>(received.getOrDefault(path, List.of()));
        }

        List<Bundle> ofType(String path, String type) {
            return at(path).stream().filter(b -> type.equals(param(status(b), "type"))).toList();
        }

        /** The event notifications, each once (a repeat of a delivery keeps its first place). */
        List<Bundle> events(String path) {
            List<Bundle> unique = new ArrayList<>();
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (Bundle b : ofType(path, "event-notification")) {
                if (seen.add(b.getIdElement().getIdPart())) {
                    unique.add(b);
                }
            }
            return unique;
        }

        List<String> authorizations(String path) {
            return authorizations.getOrDefault(path, List.of());
        }
    }
}
