package org.caretrail.deploy.infra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server CareTrail runs as its own JVM (the broker, the registry): output to a log file, a pid
 * file so a stale one left by a killed parent is stopped before a new start, SIGTERM on stop and a
 * forced kill only when it does not exit in time.
 */
final class ChildProcess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChildProcess.class);

    private final String name;
    private final Process process;
    private final Path logFile;
    private final Path pidFile;

    private ChildProcess(String name, Process process, Path logFile, Path pidFile) {
        this.name = name;
        this.process = process;
        this.logFile = logFile;
        this.pidFile = pidFile;
    }

    static ChildProcess start(String name, List<String> command, Path workDir, Path logFile) throws IOException {
        Files.createDirectories(logFile.getParent());
        Path pidFile = logFile.resolveSibling(name + ".pid");
        stopStale(name, pidFile);
        Process process = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .start();
        Files.writeString(pidFile, Long.toString(process.pid()));
        LOG.debug("started {} (pid {}): {}", name, process.pid(), command);
        return new ChildProcess(name, process, logFile, pidFile);
    }

    /** Runs a short command to completion; throws with its output when it fails. */
    static String run(List<String> command, Duration timeout) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IOException("timed out after " + timeout + ": " + command);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted: " + command, e);
        }
        String output = new String(process.getInputStream().readAllBytes());
        if (process.exitValue() != 0) {
            throw new IOException("exit " + process.exitValue() + " from " + command.get(command.size() - 1) + ": " + output);
        }
        return output;
    }

    private static void stopStale(String name, Path pidFile) throws IOException {
        if (!Files.exists(pidFile)) {
            return;
        }
        String text = Files.readString(pidFile).trim();
        Files.delete(pidFile);
        Optional<ProcessHandle> stale;
        try {
            stale = ProcessHandle.of(Long.parseLong(text));
        } catch (NumberFormatException e) {
            return;
        }
        stale.filter(ProcessHandle::isAlive)
                .filter(p -> p.info().command().map(c -> c.contains("java")).orElse(false))
                .ifPresent(p -> {
                    LOG.warn("stopping a {} left running by an earlier run (pid {})", name, p.pid());
                    p.destroy();
                    try {
                        p.onExit().get(15, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        p.destroyForcibly();
                    }
                });
    }

    boolean isAlive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    Path logFile() {
        return logFile;
    }

    /** The last lines of the log, for error messages. */
    String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(logFile);
            return String.join(System.lineSeparator(), all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + logFile + ": " + e.getMessage() + ")";
        }
    }

    /** Sends SIGKILL: for crash tests only. */
    void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    LOG.warn("{} did not stop within 20 s of SIGTERM; killing it", name);
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException e) {
            LOG.debug("cannot delete {}: {}", pidFile, e.toString());
        }
    }
}
