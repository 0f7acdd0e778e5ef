package org.caretrail.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.caretrail.deploy.cli.CareTrail;
import org.caretrail.deploy.http.PlatformHttpServer;
import org.caretrail.deploy.infra.EmbeddedKafkaBroker;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.timeline.TimelineApplication;
import org.caretrail.timeline.TimelineSettings;
import org.caretrail.timeline.query.TimelineApi;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The README's walk-through on the real broker and registry: events published with
 * {@code caretrail publish} come back through the HTTP API, and {@code caretrail timeline}, as
 * one ordered timeline joining several provider kinds.
 */
@Tag("integration")
class CliEndToEndIT {

    @Test
    void eventsPublishedThroughTheCliComeBackAsOneOrderedTimelineAcrossProviderKinds() throws Exception {
        try (EmbeddedKafkaBroker broker = RealInfrastructure.newBroker()) {
            Topics topics = new Topics(new RestSchemaRegistry(RealInfrastructure.registryUrl()));
            Path state = Files.createTempDirectory(Files.createDirectories(Path.of("target/it-data")), "cli-state-");
            TimelineSettings settings = TimelineSettings.defaults()
                    .with(TimelineSettings.APPLICATION_ID, "it-cli-" + System.nanoTime())
                    .with(TimelineSettings.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                    .with(TimelineSettings.STATE_DIR, state);
            try (TimelineApplication app = new TimelineApplication(settings, topics);
                 PlatformHttpServer http = new PlatformHttpServer("127.0.0.1", 0, () -> "")) {
                app.start();
                assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
                http.mount(TimelineApi.PATH_PREFIX, app.api()).start();
                String api = "http://127.0.0.1:" + http.port();

                assertThat(run("publish", "../examples/care-events.jsonl", "--bootstrap-servers", broker.bootstrapServers(),
                        "--schema-registry-url", RealInfrastructure.registryUrl()).exit).isZero();

                // the social-care package arrives with a local id only and is placed when its LINK arrives
                JsonNode[] timeline = new JsonNode[1];
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
                    Result r = run("timeline", "9912003888", "--api-url", api, "--json");
                    if (r.exit != 0) {
                        return false;
                    }
                    timeline[0] = CareEventJson.mapper().readTree(r.out);
                    return timeline[0].path("entries").size() >= 11;
                });
                List<Instant> times = new ArrayList<>();
                Set<String> kinds = new HashSet<>();
                List<String> types = new ArrayList<>();
                for (JsonNode entry : timeline[0].path("entries")) {
                    times.add(Instant.parse(entry.path("occurredAt").asText()));
                    kinds.add(entry.path("source").path("kind").asText());
                    types.add(entry.path("type").asText());
                }
                assertThat(times).isSorted();
                assertThat(kinds).contains("GP", "ACUTE", "AMBULANCE", "SOCIAL_CARE").hasSizeGreaterThanOrEqualTo(4);
                assertThat(types).containsSubsequence("AMBULANCE_CONVEYANCE", "ATTENDANCE", "ADMISSION", "TRANSFER", "DISCHARGE", "DEATH");

                Result readable = run("timeline", "991 200 3888", "--api-url", api);
                assertThat(readable.exit).isZero();
                assertThat(readable.out).contains("Timeline for NHS number 991 200 3888")
                        .contains("Registered GP practice: The Synthetic Street Surgery (A81001)")
                        .contains("Deceased")
                        .containsPattern("Open referral: Referral to Cardiology.*, waiting \\d+ days")
                        .contains("Medication: Atorvastatin 20mg tablets");

                Result invalid = run("timeline", "9409401122", "--api-url", api);
                assertThat(invalid.exit).isEqualTo(2);
                assertThat(invalid.err).contains("Modulus 11");
            }
        }
    }

    private record Result(int exit, String out, String err) {
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = CareTrail.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Result(exit, out.toString(), err.toString());
    }
}
