package org.caretrail.deploy.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.caretrail.consumers.replay.Replay;
import org.caretrail.consumers.replay.ReplayFormat;
import org.caretrail.consumers.replay.ReplayOptions;
import org.caretrail.consumers.replay.ReplaySummary;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Replay care events for analysts: seek the topics by time, decode through the registry and",
            "write JSON lines, CSV or Parquet (via DuckDB), optionally pseudonymised with a keyed HMAC and leaving",
            "out patients with a national data opt-out. Never commits offsets or writes to the platform's topics."})
final class ReplayCommand implements Callable<Integer> {

    @Option(names = "--topics", split = ",", paramLabel = "TOPIC", description = "Topics to replay (default: every care event topic)")
    List<String> topics;

    @Option(names = "--from", required = true, paramLabel = "T", description = "Start, an ISO-8601 instant (inclusive)")
    String from;

    @Option(names = "--to", paramLabel = "T", description = "End, an ISO-8601 instant (exclusive; default: now)")
    String to;

    @Option(names = "--format", defaultValue = "jsonl", description = "jsonl, csv or parquet (default: ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--out", required = true, paramLabel = "PATH", description = "Output file")
    Path out;

    @Option(names = "--pseudonymise", description = "Replace NHS numbers and local ids with a keyed HMAC; drop names and addresses")
    boolean pseudonymise;

    @Option(names = "--key-file", paramLabel = "K", description = "The pseudonymisation key (at least 16 bytes); needed with --pseudonymise")
    Path keyFile;

    @Option(names = "--exclude-opted-out", description = "Leave out patients with a national data opt-out on care.consents")
    boolean excludeOptedOut;

    @Mixin
    ConnectionOptions connection;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        if (pseudonymise && keyFile == null) {
            err.println("caretrail: --pseudonymise needs --key-file");
            return 2;
        }
        Instant start;
        Instant end;
        try {
            start = Instant.parse(from);
            end = to == null ? null : Instant.parse(to);
        } catch (DateTimeParseException e) {
            err.println("caretrail: --from/--to must be ISO-8601 instants such as 2026-11-01T00:00:00Z: " + e.getParsedString());
            return 2;
        }
        ReplayOptions options;
        try {
            options = new ReplayOptions(topics, start, end, ReplayFormat.parse(format), out,
                    pseudonymise ? ReplayOptions.readKeyFile(keyFile) : null, excludeOptedOut);
        } catch (IllegalArgumentException e) {
            err.println("caretrail: " + e.getMessage());
            return 2;
        }
        ConsoleProgress progress = new ConsoleProgress(err);
        Topics registryTopics = new Topics(new RestSchemaRegistry(connection.schemaRegistryUrl()));
        ReplaySummary summary = new Replay(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, connection.bootstrapServers()),
                registryTopics).run(options, p -> progress.show(p.fraction(),
                String.format("%,d read, %,d written", p.read(), p.written()), false));
        progress.end();
        spec.commandLine().getOut().println(summary.toText());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
