package org.caretrail.deploy.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.caretrail.deploy.infra.TopicsApplier;
import org.caretrail.events.topic.CarePrincipal;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.timeline.TimelineApplication;
import org.caretrail.timeline.TimelineRebuild;
import org.caretrail.timeline.TimelineSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "rebuild", mixinStandardHelpOptions = true,
        description = {"Rebuild every timeline from the retained event topics, side by side with the live ones: a stream",
            "processor with a new application id reads every event topic from the start and writes to suffixed output",
            "topics (care.timelines<SUFFIX>, care.timeline-changes<SUFFIX>). Runs until it has caught up, then, with",
            "--compare, compares every patient's rebuilt timeline with the live one. The live outputs are not touched."})
final class RebuildCommand implements Callable<Integer> {

    @Option(names = "--application-id", required = true, description = "A new application id, e.g. caretrail-timeline-v3")
    String applicationId;

    @Option(names = "--suffix", defaultValue = ".rebuild", description = "Suffix of the rebuilt output topics (default: ${DEFAULT-VALUE})")
    String suffix;

    @Option(names = "--state-dir", description = "State directory of the rebuild (default: data/streams-<application id>)")
    Path stateDir;

    @Option(names = "--compare", description = "Compare every rebuilt timeline with the live one when caught up")
    boolean compare;

    @Option(names = "--timeout", defaultValue = "PT1H", description = "Give up after this long (default: ${DEFAULT-VALUE})")
    Duration timeout;

    @Mixin
    ConnectionOptions connection;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        TimelineSettings live = TimelineSettings.defaults().withKafkaClient(connection.kafka(CarePrincipal.ADMIN));
        TimelineSettings rebuild = TimelineRebuild.settings(live, applicationId, suffix)
                .with(TimelineSettings.STATE_DIR, stateDir != null ? stateDir : Path.of("data", "streams-" + applicationId));
        new TopicsApplier(connection.kafka(CarePrincipal.ADMIN)).apply(TimelineRebuild.outputTopics(rebuild));
        Topics topics = new Topics(new RestSchemaRegistry(connection.schemaRegistryUrl()));
        ConsoleProgress progress = new ConsoleProgress(spec.commandLine().getErr());
        try (TimelineApplication app = new TimelineApplication(rebuild, topics);
             Admin admin = Admin.create(connection.kafka(CarePrincipal.ADMIN).config())) {
            app.start();
            if (!app.awaitRunning(Duration.ofMinutes(2))) {
                throw new IllegalStateException("the rebuild did not start within 2 minutes (state " + app.state() + ")");
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            long lag;
            while ((lag = TimelineRebuild.lag(admin, rebuild)) > 0) {
                progress.show(-1, String.format("rebuilding: %,d records still to read", lag), false);
                if (System.nanoTime() > deadline) {
                    progress.end();
                    out.println("not caught up within " + timeout + "; run again with the same --application-id to go on");
                    return 1;
                }
                Thread.sleep(1000);
            }
            progress.show(-1, "rebuilt: caught up with every event topic", true);
            out.println("rebuilt timelines: " + rebuild.timelinesTopic() + ", changes: " + rebuild.changesTopic());
        }
        if (compare) {
            TimelineRebuild.Comparison result = TimelineRebuild.compare(
                    TimelineRebuild.readTimelines(connection.kafka(CarePrincipal.ADMIN), live.timelinesTopic(), topics),
                    TimelineRebuild.readTimelines(connection.kafka(CarePrincipal.ADMIN), rebuild.timelinesTopic(), topics));
            out.println(result);
            out.flush();
            return result.identical() ? 0 : 3;
        }
        out.flush();
        return 0;
    }
}
