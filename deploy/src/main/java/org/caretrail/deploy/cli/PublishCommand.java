package org.caretrail.deploy.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.caretrail.producers.files.FileImportException;
import org.caretrail.producers.files.FileImporter;
import org.caretrail.producers.files.ImportFormat;
import org.caretrail.producers.files.ImportLimits;
import org.caretrail.producers.files.ImportResult;
import org.caretrail.producers.publisher.CarePublisher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "publish", mixinStandardHelpOptions = true,
        description = {"Publish care events from a JSON-lines file (or - for standard input).",
            "Each line is one event in the JSON form (see the README) and is validated before it is sent.",
            "Valid lines are published; each rejected line is named with its reason, and rejected lines are",
            "written beside the input (FILE.rejected.jsonl). A line longer than --max-line-bytes is rejected",
            "unread; a .gz file that decompresses past its limits stops the import (what was read is kept).",
            "Exit code 0 when every line was published, 3 when some were rejected, 4 when the input was cut",
            "short by a limit, 1 on a connection problem, 2 on a usage error."})
final class PublishCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE", description = "JSON-lines file (.gz too), or - for standard input")
    String file;

    @Mixin
    ConnectionOptions connection;

    @Mixin
    LimitOptions limits;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        return FileImports.run(spec, connection, limits, file, ImportFormat.JSON_LINES, Optional.empty());
    }

    /** The limits of a file import (see the README's "Limits"), shared by {@code publish} and {@code import}. */
    static final class LimitOptions {
        @Option(names = "--max-line-bytes", paramLabel = "N", defaultValue = "" + ImportLimits.DEFAULT_MAX_LINE_BYTES,
                description = "A line (a CSV row) longer than this is rejected unread (default: ${DEFAULT-VALUE}).")
        int maxLineBytes;

        @Option(names = "--max-decompressed-bytes", paramLabel = "N",
                defaultValue = "" + ImportLimits.DEFAULT_MAX_DECOMPRESSED_BYTES,
                description = "A .gz file stops being read past this many decompressed bytes (default: ${DEFAULT-VALUE}).")
        long maxDecompressedBytes;

        @Option(names = "--max-compression-ratio", paramLabel = "N",
                defaultValue = "" + ImportLimits.DEFAULT_MAX_COMPRESSION_RATIO,
                description = "A .gz file that decompresses to more than N times its size is a bomb: the import "
                        + "stops (default: ${DEFAULT-VALUE}).")
        int maxCompressionRatio;

        ImportLimits toLimits() {
            return new ImportLimits(maxLineBytes, maxDecompressedBytes, maxCompressionRatio);
        }
    }

    /** What publish and import share: run the importer with a progress bar and report. */
    static final class FileImports {

        private FileImports() {
        }

        static int run(picocli.CommandLine.Model.CommandSpec spec, ConnectionOptions connection, LimitOptions limitOptions,
                       String file, ImportFormat format, Optional<org.caretrail.events.CareEventType> kind) {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            ImportLimits limits;
            try {
                limits = limitOptions.toLimits();
            } catch (IllegalArgumentException e) {
                err.println("caretrail: " + e.getMessage());
                err.flush();
                return 2;
            }
            ConsoleProgress progress = new ConsoleProgress(err);
            ImportResult result;
            try (CarePublisher publisher = CarePublisher.connect(connection.kafka(org.caretrail.events.topic.CarePrincipal.ADAPTERS), connection.schemaRegistryUrl())) {
                result = FileImporter.importFile(Path.of(file), format, kind, publisher, limits, p -> progress.show(p.fraction(),
                        String.format("%s of %s, %,d rows: %,d accepted, %,d rejected", ConsoleProgress.bytes(p.bytesRead()),
                                ConsoleProgress.bytes(p.totalBytes()), p.rows(), p.accepted(), p.rejected()), false));
            } catch (FileImportException e) {
                progress.end();
                err.println("caretrail: " + e.getMessage());
                err.flush();
                return 2;
            }
            progress.end();
            String name = "-".equals(file) ? "stdin" : file;
            result.rejectedRows().forEach(r -> err.println(name + ":" + r.line() + ": rejected: " + r.reason()));
            if (result.rejected() > result.rejectedRows().size()) {
                err.println("... and " + (result.rejected() - result.rejectedRows().size()) + " more");
            }
            out.printf("%d published, %d rejected (%d lines read) in %.1f s%n", result.accepted(), result.rejected(),
                    result.rows(), result.elapsed().toMillis() / 1000.0);
            result.rejectedFile().ifPresent(f -> out.println("rejected lines and reasons: " + f));
            result.stopped().ifPresent(why -> err.println(name + ": " + why + "; everything before it was handled"
                    + " as above"));
            out.flush();
            err.flush();
            return result.stopped().isPresent() ? 4 : result.rejected() == 0 ? 0 : 3;
        }
    }
}
