package org.caretrail.deploy.infra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server CareTrail runs as its own JVM (the broker, the registry): output to a log file, a pid
 * file so a stale one left by a killed parent is stopped before a new start, SIGTERM on stop and a
 * forced kill only when it does not exit in time.
 *
 * <p>Each child runs in its <b>own session</b> ({@code setsid}), so it is in no terminal's foreground
 * process group: Ctrl-C in the terminal of {@code caretrail up} reaches CareTrail alone, and CareTrail
 * stops its children in order (services first, then the registry, then the broker). Java's
 * {@code ProcessBuilder} cannot change a child's process group or session itself; {@code setsid}
 * (util-linux, on every Linux machine) does it in one exec and keeps the pid, so the pid CareTrail
 * holds is the server's own. Children start under {@code umask 077}: what they write (Kafka segments,
 * the registry's H2 files) is readable by the owner only. Where {@code setsid} is missing (not Linux)
 * the child is started directly, as before, and a Ctrl-C also reaches it.
 */
final class ChildProcess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChildProcess.class);
    private static final String SETSID = "/usr/bin/setsid";
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

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
        PrivateFiles.directory(logFile.getParent());
        Path pidFile = logFile.resolveSibling(name + ".pid");
        stopStaleByPidFile(name, pidFile);
        if (!Files.exists(logFile)) {
            PrivateFiles.write(logFile, "");
        }
        Process process = new ProcessBuilder(ownSession(command))
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .start();
        PrivateFiles.write(pidFile, Long.toString(process.pid()));
        LOG.debug("started {} (pid {}): {}", name, process.pid(), command);
        return new ChildProcess(name, process, logFile, pidFile);
    }

    /**
     * {@code command} run in a new session under {@code umask 077}: {@code setsid sh -c 'umask 077 &&
     * exec "$@"' ...}. Both steps exec, so the pid stays the server's.
     */
    static List<String> ownSession(List<String> command) {
        List<String> wrapped = new ArrayList<>();
        if (Files.isExecutable(Path.of(SETSID))) {
            wrapped.add(SETSID);
        }
        wrapped.addAll(List.of("/bin/sh", "-c", "umask 077 && exec \"$@\"", "caretrail-child"));
        wrapped.addAll(command);
        return wrapped;
    }

    /** Runs a short command to completion; throws with its output when it fails. */
    static String run(List<String> command, Duration timeout) throws IOException {
        Process process = new ProcessBuilder(ownSession(command)).redirectErrorStream(true).start();
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

    /**
     * Stops a {@code name} child left running by an earlier CareTrail that was killed (children run in
     * their own sessions, so they outlive a kill -9 of their parent): its pid file is beside
     * {@code logFile}. Call before checking whether the child's ports are free.
     */
    static void stopStale(String name, Path logFile) throws IOException {
        stopStaleByPidFile(name, logFile.resolveSibling(name + ".pid"));
    }

    private static void stopStaleByPidFile(String name, Path pidFile) throws IOException {
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

    /** Completes when the process has exited, whoever stopped it. */
    CompletableFuture<Process> onExit() {
        return process.onExit();
    }

    /** The exit code; only once it has exited. */
    int exitValue() {
        return process.exitValue();
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

    /** SIGTERM, then SIGKILL if it has not exited within {@link #STOP_TIMEOUT}. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.warn("{} did not stop within {} s of SIGTERM; killing it", name, STOP_TIMEOUT.toSeconds());
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
