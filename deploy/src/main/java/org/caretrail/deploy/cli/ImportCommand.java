package org.caretrail.deploy.cli;

import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.caretrail.events.CareEventType;
import org.caretrail.producers.files.FileImporter;
import org.caretrail.producers.files.ImportFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Import care events from a CSV or JSON-lines export (for systems that can only export files).",
            "Streams the file (any size), shows progress, publishes every valid row, and writes rejected rows",
            "with their reasons beside the input (FILE.rejected.csv / .jsonl). CSV needs --kind; run",
            "`caretrail import --columns --kind admission` to see the columns of a kind. Limits as for publish;",
            "exit code 0 all published, 3 some rejected, 4 cut short by a limit, 1 connection, 2 usage."})
final class ImportCommand implements Callable<Integer> {

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE", description = "CSV or JSON-lines file (.gz too), or - for standard input")
    String file;

    @Option(names = "--kind", paramLabel = "KIND", description = "Event type of every CSV row: ${COMPLETION-CANDIDATES}",
            completionCandidates = Kinds.class)
    String kind;

    @Option(names = "--format", description = "csv or jsonl (default: from the file name)")
    String format;

    @Option(names = "--columns", description = "Print the CSV columns of --kind and exit")
    boolean columns;

    @Mixin
    ConnectionOptions connection;

    @Mixin
    PublishCommand.LimitOptions limits;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    static final class Kinds implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Arrays.stream(CareEventType.values()).map(CareEventType::jsonName).iterator();
        }
    }

    @Override
    public Integer call() {
        Optional<CareEventType> type = Optional.empty();
        if (kind != null) {
            type = CareEventType.byJsonName(kind);
            if (type.isEmpty()) {
                spec.commandLine().getErr().println("caretrail: unknown --kind '" + kind + "'; one of: " + CareEventType.jsonNames());
                return 2;
            }
        }
        if (columns) {
            if (type.isEmpty()) {
                spec.commandLine().getErr().println("caretrail: --columns needs --kind");
                return 2;
            }
            spec.commandLine().getOut().println(String.join(",", FileImporter.csvColumns(type.get())));
            spec.commandLine().getOut().println("required: " + String.join(",", FileImporter.requiredCsvColumns(type.get())));
            return 0;
        }
        if (file == null) {
            spec.commandLine().getErr().println("caretrail: missing FILE");
            return 2;
        }
        ImportFormat importFormat;
        if (format == null) {
            Optional<ImportFormat> guessed = "-".equals(file) ? Optional.of(ImportFormat.JSON_LINES)
                    : ImportFormat.forPath(java.nio.file.Path.of(file));
            if (guessed.isEmpty()) {
                spec.commandLine().getErr().println("caretrail: cannot tell the format of " + file + " from its name; use --format csv|jsonl");
                return 2;
            }
            importFormat = guessed.get();
        } else if (format.equalsIgnoreCase("csv")) {
            importFormat = ImportFormat.CSV;
        } else if (format.equalsIgnoreCase("jsonl") || format.equalsIgnoreCase("json")) {
            importFormat = ImportFormat.JSON_LINES;
        } else {
            spec.commandLine().getErr().println("caretrail: --format must be csv or jsonl");
            return 2;
        }
        return PublishCommand.FileImports.run(spec, connection, limits, file, importFormat, type);
    }
}
