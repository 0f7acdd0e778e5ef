package org.caretrail.bench;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.caretrail.bench.adapters.FhirBenchmark;
import org.caretrail.bench.adapters.MllpBenchmark;
import org.caretrail.producers.publisher.CarePublisher;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code caretrail bench}: CareTrail measured beside the limit and its peers, in one run on one broker.
 * Every contender reads the same events and runs in a JVM of its own (same heap), one at a time.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs, on one embedded broker and registry and the same synthetic events:",
            "  Kafka's ProducerPerformance at the events' record size (the limit),",
            "  a minimal Kafka Streams job counting events per patient (exactly_once_v2: the framework's cost),",
            "  the same timeline job on Apache Flink 2.3 (MiniCluster, RocksDB, exactly-once Kafka sink),",
            "  and CareTrail's timeline stream processor,",
            "and prints each one's events/s on a backlog, its ratio to ProducerPerformance, the broker writes per",
            "event, and latency p50/p99/p99.9 at paced rates. Subcommands measure scaling, memory and adapters."},
        subcommands = {Bench.Scaling.class, Bench.Memory.class, Bench.Adapters.class, CommandLine.HelpCommand.class})
public final class Bench implements Callable<Integer> {

    /** Options every run shares. */
    static final class Common {
        @Option(names = "--data-dir", description = "Where the broker, registry and jobs keep their data "
                + "(default: a new directory under /tmp, removed afterwards)")
        Path dataDir;

        @Option(names = "--keep", description = "Keep the data directory")
        boolean keep;

        @Option(names = "--partitions", defaultValue = "3", description = "Partitions of every care topic "
                + "(default: ${DEFAULT-VALUE})")
        int partitions;

        @Option(names = "--heap", defaultValue = "1g", description = "-Xmx of every contender's JVM "
                + "(default: ${DEFAULT-VALUE})")
        String heap;

        @Option(names = "--commit-interval-ms", defaultValue = "100",
                description = "Commit interval (Kafka Streams) and checkpoint interval (Flink) (default: ${DEFAULT-VALUE})")
        long commitIntervalMs;

        @Option(names = "--jfr", description = "Record a Java Flight Recording of each CareTrail JVM (in the logs)")
        boolean jfr;

        @Option(names = "--seed", defaultValue = "7", description = "Simulator seed (default: ${DEFAULT-VALUE})")
        long seed;

        Path data() throws java.io.IOException {
            return (dataDir != null ? Files.createDirectories(dataDir) : Files.createTempDirectory("caretrail-bench-"))
                    .toAbsolutePath();
        }

        /** The contenders' JVM options: the same heap for each; a flight recording each when asked. */
        List<String> jvmOptions(Path data) {
            List<String> o = new ArrayList<>(List.of("-Xms" + heap, "-Xmx" + heap, "-XX:+UseG1GC"));
            if (jfr) {
                o.add("-XX:StartFlightRecording=settings=profile,dumponexit=true,filename="
                        + data.resolve("logs").resolve(ChildJvm.NAME + ".jfr"));
            }
            return o;
        }

        BenchBroker broker(Path data, PrintWriter out) throws Exception {
            out.printf("starting the broker and registry in %s (%d partitions per care topic)...%n", data, partitions);
            out.flush();
            return BenchBroker.start(data, Path.of(System.getProperty("caretrail.registry.home",
                    "deploy/target/apicurio")), System.getProperty("java.class.path"), partitions);
        }

        void cleanUp(Path data) {
            if (dataDir == null && !keep) {
                try (var paths = Files.walk(data)) {
                    paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (java.io.IOException e) {
                    System.err.println("could not remove " + data + ": " + e.getMessage());
                }
            }
        }
    }

    @CommandLine.Mixin
    Common common = new Common();

    @Option(names = "--events", defaultValue = "50000", description = "Backlog size (default: ${DEFAULT-VALUE})")
    int events;

    @Option(names = "--patients", description = "Patients the events are spread over (default: events / 4)")
    Integer patients;

    @Option(names = "--rates", split = ",", defaultValue = "1000,2500",
            description = "Paced rates, events/s (default: ${DEFAULT-VALUE})")
    List<Double> rates;

    @Option(names = "--paced-seconds", defaultValue = "30", description = "Seconds at each rate (default: ${DEFAULT-VALUE})")
    int pacedSeconds;

    @Option(names = "--warmup-seconds", defaultValue = "10",
            description = "Seconds at the first rate before measuring (default: ${DEFAULT-VALUE})")
    int warmupSeconds;

    @Option(names = "--only", split = ",", description = "Contenders to run: streams,flink,caretrail (default: all)")
    List<String> only;

    @Option(names = "--flink-parallelism", defaultValue = "1",
            description = "Flink's parallelism (CareTrail runs one stream thread) (default: ${DEFAULT-VALUE})")
    int flinkParallelism;

    @Option(names = "--caretrail", split = ",", description = "Extra timeline.* settings for CareTrail, name=value")
    List<String> careTrailSettings = new ArrayList<>();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // the FHIR driver serves the gateway on the JDK's HttpServer: Jetty's provider (on this class path through
        // deploy) bound to port 0 reports port -1, and the FHIR half of `run adapters` failed on it
        org.caretrail.deploy.cli.CareTrail.keepTheJdkHttpServerProvider();
        int code = new CommandLine(new Bench()).execute(args);
        if (code != 0) {
            System.exit(code); // the launcher's exit code; no library code exits
        }
        System.exit(0); // Flink and Kafka client threads are not all daemons
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path data = common.data();
        int people = patients != null ? patients : Math.max(1, events / 4);
        Report report = new Report(out);
        report.machine("before");
        try (BenchBroker broker = common.broker(data, out)) {
            List<SyntheticEvents.Encoded> backlog = SyntheticEvents.make(broker.topics(), common.seed, people, events);
            int recordBytes = (int) Math.round(SyntheticEvents.averageBytes(backlog));
            out.printf("writing the backlog: %,d events of %,d patients (average %d bytes)...%n", events, people,
                    recordBytes);
            out.flush();
            SyntheticEvents.publish(broker.bootstrapServers(), backlog);
            backlog = null;

            broker.createTopics(List.of("bench.raw"));
            KafkaPerformanceTools.Result limit = KafkaPerformanceTools.producer(broker.bootstrapServers(), "bench.raw",
                    events, recordBytes);
            report.limit(limit, events, recordBytes);

            var changes = broker.topics().timelineChanges().valueSerde().deserializer();
            List<Contender> contenders = new ArrayList<>();
            if (wants("streams")) {
                contenders.add(new Contender.StreamsAggregation("bench-streams-aggregation"));
            }
            if (wants("flink")) {
                contenders.add(new Contender.Flink("bench-flink", changes, flinkParallelism));
            }
            if (wants("caretrail")) {
                contenders.add(new Contender.CareTrail("bench-caretrail", changes, careTrailSettings));
            }
            for (Contender c : contenders) {
                broker.createTopics(c.ownTopics());
            }
            BenchRun run = new BenchRun(broker, new Contender.Context(broker.bootstrapServers(), broker.registryUrl(),
                    data, common.jvmOptions(data), common.commitIntervalMs), out);
            for (Contender c : contenders) {
                out.printf("%n%s on the backlog...%n", c.name());
                out.flush();
                BenchRun.Backlog b = run.backlog(c, 1, events, Duration.ofMinutes(20));
                report.backlog(b);
            }
            if (wants("flink") && wants("caretrail")) {
                report.sameTimelines(SameTimelines.compare(broker, "care.timelines", Contender.Flink.TIMELINES, 200));
            }
            for (Contender c : contenders) {
                out.printf("%n%s, paced...%n", c.name());
                out.flush();
                report.paced(run.paced(c, rates, pacedSeconds, warmupSeconds, common.seed, people));
            }
            report.machine("after");
            report.print(rates);
            return 0;
        } finally {
            common.cleanUp(data);
        }
    }

    private boolean wants(String name) {
        return only == null || only.contains(name);
    }

    /** Throughput of CareTrail with 1, 2, 3... stream-processor instances (each its own JVM) on one backlog. */
    @Command(name = "scaling", mixinStandardHelpOptions = true,
            description = "CareTrail's events/s on the backlog with 1, 2, 3... instances (each its own JVM and group).")
    static final class Scaling implements Callable<Integer> {
        @CommandLine.Mixin
        Common common = new Common();

        @Option(names = "--events", defaultValue = "50000")
        int events;

        @Option(names = "--instances", split = ",", defaultValue = "1,2,3")
        List<Integer> instances;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            Path data = common.data();
            Report report = new Report(out);
            report.machine("before");
            try (BenchBroker broker = common.broker(data, out)) {
                List<SyntheticEvents.Encoded> backlog = SyntheticEvents.make(broker.topics(), common.seed,
                        Math.max(1, events / 4), events);
                SyntheticEvents.publish(broker.bootstrapServers(), backlog);
                int recordBytes = (int) Math.round(SyntheticEvents.averageBytes(backlog));
                broker.createTopics(List.of("bench.raw"));
                report.limit(KafkaPerformanceTools.producer(broker.bootstrapServers(), "bench.raw", events,
                        recordBytes), events, recordBytes);
                var changes = broker.topics().timelineChanges().valueSerde().deserializer();
                BenchRun run = new BenchRun(broker, new Contender.Context(broker.bootstrapServers(),
                        broker.registryUrl(), data, common.jvmOptions(data), common.commitIntervalMs), out);
                for (int n : instances) {
                    out.printf("%nCareTrail with %d instance(s) on the backlog...%n", n);
                    out.flush();
                    // a new application id each time: every run reads the whole backlog
                    report.backlog(run.backlog(new Contender.CareTrail("bench-scaling-" + n, changes, List.of()), n,
                            events, Duration.ofMinutes(20)));
                }
                report.machine("after");
                report.print(List.of());
                return 0;
            } finally {
                common.cleanUp(data);
            }
        }
    }

    /** CareTrail holding a large population: heap, resident memory and state on disk per patient. */
    @Command(name = "memory", mixinStandardHelpOptions = true,
            description = "CareTrail's memory and state with a large synthetic population (default 1,000,000 patients).")
    static final class Memory implements Callable<Integer> {
        @CommandLine.Mixin
        Common common = new Common();

        @Option(names = "--patients", defaultValue = "1000000")
        int patients;

        @Option(names = "--events-per-patient", defaultValue = "10")
        int perPatient;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            return new MemoryRun(common, patients, perPatient, spec.commandLine().getOut()).call();
        }
    }

    /** The adapters' drivers (MLLP with durable ACKs, FHIR POST) on the embedded broker. */
    @Command(name = "adapters", mixinStandardHelpOptions = true,
            description = "HL7v2 MLLP (ACK after Kafka acks=all) and FHIR R4 POST Encounter, messages/s and latency.")
    static final class Adapters implements Callable<Integer> {
        @CommandLine.Mixin
        Common common = new Common();

        @Option(names = "--connections", defaultValue = "8")
        int connections;

        @Option(names = "--messages", defaultValue = "20000")
        int messages;

        @Option(names = "--requests", defaultValue = "10000")
        int requests;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            Path data = common.data();
            new Report(out).machine("before");
            try (BenchBroker broker = common.broker(data, out);
                 CarePublisher publisher = CarePublisher.forWaitingSenders(
                         org.caretrail.events.kafka.KafkaClientSettings.plaintext(broker.bootstrapServers()),
                         broker.topics(), "caretrail-bench")) {
                out.println(MllpBenchmark.run(publisher, broker.bootstrapServers(), connections, messages));
                out.println(FhirBenchmark.run(publisher, connections, requests));
                new Report(out).machine("after");
                return 0;
            } finally {
                common.cleanUp(data);
            }
        }
    }

    static String loadAverage() {
        return String.format("%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    static String now() {
        return ZonedDateTime.now().withNano(0).toString();
    }
}
