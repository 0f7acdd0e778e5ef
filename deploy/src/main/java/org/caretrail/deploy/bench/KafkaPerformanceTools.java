package org.caretrail.deploy.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Kafka's own {@code ProducerPerformance} and {@code ConsumerPerformance}, run in a child JVM
 * (they live in kafka-tools, kept out of CareTrail's runtime: the build copies them to
 * {@code deploy/target/perf-lib}). They give the raw rates of the broker the pipeline runs on, so
 * the pipeline's figures can be read against them.
 */
public final class KafkaPerformanceTools {

    /** One tool's closing line, as the tool printed it, and the records per second in it. */
    public record Result(String tool, String summary, double recordsPerSecond) {
    }

    private final String classpath;

    /** @param runtimeLib CareTrail's runtime jars; @param perfLib the kafka-tools jars */
    public KafkaPerformanceTools(Path runtimeLib, Path perfLib) throws IOException {
        if (!Files.isDirectory(perfLib)) {
            throw new IOException("Kafka's performance tools are not at " + perfLib
                    + "; build with `mvn -pl deploy -am package -DskipTests`");
        }
        this.classpath = runtimeLib.resolve("*") + java.io.File.pathSeparator + perfLib.resolve("*");
    }

    public Result producer(String bootstrapServers, String topic, long records, int recordSize) throws IOException {
        String output = run(List.of("org.apache.kafka.tools.ProducerPerformance", "--topic", topic,
                "--num-records", Long.toString(records), "--record-size", Integer.toString(recordSize),
                "--throughput", "-1", "--producer-props", "bootstrap.servers=" + bootstrapServers, "acks=all",
                "linger.ms=5", "compression.type=" + org.caretrail.events.kafka.DurableProducer.compression()));
        // "... 100000 records sent, 81234.5 records/sec (7.75 MB/sec), 12.3 ms avg latency, ..."
        String summary = output.lines().filter(l -> l.contains("records sent")).reduce((a, b) -> b).orElse(output.trim());
        double rate = parseRate(summary, "records sent, ", " records/sec");
        return new Result("ProducerPerformance", summary.trim(), rate);
    }

    public Result consumer(String bootstrapServers, String topic, long records) throws IOException {
        String output = run(List.of("org.apache.kafka.tools.ConsumerPerformance", "--bootstrap-server", bootstrapServers,
                "--topic", topic, "--messages", Long.toString(records), "--timeout", "60000",
                "--group", "caretrail-bench-" + System.nanoTime(), "--hide-header"));
        // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, ...
        String line = output.lines().filter(l -> l.matches("^\\d{4}-.*")).reduce((a, b) -> b).orElse(output.trim());
        String[] fields = line.split(",\\s*");
        double rate = fields.length > 5 ? Double.parseDouble(fields[5].trim()) : Double.NaN;
        return new Result("ConsumerPerformance", line.trim(), rate);
    }

    private static double parseRate(String line, String after, String before) {
        int start = line.indexOf(after);
        int end = line.indexOf(before);
        if (start < 0 || end < 0) {
            return Double.NaN;
        }
        return Double.parseDouble(line.substring(start + after.length(), end).trim());
    }

    private String run(List<String> toolArgs) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classpath));
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
