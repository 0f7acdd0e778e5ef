package org.caretrail.it.faults;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.hl7v2.DefaultHapiContext;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.app.Connection;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.util.Terser;
import ca.uhn.hl7v2.validation.impl.ValidationContextFactory;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.caretrail.deploy.infra.KafkaCluster;
import org.caretrail.deploy.infra.KafkaSecurity;
import org.caretrail.deploy.infra.PrincipalsApplier;
import org.caretrail.events.kafka.KafkaClientSettings;
import org.caretrail.events.topic.CarePrincipal;
import org.caretrail.deploy.infra.TopicsApplier;
import org.caretrail.events.model.ChangeKind;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.topic.TopicSpec;
import org.caretrail.events.topic.Topics;
import org.caretrail.it.RealInfrastructure;
import org.caretrail.producers.hl7.AdtMessageBuilder;
import org.caretrail.producers.publisher.CarePublisher;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A real three-broker KRaft cluster (three JVMs from Apache's jars, topics at 3 copies with 2 in sync)
 * under two CareTrail instances (each its own {@code caretrail up} JVM on the cluster, one standby
 * replica of the timeline state):
 * <ol>
 *   <li>HL7v2 ADT over MLLP (HAPI's client) and care events through the publisher library flow while the
 *       broker leading the most partitions is killed with SIGKILL and, later, started again. Every
 *       event acknowledged (an MLLP AA, a completed publisher future) must be on the timeline exactly
 *       once (one ADDED change on care.timeline-changes, read committed), the API must go on answering
 *       (the longest gap between answers is measured), and nothing may sit in the dead-letter topic.</li>
 *   <li>One CareTrail instance is killed with SIGKILL: every patient's timeline must be answered by the
 *       other within a measured time.</li>
 * </ol>
 * The figures are printed for the README. Run alone: {@code mvn -B test -Dgroups=cluster}.
 */
@Tag("cluster")
class ClusterFaultsIT {

    private static final int PATIENTS = 40;
    private static final Duration LOAD_BEFORE_KILL = Duration.ofSeconds(10);
    private static final Duration BROKER_DOWN = Duration.ofSeconds(25);
    private static final Duration LOAD_AFTER_RESTART = Duration.ofSeconds(10);

    @Test
    void aBrokerAndThenAnInstanceDieUnderLoadAndNothingAcknowledgedIsLost() throws Exception {
        Path data = Files.createTempDirectory(Files.createDirectories(Path.of("target", "it-data")), "cluster-");
        String registryUrl = RealInfrastructure.registryUrl();
        // the cluster profile is secured: TLS, a SCRAM principal per component, ACLs
        KafkaSecurity security = KafkaSecurity.generate(data.resolve("kafka-security"), 3);
        try (KafkaCluster cluster = KafkaCluster.start(data, 3, 0, System.getProperty("java.class.path"),
                Duration.ofSeconds(180), security)) {
            KafkaClientSettings bootstrap = security.client(cluster.bootstrapServers(), CarePrincipal.ADMIN);
            new PrincipalsApplier(bootstrap, security).apply();
            new TopicsApplier(bootstrap).apply();
            assertReplicatedThreeWithTwoInSync(bootstrap);
            // the two instances forward queries to each other, signed with one shared peer secret
            Path peerSecret = data.resolve("peer-secret");
            Files.writeString(peerSecret, java.util.UUID.randomUUID() + "-" + java.util.UUID.randomUUID() + "\n");
            List<String> options = List.of("--bootstrap-servers", cluster.bootstrapServers(), "--schema-registry-url",
                    registryUrl, "--standby-replicas", "1", "--patients", "0", "--kafka-security-dir",
                    security.dir().toString(), "--peer-secret-file", peerSecret.toString());
            try (PlatformProcess a = new PlatformProcess("cluster-a", options);
                 PlatformProcess b = new PlatformProcess("cluster-b", options)) {
                a.start();
                b.start();
                a.awaitUp(Duration.ofMinutes(4));
                b.awaitUp(Duration.ofMinutes(4));
                List<String> patients = FaultEvents.patients(PATIENTS, 880_000);
                Topics topics = new Topics(new RestSchemaRegistry(registryUrl));

                Load load = new Load(a, security.client(cluster.bootstrapServers(), CarePrincipal.ADAPTERS), registryUrl,
                        patients);
                load.start();
                Thread.sleep(LOAD_BEFORE_KILL.toMillis());
                int victim = leaderOfMostPartitions(bootstrap);
                long killedAt = System.nanoTime();
                cluster.kill(victim);
                System.out.printf("killed broker %d (it led the most partitions) after %d s of load%n", victim,
                        LOAD_BEFORE_KILL.toSeconds());
                Thread.sleep(BROKER_DOWN.toMillis());
                cluster.restart(victim, Duration.ofSeconds(120));
                System.out.printf("broker %d started again %.1f s after the kill%n", victim,
                        (System.nanoTime() - killedAt) / 1e9);
                Thread.sleep(LOAD_AFTER_RESTART.toMillis());
                load.stop();

                // every acknowledged event on the timeline exactly once
                Map<String, Integer> added = addedChangesBySubject(bootstrap, topics, load.acknowledged.keySet(),
                        Duration.ofMinutes(3));
                List<String> missing = new ArrayList<>();
                List<String> duplicated = new ArrayList<>();
                for (String subject : load.acknowledged.keySet()) {
                    int n = added.getOrDefault(subject, 0);
                    if (n == 0) {
                        missing.add(subject);
                    } else if (n > 1) {
                        duplicated.add(subject);
                    }
                }
                long deadLetters = committedRecords(bootstrap, CareTopics.DEAD_LETTER);
                long hl7Ack = load.acknowledged.values().stream().filter("mllp"::equals).count();
                long pubAck = load.acknowledged.size() - hl7Ack;
                System.out.printf("broker kill under load: HL7 sent %d, AA %d; publisher sent %d, acknowledged %d; "
                        + "acknowledged on the timeline exactly once %d of %d (missing %d, duplicated %d); dead letters "
                        + "%d; API answers %d, failures %d, longest gap between answers %d ms%n", load.hl7Sent.get(),
                        hl7Ack, load.published.get(), pubAck, load.acknowledged.size() - missing.size()
                        - duplicated.size(), load.acknowledged.size(), missing.size(), duplicated.size(), deadLetters,
                        load.apiAnswers.get(), load.apiFailures.get(), load.longestGapMs.get());
                assertThat(hl7Ack).as("HL7 messages acknowledged").isGreaterThan(50);
                assertThat(pubAck).as("publisher events acknowledged").isGreaterThan(200);
                assertThat(missing).as("acknowledged but not on the timeline").isEmpty();
                assertThat(duplicated).as("on the timeline more than once").isEmpty();
                assertThat(deadLetters).as("records in care.dead-letter").isZero();
                assertThat(load.apiAnswers.get()).isPositive();

                // kill -9 one instance: the other answers for every patient
                Map<String, Integer> expected = new HashMap<>();
                load.acknowledged.forEach((subject, way) -> expected.merge(load.patientOf.get(subject), 1,
                        Integer::sum));
                ProcessHandle bJvm = b.platformJvm().orElseThrow();
                long instanceKilled = System.nanoTime();
                bJvm.destroyForcibly();
                bJvm.onExit().get(30, TimeUnit.SECONDS);
                Map<String, Long> answeredAfter = new ConcurrentHashMap<>();
                long deadline = instanceKilled + Duration.ofMinutes(3).toNanos();
                while (answeredAfter.size() < expected.size() && System.nanoTime() < deadline) {
                    for (Map.Entry<String, Integer> patient : expected.entrySet()) {
                        if (answeredAfter.containsKey(patient.getKey())) {
                            continue;
                        }
                        HttpResponse<String> r = a.get(a.httpPort, "/api/v1/patients/" + patient.getKey()
                                + "/timeline?size=1");
                        if (r.statusCode() == 200 && org.caretrail.events.json.CareEventJson.mapper().readTree(r.body())
                                .path("summary").path("currentEntries").asInt() >= patient.getValue()) {
                            answeredAfter.put(patient.getKey(), (System.nanoTime() - instanceKilled) / 1_000_000);
                        }
                    }
                    Thread.sleep(200);
                }
                long slowest = answeredAfter.values().stream().mapToLong(Long::longValue).max().orElse(-1);
                System.out.printf("instance kill -9: the other instance answered all %d of %d patients (with all their "
                        + "entries) within %d ms of the kill%n", answeredAfter.size(), expected.size(), slowest);
                assertThat(answeredAfter.keySet()).as("patients answered by the surviving instance")
                        .containsExactlyInAnyOrderElementsOf(expected.keySet());
            }
        }
    }

    /** HL7 over MLLP to instance A and events through the publisher, plus an API poller, until stopped. */
    private static final class Load {
        final Map<String, String> acknowledged = new ConcurrentHashMap<>();
        final Map<String, String> patientOf = new ConcurrentHashMap<>();
        final AtomicLong hl7Sent = new AtomicLong();
        final AtomicLong published = new AtomicLong();
        final AtomicLong apiAnswers = new AtomicLong();
        final AtomicLong apiFailures = new AtomicLong();
        final AtomicLong longestGapMs = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<Thread> threads = new ArrayList<>();
        private final PlatformProcess a;
        private final KafkaClientSettings bootstrap;
        private final String registryUrl;
        private final List<String> patients;

        Load(PlatformProcess a, KafkaClientSettings bootstrap, String registryUrl, List<String> patients) {
            this.a = a;
            this.bootstrap = bootstrap;
            this.registryUrl = registryUrl;
            this.patients = patients;
        }

        void start() {
            threads.add(new Thread(this::hl7, "load-hl7"));
            threads.add(new Thread(this::publisher, "load-publisher"));
            threads.add(new Thread(this::api, "load-api"));
            threads.forEach(Thread::start);
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) {
                t.join(120_000);
            }
        }

        private void hl7() {
            Instant t0 = Instant.now().minus(20, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
            try (HapiContext hapi = new DefaultHapiContext(Executors.newCachedThreadPool())) {
                hapi.setValidationContext(ValidationContextFactory.noValidation());
                Connection connection = null;
                for (int i = 0; running.get(); i++) {
                    String patient = patients.get(i % patients.size());
                    String visit = "CL-" + UUID.randomUUID();
                    Instant at = t0.plusSeconds(60L * i);
                    String message = AdtMessageBuilder.adt("A01", "CL" + i, at).facility("RJ1").nhsNumber(patient)
                            .localId("4" + (1000000 + i), "MRENTR").visitNumber(visit).location("WARD 7", "ST THOMAS")
                            .admissionType("21").admitTime(at).build();
                    hl7Sent.incrementAndGet();
                    try {
                        if (connection == null) {
                            connection = hapi.newClient("127.0.0.1", a.mllpPort, false);
                            connection.getInitiator().setTimeout(30, TimeUnit.SECONDS);
                        }
                        Message ack = connection.getInitiator().sendAndReceive(hapi.getPipeParser().parse(message));
                        if ("AA".equals(new Terser(ack).get("/MSA-1"))) {
                            acknowledged.put(visit, "mllp");
                            patientOf.put(visit, patient);
                        }
                    } catch (Exception e) {
                        // not acknowledged: the sender would send it again; it need not be on the timeline
                        if (connection != null) {
                            connection.close();
                        }
                        connection = null;
                    }
                }
                if (connection != null) {
                    connection.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        private void publisher() {
            Instant t0 = Instant.now().minus(10, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
            try (CarePublisher publisher = CarePublisher.connect(bootstrap, registryUrl)) {
                List<java.util.concurrent.CompletableFuture<?>> pending = new ArrayList<>();
                for (int i = 0; running.get(); i++) {
                    String patient = patients.get(i % patients.size());
                    var event = FaultEvents.attendance(patient, t0.plusSeconds(30L * i));
                    String subject = event.getHeader().getSubjectId();
                    published.incrementAndGet();
                    pending.add(publisher.publish(event).thenRun(() -> {
                        acknowledged.put(subject, "publisher");
                        patientOf.put(subject, patient);
                    }));
                    Thread.sleep(20); // about 50 events a second
                }
                for (var f : pending) {
                    try {
                        f.get(180, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        // not acknowledged (the publisher was told): need not be on the timeline
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void api() {
            long lastAnswer = System.nanoTime();
            String patient = patients.get(0);
            while (running.get()) {
                try {
                    HttpResponse<String> r = a.get(a.httpPort, "/api/v1/patients/" + patient + "/timeline?size=1");
                    if (r.statusCode() == 200 || r.statusCode() == 404) {
                        long now = System.nanoTime();
                        longestGapMs.accumulateAndGet((now - lastAnswer) / 1_000_000, Math::max);
                        lastAnswer = now;
                        apiAnswers.incrementAndGet();
                    } else {
                        apiFailures.incrementAndGet();
                    }
                } catch (Exception e) {
                    apiFailures.incrementAndGet();
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
            longestGapMs.accumulateAndGet((System.nanoTime() - lastAnswer) / 1_000_000, Math::max);
        }
    }

    private static void assertReplicatedThreeWithTwoInSync(KafkaClientSettings bootstrap) throws Exception {
        try (Admin admin = Admin.create(bootstrap.config())) {
            List<String> names = CareTopics.all().stream().map(TopicSpec::name).toList();
            Map<String, TopicDescription> topics = admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
            assertThat(topics.values()).allSatisfy(t -> assertThat(t.partitions())
                    .allSatisfy(p -> assertThat(p.replicas()).hasSize(3)));
            var configs = admin.describeConfigs(names.stream()
                    .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList()).all().get(30, TimeUnit.SECONDS);
            assertThat(configs.values()).allSatisfy(c -> assertThat(c.get("min.insync.replicas").value())
                    .isEqualTo("2"));
        }
    }

    /** The broker that leads the most partitions of CareTrail's topics and the stream processor's. */
    private static int leaderOfMostPartitions(KafkaClientSettings bootstrap) throws Exception {
        try (Admin admin = Admin.create(bootstrap.config())) {
            Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            Map<Integer, Integer> led = new HashMap<>();
            for (TopicDescription t : admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS).values()) {
                t.partitions().forEach(p -> led.merge(p.leader().id(), 1, Integer::sum));
            }
            System.out.println("partitions led per broker: " + led);
            return led.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        }
    }

    /** ADDED changes per entry subject, read committed, until every wanted subject is seen (or the timeout). */
    private static Map<String, Integer> addedChangesBySubject(KafkaClientSettings bootstrap, Topics topics, Set<String> wanted,
            Duration timeout) {
        Map<String, Integer> added = new HashMap<>();
        var reader = topics.timelineChanges().valueSerde().deserializer();
        try (KafkaConsumer<String, byte[]> consumer = committedConsumer(bootstrap, CareTopics.TIMELINE_CHANGES)) {
            long deadline = System.nanoTime() + timeout.toNanos();
            long quietUntil = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, quietUntil)) {
                consumer.poll(Duration.ofMillis(500)).forEach(r -> {
                    TimelineChange change = reader.deserialize(r.topic(), r.value());
                    if (change.getKind() == ChangeKind.ADDED) {
                        added.merge(change.getEntry().getSubjectId(), 1, Integer::sum);
                    }
                });
                if (quietUntil == Long.MAX_VALUE && added.keySet().containsAll(wanted)) {
                    quietUntil = System.nanoTime() + Duration.ofSeconds(5).toNanos(); // then look for duplicates
                }
            }
        }
        return added;
    }

    private static long committedRecords(KafkaClientSettings bootstrap, String topic) {
        long count = 0;
        try (KafkaConsumer<String, byte[]> consumer = committedConsumer(bootstrap, topic)) {
            long quiet = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() < quiet) {
                count += consumer.poll(Duration.ofMillis(500)).count();
            }
        }
        return count;
    }

    private static KafkaConsumer<String, byte[]> committedConsumer(KafkaClientSettings bootstrap, String topic) {
        KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(bootstrap.config(Map.<String, Object>of(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")), new StringDeserializer(),
                new ByteArrayDeserializer());
        List<TopicPartition> partitions = c.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        c.assign(partitions);
        c.seekToBeginning(partitions);
        return c;
    }
}
