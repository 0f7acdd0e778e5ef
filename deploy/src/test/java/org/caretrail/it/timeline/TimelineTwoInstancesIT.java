package org.caretrail.it.timeline;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.caretrail.deploy.http.ApiAccess;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.events.CareEventType;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.it.RealInfrastructure;
import org.caretrail.timeline.TimelineApplication;
import org.caretrail.timeline.TimelineSettings;
import org.caretrail.timeline.query.TimelineApi;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two stream-processor instances share the partitions (with a standby replica each) and BOTH
 * answer for EVERY patient: the owner from its stores, the other by forwarding (queryMetadataForKey).
 */
@Tag("integration")
class TimelineTwoInstancesIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    record Instance(TimelineApplication app, HttpServer server, HttpServer peers) {
        String url(String nhs) {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/api/v1/patients/" + nhs + "/timeline";
        }
    }

    @Test
    void anyInstanceAnswersForAnyPatient() throws Exception {
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker()) {
            Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
            List<String> patients = new ArrayList<>();
            Instant t0 = Instant.now().minus(Duration.ofDays(3)).truncatedTo(ChronoUnit.SECONDS);
            try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers",
                    broker.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
                for (int p = 0; patients.size() < 12; p++) {
                    var nhs = NhsNumber.withCheckDigit(String.format("999%06d", 700_000 + p));
                    if (nhs.isEmpty()) {
                        continue;
                    }
                    patients.add(nhs.get().value());
                    for (int i = 0; i <= patients.size(); i++) {
                        Attendance a = attendance(nhs.get().value(), t0.plus(Duration.ofMinutes(i)));
                        var topic = topics.events(CareEventType.ATTENDANCE);
                        producer.send(new ProducerRecord<>(topic.name(), nhs.get().value(),
                                topic.valueSerde().serializer().serialize(topic.name(), a)));
                    }
                }
                producer.flush();
            }
            String appId = "it-two-" + UUID.randomUUID();
            Instance first = start(appId, broker, topics);
            Instance second = start(appId, broker, topics);
            try {
                HttpClient client = HttpClient.newHttpClient();
                for (int i = 0; i < patients.size(); i++) {
                    String nhs = patients.get(i);
                    int expected = i + 2;
                    for (Instance instance : List.of(first, second)) {
                        HttpResponse<String> r;
                        try {
                            r = await().atMost(Duration.ofSeconds(90))
                                .pollInterval(Duration.ofMillis(500))
                                .until(() -> client.send(authorized(instance.url(nhs)),
                                        HttpResponse.BodyHandlers.ofString()),
                                        resp -> resp.statusCode() == 200 && entries(resp.body()) == expected);
                        } catch (org.awaitility.core.ConditionTimeoutException e) {
                            diagnose(nhs, first, second);
                            throw e;
                        }
                        JsonNode page = JSON.readTree(r.body());
                        assertThat(page.get("nhsNumber").asText()).isEqualTo(nhs);
                    }
                }
                // and some answers were forwarded: each instance owns only some partitions
                long forwarded = 0;
                for (String nhs : patients) {
                    for (Instance instance : List.of(first, second)) {
                        forwarded += client.send(authorized(instance.url(nhs)),
                                HttpResponse.BodyHandlers.ofString()).headers().firstValue("X-CareTrail-Served-By")
                                .isPresent() ? 1 : 0;
                    }
                }
                assertThat(forwarded).isEqualTo(patients.size());
            } finally {
                stop(first);
                stop(second);
            }
        }
    }

    private static final String TOKEN = "two-instances-" + java.util.UUID.randomUUID();
    private static final ApiAccess ACCESS;

    static {
        try {
            // both instances share the peer secret: a forwarded query carries it, never the caller's token
            ACCESS = ApiAccess.bearer(TOKEN).withPeers(org.caretrail.deploy.security.PeerCredential.loadOrCreate(
                    Files.createDirectories(Path.of("target/it-data")).resolve("peer-secret-" + UUID.randomUUID())));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static HttpRequest authorized(String url) {
        return HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + TOKEN).build();
    }

    private static Instance start(String appId, EmbeddedKafkaBroker broker, Topics topics) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.start();
        // the peer port, as the platform serves it: HTTPS, a client certificate from the same peer secret required
        javax.net.ssl.SSLContext tls = ACCESS.peers().orElseThrow().tls(java.util.List.of("127.0.0.1"));
        com.sun.net.httpserver.HttpsServer peers = com.sun.net.httpserver.HttpsServer.create(
                new InetSocketAddress("127.0.0.1", 0), 0);
        peers.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls) {
            @Override
            public void configure(com.sun.net.httpserver.HttpsParameters params) {
                params.setNeedClientAuth(true);
            }
        });
        peers.start();
        Path state = Files.createTempDirectory(Path.of("target"), "timeline-state-");
        TimelineSettings settings = TimelineSettings.defaults()
                .with(TimelineSettings.APPLICATION_ID, appId)
                .with(TimelineSettings.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .with(TimelineSettings.STATE_DIR, state)
                .with(TimelineSettings.NUM_STANDBY_REPLICAS, 1)
                .with(TimelineSettings.APPLICATION_SERVER, "127.0.0.1:" + peers.getAddress().getPort());
        TimelineApplication app = new TimelineApplication(settings, topics);
        app.start();
        // both instances behind the same access settings; forwarded queries are signed with the peer credential
        var api = ACCESS.guard(app.api().forwardingWith(ACCESS.peers().orElseThrow()::sign, tls));
        server.createContext(TimelineApi.PATH_PREFIX, api);
        peers.createContext(TimelineApi.PATH_PREFIX, api);
        assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
        return new Instance(app, server, peers);
    }

    private static void diagnose(String nhs, Instance... instances) {
        for (Instance i : instances) {
            var s = i.app().streams();
            System.out.println("DIAG " + nhs + " on :" + i.server().getAddress().getPort() + " state " + s.state()
                    + " meta " + s.queryMetadataForKey(org.caretrail.timeline.processor.TimelineStores.SUMMARIES, nhs,
                    new StringSerializer()).activeHost() + " partition " + s.queryMetadataForKey(
                    org.caretrail.timeline.processor.TimelineStores.SUMMARIES, nhs, new StringSerializer()).partition()
                    + " tasks " + s.metadataForLocalThreads().stream().flatMap(t -> t.activeTasks().stream())
                    .map(t -> t.taskId().toString()).sorted().toList()
                    + " local " + local(i, nhs));
        }
    }

    private static String local(Instance i, String nhs) {
        try {
            return i.app().queries().page(org.caretrail.timeline.query.TimelineQuery.firstPage(nhs))
                    .map(p -> p.entries().size() + " entries").orElse("unknown patient");
        } catch (org.apache.kafka.streams.errors.InvalidStateStoreException e) {
            return "not queryable here: " + e.getMessage();
        }
    }

    private static int entries(String body) {
        try {
            return JSON.readTree(body).get("entries").size();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void stop(Instance instance) {
        instance.server().stop(0);
        instance.peers().stop(0);
        instance.app().close();
    }

    private static Attendance attendance(String nhs, Instant at) {
        EventHeader header = EventHeader.newBuilder()
                .setEventId(UUID.randomUUID().toString()).setAction(Action.NEW)
                .setSubjectId("ae-" + UUID.randomUUID()).setVersion(1)
                .setOccurredAt(at).setRecordedAt(at.plusSeconds(5))
                .setSource(new Source("RJ1", null, ProviderKind.ACUTE, "it"))
                .setPatient(PatientRef.newBuilder().setNhsNumber(nhs).build())
                .setSensitivity(Sensitivity.NORMAL).build();
        return Attendance.newBuilder().setHeader(header).setDepartment("ED").build();
    }
}
