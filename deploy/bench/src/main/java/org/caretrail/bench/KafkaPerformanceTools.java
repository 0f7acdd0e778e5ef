package org.caretrail.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Kafka's own {@code ProducerPerformance}, run in a child JVM on the bench's class path (kafka-tools, which the
 * platform's class path never holds): the rate at which the broker takes records of the events' size on this
 * machine, the limit every other figure is read against.
 */
final class KafkaPerformanceTools {

    /** The tool's closing line, as it printed it, and the records per second in it. */
    record Result(String summary, double recordsPerSecond) {
    }

    private KafkaPerformanceTools() {
    }

    static Result producer(String bootstrapServers, String topic, long records, int recordSize) throws IOException {
        String output = run(List.of("org.apache.kafka.tools.ProducerPerformance", "--topic", topic,
                "--num-records", Long.toString(records), "--record-size", Integer.toString(recordSize),
                "--throughput", "-1", "--producer-props", "bootstrap.servers=" + bootstrapServers, "acks=all",
                "linger.ms=5", "compression.type=" + org.caretrail.events.kafka.DurableProducer.compression()));
        // "... 100000 records sent, 81234.5 records/sec (7.75 MB/sec), 12.3 ms avg latency, ..."
        String summary = output.lines().filter(l -> l.contains("records sent")).reduce((a, b) -> b)
                .orElse(output.trim());
        return new Result(summary.trim(), parseRate(summary, "records sent, ", " records/sec"));
    }

    private static double parseRate(String line, String after, String before) {
        int start = line.indexOf(after);
        int end = line.indexOf(before);
        if (start < 0 || end < 0) {
            return Double.NaN;
        }
        return Double.parseDouble(line.substring(start + after.length(), end).trim());
    }

    private static String run(List<String> toolArgs) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx512m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp",
                System.getProperty("java.class.path")));
        command.addAll(toolArgs);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        try {
            if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
                throw new IOException(toolArgs.get(0) + " failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted", e);
        }
        return output;
    }
}
