package org.caretrail.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * One contender in its own JVM: its own heap, garbage collector and class path (Flink brings its own fork of
 * RocksDB's Java binding, which cannot share a class path with Kafka Streams' RocksDB), and a resident set size
 * of its own to read. Output goes to a log file; {@link #close()} asks it to stop (SIGTERM: the jobs close
 * cleanly from their shutdown hooks) and waits.
 */
final class ChildJvm implements AutoCloseable {

    /** Replaced in JVM options by the child's name and start time (e.g. to name a flight recording after it). */
    static final String NAME = "{child}";

    /** Children still running: stopped if the bench itself is stopped (Ctrl-C, SIGTERM). */
    private static final java.util.Set<ChildJvm> RUNNING = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> List.copyOf(RUNNING).forEach(ChildJvm::close),
                "stop-contenders"));
    }

    private final String name;
    private final Process process;
    private final Path log;
    private long peakRssKb;

    private ChildJvm(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /**
     * @param jarFilter keeps the class path entries (jar file names) the child may see
     * @param jvmOptions heap and other JVM options
     */
    static ChildJvm start(String name, Class<?> main, List<String> args, Predicate<String> jarFilter,
            List<String> jvmOptions, Path logDir) throws IOException {
        return start(name, main, args, jarFilter, List.of(), jvmOptions, logDir);
    }

    /** @param first class path entries before the bench's own (that the filter left) */
    static ChildJvm start(String name, Class<?> main, List<String> args, Predicate<String> jarFilter, List<Path> first,
            List<String> jvmOptions, Path logDir) throws IOException {
        List<String> entries = new ArrayList<>();
        first.forEach(p -> entries.add(p.toString()));
        Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> jarFilter.test(Path.of(entry).getFileName().toString()))
                .forEach(entries::add);
        String classpath = String.join(File.pathSeparator, entries);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String tag = name + "-" + System.currentTimeMillis();
        jvmOptions.forEach(o -> command.add(o.replace(NAME, tag)));
        command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        command.add("-Dorg.slf4j.simpleLogger.log.org.caretrail=info");
        command.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
        command.add("-cp");
        command.add(classpath);
        command.add(main.getName());
        command.addAll(args);
        Files.createDirectories(logDir);
        Path log = logDir.resolve(name + ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        ChildJvm child = new ChildJvm(name, p, log);
        RUNNING.add(child);
        return child;
    }

    /** Without Flink (Kafka Streams' RocksDB binding). */
    static boolean withoutFlink(String jar) {
        return !jar.startsWith("flink-") && !jar.startsWith("frocksdbjni-");
    }

    /**
     * For the Flink JVM: without Kafka Streams' RocksDB binding (Flink brings its own fork) and without the Kafka
     * client the platform uses (the Flink connector's is put first, see {@link #flinkKafkaClient()}).
     */
    static boolean forFlink(String jar) {
        return !jar.startsWith("rocksdbjni-") && !jar.startsWith("kafka-clients-");
    }

    /** The Kafka client flink-connector-kafka is built for, copied by the bench's build beside its jar. */
    static Path flinkKafkaClient() throws IOException {
        try {
            Path jar = Path.of(ChildJvm.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path dir = jar.getParent().resolve("flink-lib");
            try (var files = Files.list(dir)) {
                return files.filter(f -> f.getFileName().toString().startsWith("kafka-clients-")).findFirst()
                        .orElseThrow(() -> new IOException("no kafka-clients jar in " + dir));
            }
        } catch (java.net.URISyntaxException e) {
            throw new IOException(e);
        }
    }

    boolean alive() {
        return process.isAlive();
    }

    void requireAlive() {
        if (!process.isAlive()) {
            throw new IllegalStateException(name + " stopped (exit code " + process.exitValue() + "); see " + log);
        }
    }

    /** The child's resident set size now, in KiB (from /proc; 0 where there is none); also kept as the peak. */
    long rssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    peakRssKb = Math.max(peakRssKb, kb);
                    return kb;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    long peakRssKb() {
        rssKb();
        return peakRssKb;
    }

    Path log() {
        return log;
    }

    long pid() {
        return process.pid();
    }

    /** Kills the child as a crash would (SIGKILL), without a clean close. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(60, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        RUNNING.remove(this);
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(90, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
