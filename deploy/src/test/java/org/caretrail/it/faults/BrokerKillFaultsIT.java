package org.caretrail.it.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.producers.publisher.CarePublisher;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of the embedded broker under a running {@code caretrail up} (its own JVM, started by the real
 * script): {@code /health} must go DOWN within seconds naming the broker, the supervisor must start the
 * broker again and say so, {@code /health} must come back UP, events published after the recovery must
 * reach the timeline API, and SIGTERM must then stop everything in bounded time.
 */
@Tag("faults")
class BrokerKillFaultsIT {

    @Test
    void aKilledBrokerIsNoticedRestartedAndThePlatformCarriesOn() throws Exception {
        try (PlatformProcess up = new PlatformProcess("broker-kill", List.of("--patients", "0"))) {
            up.start().awaitUp(Duration.ofMinutes(3));
            awaitHealth(up, 200, "\"broker\":\"UP\"", Duration.ofSeconds(30));
            long broker = up.childPid("kafka").orElseThrow();

            ProcessHandle.of(broker).orElseThrow().destroyForcibly(); // kill -9
            long killed = System.nanoTime();
            HttpResponse<String> down = awaitHealth(up, 503, "\"broker\":\"DOWN\"", Duration.ofSeconds(30));
            double noticed = (System.nanoTime() - killed) / 1e9;
            assertThat(down.body()).contains("cannot reach Kafka");
            assertThat(up.get(up.healthPort, "/health/live").statusCode()).as("a broker away is not a reason to "
                    + "restart CareTrail").isEqualTo(200);

            awaitHealth(up, 200, "\"broker\":\"UP\"", Duration.ofSeconds(120));
            double recovered = (System.nanoTime() - killed) / 1e9;
            long newBroker = up.childPid("kafka").orElseThrow();
            assertThat(newBroker).isNotEqualTo(broker);
            assertThat(up.output()).contains("the Kafka broker (pid " + broker + ") exited unexpectedly")
                    .contains("the Kafka broker is back (pid " + newBroker + ")");

            // events published after the recovery reach the timeline
            String patient = FaultEvents.patients(1, 770_000).get(0);
            Instant t0 = Instant.now().minus(Duration.ofDays(30)).truncatedTo(ChronoUnit.SECONDS);
            int events = 20;
            try (CarePublisher publisher = CarePublisher.connect(up.kafka(org.caretrail.events.topic.CarePrincipal.ADAPTERS), up.registryUrl())) {
                CompletableFuture<?>[] sent = new CompletableFuture<?>[events];
                for (int i = 0; i < events; i++) {
                    sent[i] = publisher.publish(FaultEvents.attendance(patient, t0.plusSeconds(3600L * i)));
                }
                CompletableFuture.allOf(sent).get(60, TimeUnit.SECONDS);
            }
            long published = System.nanoTime();
            JsonNode timeline = null;
            String lastAnswer = "none";
            while (System.nanoTime() - published < Duration.ofSeconds(120).toNanos()) {
                HttpResponse<String> r = up.get(up.httpPort, "/api/v1/patients/" + patient + "/timeline?size=100");
                lastAnswer = r.statusCode() + " " + r.body().substring(0, Math.min(300, r.body().length()));
                if (r.statusCode() == 200) {
                    timeline = CareEventJson.mapper().readTree(r.body());
                    if (timeline.path("entries").size() >= events) {
                        break;
                    }
                }
                Thread.sleep(500);
            }
            double onTimeline = (System.nanoTime() - published) / 1e9;
            assertThat(timeline).as("the patient's timeline after recovery; last answer %s; output:%n%s", lastAnswer,
                    up.output()).isNotNull();
            assertThat(timeline.path("entries").size()).isEqualTo(events);

            // SIGTERM: everything stops in bounded time
            ProcessHandle jvm = up.platformJvm().orElseThrow();
            long registry = up.childPid("registry").orElseThrow();
            long term = System.nanoTime();
            jvm.destroy();
            jvm.onExit().get(45, TimeUnit.SECONDS);
            double stopped = (System.nanoTime() - term) / 1e9;
            System.out.printf("broker kill -9: /health DOWN after %.1f s, UP again after %.1f s; %d events published "
                    + "after recovery on the timeline in %.1f s; SIGTERM stopped everything in %.1f s%n", noticed,
                    recovered, events, onTimeline, stopped);
            assertThat(ProcessHandle.of(newBroker).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(ProcessHandle.of(registry).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(up.output()).contains("Stopped (");
        }
    }

    /**
     * SIGTERM while Kafka is away (an external broker, killed, so nothing restarts it): the platform must
     * still stop within seconds; a service still waiting for Kafka is left behind with a warning.
     */
    @Test
    void sigtermStopsInBoundedTimeWhileKafkaIsAway() throws Exception {
        java.nio.file.Path data = java.nio.file.Files.createTempDirectory(java.nio.file.Files.createDirectories(
                java.nio.file.Path.of("target", "it-data")), "external-kafka-");
        org.caretrail.deploy.infra.EmbeddedKafkaBroker broker = org.caretrail.deploy.infra.EmbeddedKafkaBroker.start(
                data, org.caretrail.deploy.infra.Ports.free(), System.getProperty("java.class.path"),
                Duration.ofSeconds(90));
        try (PlatformProcess up = new PlatformProcess("kafka-away", List.of("--bootstrap-servers",
                broker.bootstrapServers(), "--schema-registry-url", org.caretrail.it.RealInfrastructure.registryUrl(),
                "--patients", "50", "--rate", "20"))) {
            up.start().awaitUp(Duration.ofMinutes(3));
            broker.kill();
            awaitHealth(up, 503, "\"broker\":\"DOWN\"", Duration.ofSeconds(30));
            Thread.sleep(3_000); // let the simulator and the stream processor run into the missing broker
            ProcessHandle jvm = up.platformJvm().orElseThrow();
            long term = System.nanoTime();
            jvm.destroy();
            jvm.onExit().get(60, TimeUnit.SECONDS);
            double stopped = (System.nanoTime() - term) / 1e9;
            System.out.printf("SIGTERM with Kafka away: stopped in %.1f s%n", stopped);
            assertThat(stopped).as("stop time with Kafka away").isLessThan(30);
            assertThat(up.output()).contains("Stopped (");
        } finally {
            broker.close();
        }
    }

    private static HttpResponse<String> awaitHealth(PlatformProcess up, int status, String containing,
            Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpResponse<String> last = null;
        while (System.nanoTime() < deadline) {
            last = up.get(up.healthPort, "/health");
            if (last.statusCode() == status && last.body().contains(containing)) {
                return last;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("health was not " + status + " with " + containing + " within " + timeout
                + "; last: " + (last == null ? "none" : last.statusCode() + " " + last.body()) + "\n" + up.output());
    }
}
