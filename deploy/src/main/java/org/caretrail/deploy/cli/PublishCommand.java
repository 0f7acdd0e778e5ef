package org.caretrail.deploy.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.producers.publisher.CarePublisher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "publish", mixinStandardHelpOptions = true,
        description = {"Publish care events from a JSON-lines file (or - for standard input).",
            "Each line is one event in the JSON form (see the README); every line is validated first.",
            "Valid lines are published; each rejected line is named with its reason. Exit code 0 when all",
            "lines were published, 3 when some were rejected, 1 on a connection problem."})
final class PublishCommand implements Callable<Integer> {

    private static final int MAX_IN_FLIGHT = 1000;

    @Parameters(index = "0", paramLabel = "FILE", description = "JSON-lines file, or - for standard input")
    String file;

    @Mixin
    ConnectionOptions connection;

    record Rejected(long line, String reason) {
    }

    @Override
    public Integer call() throws Exception {
        List<Rejected> rejected = new ArrayList<>();
        long published = 0;
        long lineNumber = 0;
        try (BufferedReader reader = "-".equals(file)
                ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                : Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8);
             CarePublisher publisher = CarePublisher.connect(connection.bootstrapServers(), connection.schemaRegistryUrl())) {
            List<Pending> inFlight = new ArrayList<>();
            String line;
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                if (line.isBlank()) {
                    continue;
                }
                try {
                    inFlight.add(new Pending(lineNumber, publisher.publish(CareEventJson.parseEvent(line).event())));
                } catch (IllegalArgumentException e) {
                    rejected.add(new Rejected(lineNumber, e.getMessage()));
                }
                if (inFlight.size() >= MAX_IN_FLIGHT) {
                    published += settle(inFlight, rejected);
                }
            }
            published += settle(inFlight, rejected);
        } catch (java.nio.file.NoSuchFileException e) {
            System.err.println("caretrail: no such file: " + file);
            return 2;
        }
        rejected.sort((a, b) -> Long.compare(a.line(), b.line()));
        for (Rejected r : rejected) {
            System.err.println(("-".equals(file) ? "stdin" : file) + ":" + r.line() + ": rejected: " + r.reason());
        }
        System.out.printf("%d published, %d rejected (%d lines read)%n", published, rejected.size(), lineNumber);
        return rejected.isEmpty() ? 0 : 3;
    }

    private record Pending(long line, CompletableFuture<RecordMetadata> result) {
    }

    /** Waits for every pending send; a failed send is a rejected line unless Kafka is unreachable. */
    private static long settle(List<Pending> inFlight, List<Rejected> rejected) throws InterruptedException {
        long ok = 0;
        for (Pending p : inFlight) {
            try {
                p.result().get();
                ok++;
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof org.apache.kafka.common.errors.TimeoutException
                        || cause instanceof org.caretrail.events.serde.SchemaRegistryException) {
                    throw new IllegalStateException("cannot publish line " + p.line() + ": " + cause.getMessage(), cause);
                }
                rejected.add(new Rejected(p.line(), cause.getMessage()));
            }
        }
        inFlight.clear();
        return ok;
    }
}
