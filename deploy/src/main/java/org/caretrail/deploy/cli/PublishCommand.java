package org.caretrail.deploy.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.caretrail.producers.files.FileImportException;
import org.caretrail.producers.files.FileImporter;
import org.caretrail.producers.files.ImportFormat;
import org.caretrail.producers.files.ImportResult;
import org.caretrail.producers.publisher.CarePublisher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "publish", mixinStandardHelpOptions = true,
        description = {"Publish care events from a JSON-lines file (or - for standard input).",
            "Each line is one event in the JSON form (see the README) and is validated before it is sent.",
            "Valid lines are published; each rejected line is named with its reason, and rejected lines are",
            "written beside the input (FILE.rejected.jsonl). Exit code 0 when every line was published,",
            "3 when some were rejected, 1 on a connection problem, 2 on a usage error."})
final class PublishCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE", description = "JSON-lines file (.gz too), or - for standard input")
    String file;

    @Mixin
    ConnectionOptions connection;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        return FileImports.run(spec, connection, file, ImportFormat.JSON_LINES, Optional.empty());
    }

    /** What publish and import share: run the importer with a progress bar and report. */
    static final class FileImports {

        private FileImports() {
        }

        static int run(picocli.CommandLine.Model.CommandSpec spec, ConnectionOptions connection, String file,
                       ImportFormat format, Optional<org.caretrail.events.CareEventType> kind) {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            ConsoleProgress progress = new ConsoleProgress(err);
            ImportResult result;
            try (CarePublisher publisher = CarePublisher.connect(connection.bootstrapServers(), connection.schemaRegistryUrl())) {
                result = FileImporter.importFile(Path.of(file), format, kind, publisher, p -> progress.show(p.fraction(),
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
            out.flush();
            err.flush();
            return result.rejected() == 0 ? 0 : 3;
        }
    }
}
