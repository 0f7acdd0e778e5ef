package org.caretrail.deploy.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.caretrail.deploy.Platform;
import org.caretrail.deploy.PlatformSettings;
import org.caretrail.deploy.bench.KafkaPerformanceTools;
import org.caretrail.deploy.bench.PipelineBenchmark;
import org.caretrail.deploy.infra.Ports;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure the whole pipeline: push N synthetic events as fast as possible and report events/s",
            "from publish until the timeline change is visible, with end-to-end latency p50/p99; then run Kafka's own",
            "ProducerPerformance and ConsumerPerformance on the same broker, in the same run, for comparison.",
            "Starts its own broker, registry and stream processor in a fresh data directory unless told otherwise."})
final class BenchCommand implements Callable<Integer> {

    @Option(names = "--events", defaultValue = "50000", description = "Events to push (default: ${DEFAULT-VALUE})")
    int events;

    @Option(names = "--rate", defaultValue = "0",
            description = "Events per second to publish at; 0 = as fast as possible, a backlog (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--seed", defaultValue = "7", description = "Simulator seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--data-dir", description = "Where the benchmark's broker and state live (default: a new temporary directory)")
    Path dataDir;

    @Option(names = "--timeout", defaultValue = "PT10M", description = "Give up waiting for the pipeline after this long (default: ${DEFAULT-VALUE})")
    Duration timeout;

    @Option(names = "--skip-kafka-tools", description = "Do not run ProducerPerformance and ConsumerPerformance")
    boolean skipKafkaTools;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path data = dataDir != null ? dataDir : Files.createTempDirectory("caretrail-bench-");
        PlatformSettings settings = new PlatformSettings(data.toAbsolutePath(), null, null, Ports.free(), Ports.free(),
                "127.0.0.1", Ports.free(), Ports.free(), Launch.registryHome(), Launch.classpath(), 0, 0, seed, null, null);
        try (Platform platform = new Platform(settings)) {
            platform.start(step -> out.println("  " + step + "..."));
            out.flush();
            PipelineBenchmark.Result r = new PipelineBenchmark(platform.bootstrapServers(), platform.topics())
                    .run(events, rate, seed, timeout, line -> {
                        out.println("  " + line);
                        out.flush();
                    });
            out.printf("%nCareTrail pipeline (publisher library -> topics -> timeline stream processor, exactly_once_v2 -> care.timeline-changes)%n");
            out.printf("  events published        %,d in %.2f s = %,.0f events/s (average %.0f bytes)%s%n", r.published(),
                    r.publishTime().toMillis() / 1000.0, r.publishedPerSecond(), r.averageEventBytes(),
                    rate > 0 ? String.format(", paced at %,.0f/s", rate) : ", unpaced: latency includes the backlog");
            if (r.failed() > 0) {
                out.printf("  FAILED to publish       %,d (first: %s)%n", r.failed(), r.firstFailure());
            }
            out.printf("  through the pipeline    %,d of %,d in %.2f s = %,.0f events/s%n", r.seen(), r.published(),
                    r.pipelineTime().toMillis() / 1000.0, r.pipelinePerSecond());
            out.printf("  end-to-end latency      p50 %.0f ms, p99 %.0f ms, max %.0f ms%n", r.p50Millis(), r.p99Millis(), r.maxMillis());
            if (!skipKafkaTools) {
                runKafkaTools(out, platform.bootstrapServers(), Math.max(1, (int) Math.round(r.averageEventBytes())));
            }
            out.flush();
            if (r.seen() + r.failed() < r.published()) {
                out.printf("  NOT SEEN on care.timeline-changes within %s: %,d events%n", timeout, r.published() - r.failed() - r.seen());
            }
            return r.seen() == r.published() ? 0 : 1;
        } finally {
            if (dataDir == null) {
                deleteQuietly(data);
            }
        }
    }

    private void runKafkaTools(PrintWriter out, String bootstrap, int recordSize) throws Exception {
        String topic = "bench.raw";
        try (Admin admin = Admin.create(java.util.Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            if (!admin.listTopics().names().get().contains(topic)) {
                admin.createTopics(java.util.List.of(new NewTopic(topic, 3, (short) 1))).all().get();
            }
            org.caretrail.deploy.infra.TopicsApplier.awaitServed(admin, java.util.List.of(topic),
                    java.time.Duration.ofSeconds(60));
        }
        Path home = Launch.home().resolve("deploy/target");
        KafkaPerformanceTools tools = new KafkaPerformanceTools(home.resolve("lib"), home.resolve("perf-lib"));
        out.printf("%nKafka's own tools on the same broker (%,d records of %d bytes, acks=all)%n", events, recordSize);
        out.flush();
        KafkaPerformanceTools.Result producer = tools.producer(bootstrap, topic, events, recordSize);
        out.printf("  ProducerPerformance     %,.0f records/s  (%s)%n", producer.recordsPerSecond(), producer.summary());
        KafkaPerformanceTools.Result consumer = tools.consumer(bootstrap, topic, events);
        out.printf("  ConsumerPerformance     %,.0f records/s  (%s)%n", consumer.recordsPerSecond(), consumer.summary());
    }

    private static void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException e) {
            // a temporary directory: the OS cleans it up eventually
        }
    }
}
