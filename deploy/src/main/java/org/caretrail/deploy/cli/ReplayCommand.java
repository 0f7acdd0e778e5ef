package org.caretrail.deploy.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.Callable;
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
            "write JSON lines, CSV or Parquet (via DuckDB), pseudonymised with a keyed HMAC (--key-file), without",
            "RESTRICTED records, optionally leaving out patients with a national data opt-out. Identifiers in clear",
            "(--identifiable) and RESTRICTED records (--include-restricted) are an operator's explicit choice.",
            "Never commits offsets or writes to the platform's topics."})
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

    @Option(names = "--pseudonymise", description = "Pseudonymise (the default; kept for scripts that say so)")
    boolean pseudonymise;

    @Option(names = "--key-file", paramLabel = "K", description = "The pseudonymisation key: at least 32 random bytes, "
            + "raw, hex or Base64 (e.g. head -c 32 /dev/urandom > K); passphrases are refused")
    Path keyFile;

    @Option(names = "--identifiable", description = "Operator only: write NHS numbers, local ids, names and free text "
            + "in clear, for an extract with a legal basis; never for analysts")
    boolean identifiable;

    @Option(names = "--include-restricted", description = "Operator only: write RESTRICTED records too "
            + "(withheld by default)")
    boolean includeRestricted;

    @Option(names = "--exclude-opted-out", description = "Leave out patients with a national data opt-out on care.consents")
    boolean excludeOptedOut;

    @Mixin
    ConnectionOptions connection;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        if (identifiable && (pseudonymise || keyFile != null)) {
            err.println("caretrail: --identifiable writes identifiers in clear; it cannot be combined with "
                    + "--pseudonymise or --key-file");
            return 2;
        }
        if (!identifiable && keyFile == null) {
            err.println("caretrail: replay output is pseudonymised: give --key-file K (at least 32 random bytes, "
                    + "e.g. head -c 32 /dev/urandom > K); an operator may ask for --identifiable output instead");
            return 2;
        }
        Instant start;
        Instant end;
        try {
            start = Instant.parse(from);
            end = to == null ? null : Instant.parse(to);
        } catch (DateTimeParseException e) {
            err.println("caretrail: --from/--to must be ISO-8601 instants such as 2026-11-01T00:00:00Z: "
                    + TerminalText.clean(e.getParsedString()));
            return 2;
        }
        ReplayOptions options;
        try {
            options = new ReplayOptions(topics, start, end, ReplayFormat.parse(format), out,
                    identifiable ? null : ReplayOptions.readKeyFile(keyFile), excludeOptedOut, identifiable,
                    includeRestricted);
        } catch (IllegalArgumentException e) {
            err.println("caretrail: " + TerminalText.clean(e.getMessage()));
            return 2;
        } catch (java.io.IOException e) {
            err.println("caretrail: cannot read the key file " + TerminalText.clean(keyFile.toString()));
            return 2;
        }
        if (identifiable) {
            err.println("caretrail: WARNING: identifiable output: NHS numbers, local ids, names and free text in clear");
        }
        if (includeRestricted) {
            err.println("caretrail: WARNING: RESTRICTED records included");
        }
        ConsoleProgress progress = new ConsoleProgress(err);
        Topics registryTopics = new Topics(new RestSchemaRegistry(connection.schemaRegistryUrl()));
        ReplaySummary summary = new Replay(connection.kafka(org.caretrail.events.topic.CarePrincipal.ANALYST).config(),
                registryTopics).run(options, p -> progress.show(p.fraction(),
                String.format("%,d read, %,d written", p.read(), p.written()), false));
        progress.end();
        spec.commandLine().getOut().println(TerminalText.cleanLines(summary.toText()));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
