package org.caretrail.it.faults;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.caretrail.deploy.infra.Ports;

/**
 * {@code ./caretrail up} as a person runs it, in its own JVM through the real launcher script (which
 * sets the umask and the JVM options), on free ports and its own data directory. The script runs on
 * this test's class path ({@code CARETRAIL_CLASSPATH}) instead of building the jar. Either a plain child
 * process ({@link #start}) or in a tmux pseudo-terminal ({@link #startInTerminal}), where Ctrl-C reaches
 * the whole foreground process group as it does for a person.
 */
final class PlatformProcess implements AutoCloseable {

    final Path data;
    final Path log;
    final int kafkaPort;
    final int registryPort;
    final int httpPort;
    final int mllpPort;
    final int healthPort;
    private final List<String> extra;
    private final String javaOpts;
    private Process process;
    private String tmuxSession;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    PlatformProcess(String name, List<String> extraOptions) throws IOException {
        Path root = Files.createDirectories(Path.of("target", "it-data")).toAbsolutePath();
        this.data = Files.createTempDirectory(root, name + "-");
        this.log = data.resolveSibling(data.getFileName() + ".log");
        this.extra = extraOptions;
        this.javaOpts = "-Xmx768m";
        this.kafkaPort = Ports.free();
        this.registryPort = Ports.free();
        this.httpPort = Ports.free();
        this.mllpPort = Ports.free();
        this.healthPort = Ports.free();
    }

    private PlatformProcess(PlatformProcess before, String javaOpts) {
        this.data = before.data;
        this.log = data.resolveSibling(data.getFileName() + "-again.log");
        this.extra = before.extra;
        this.javaOpts = javaOpts;
        this.kafkaPort = before.kafkaPort;
        this.registryPort = before.registryPort;
        this.httpPort = before.httpPort;
        this.mllpPort = before.mllpPort;
        this.healthPort = before.healthPort;
    }

    /** The same platform (data, ports, options) to start again, with these JVM options. */
    PlatformProcess again(String javaOpts) {
        return new PlatformProcess(this, javaOpts);
    }

    static Path projectRoot() {
        Path here = Path.of("").toAbsolutePath();
        return Files.exists(here.resolve("caretrail")) ? here : here.getParent();
    }

    private List<String> upCommand() {
        List<String> command = new ArrayList<>(List.of(projectRoot().resolve("caretrail").toString(), "up",
                "--data-dir", data.toString(), "--kafka-port", "" + kafkaPort, "--registry-port", "" + registryPort,
                "--http-port", "" + httpPort, "--mllp-port", "" + mllpPort, "--health-port", "" + healthPort));
        command.addAll(extra);
        return command;
    }

    /** A script that runs {@code caretrail up}, its output to {@link #log}, then writes {@code exit=N} there. */
    private Path launcher() throws IOException {
        StringBuilder script = new StringBuilder("#!/usr/bin/env bash\n")
                .append("trap : INT\n") // the shell outlives Ctrl-C to record the exit code (a handler, not SIG_IGN)
                .append("export CARETRAIL_CLASSPATH=").append(quote(System.getProperty("java.class.path"))).append('\n')
                .append("export CARETRAIL_JAVA_OPTS=").append(quote(javaOpts)).append('\n')
                .append("cd ").append(quote(projectRoot().toString())).append('\n');
        for (String part : upCommand()) {
            script.append(quote(part)).append(' ');
        }
        script.append("> ").append(quote(log.toString())).append(" 2>&1\n")
                .append("echo \"exit=$?\" >> ").append(quote(log.toString())).append('\n');
        Path file = log.resolveSibling(log.getFileName() + "-launch.sh");
        Files.writeString(file, script.toString());
        return file;
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** Starts it as a plain child process (SIGTERM and SIGKILL from the test). */
    PlatformProcess start() throws IOException {
        process = new ProcessBuilder("bash", launcher().toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return this;
    }

    /** Starts it in a detached tmux session: a real pseudo-terminal whose Ctrl-C reaches its foreground group. */
    PlatformProcess startInTerminal() throws IOException, InterruptedException {
        tmuxSession = "caretrail-" + data.getFileName();
        run("tmux", "new-session", "-d", "-s", tmuxSession, "-x", "160", "-y", "50", "bash " + launcher());
        return this;
    }

    /** Types Ctrl-C into the terminal, as a person would. */
    void pressCtrlC() throws IOException, InterruptedException {
        run("tmux", "send-keys", "-t", tmuxSession, "C-c");
    }

    static boolean tmuxAvailable() {
        try {
            return new ProcessBuilder("tmux", "-V").start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
    }

    String output() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** Waits until the platform printed that it is up; fails with its output if it stopped first. */
    void awaitUp(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String out = output();
            if (out.contains("CareTrail is up")) {
                return;
            }
            if (out.contains("exit=")) {
                throw new IllegalStateException("caretrail up stopped during start-up:\n" + out);
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("caretrail up was not up within " + timeout + ":\n" + output());
    }

    /** The exit code once {@code caretrail up} has exited, else empty. */
    Optional<Integer> exitCode() {
        String out = output();
        int at = out.lastIndexOf("exit=");
        if (at < 0) {
            return Optional.empty();
        }
        return Optional.of(Integer.parseInt(out.substring(at + 5).trim().split("\\s")[0]));
    }

    /** The pid in a child's pid file (data/logs/NAME.pid), while it exists. */
    Optional<Long> childPid(String name) {
        try {
            Path file = data.resolve("logs").resolve(name + ".pid");
            return Files.exists(file) ? Optional.of(Long.parseLong(Files.readString(file).trim())) : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The platform's own JVM (the java process running CareTrail's main), from its pid file. */
    Optional<ProcessHandle> platformJvm() {
        return childPid("caretrail").flatMap(ProcessHandle::of);
    }

    /** GET, with the platform's API token (made on its first start in the data directory) once there is one. */
    HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5));
        Path token = data.resolve("api-token");
        if (Files.isReadable(token)) {
            request.header("Authorization", "Bearer " + Files.readAllLines(token).get(0).strip());
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    String bootstrapServers() {
        return "localhost:" + kafkaPort;
    }

    /**
     * How {@code principal} connects to this platform's embedded Kafka: secured by default, with the files
     * {@code up} made under its data directory (plain when it runs with {@code --no-kafka-security}).
     */
    org.caretrail.events.kafka.KafkaClientSettings kafka(org.caretrail.events.topic.CarePrincipal principal)
            throws IOException {
        Path security = data.resolve("kafka-security");
        return Files.isDirectory(security.resolve("credentials")) && !extra.contains("--no-kafka-security")
                ? org.caretrail.deploy.infra.KafkaSecurity.existing(security).client(bootstrapServers(), principal)
                : org.caretrail.events.kafka.KafkaClientSettings.plaintext(bootstrapServers());
    }

    String registryUrl() {
        return "http://127.0.0.1:" + registryPort + "/apis/ccompat/v7";
    }

    /** Whatever is still running is stopped: the tmux session, the platform JVM and its children. */
    @Override
    public void close() {
        Optional<ProcessHandle> jvm = platformJvm().filter(ProcessHandle::isAlive);
        List<Long> children = new ArrayList<>();
        childPid("kafka").ifPresent(children::add);
        childPid("registry").ifPresent(children::add);
        jvm.ifPresent(ProcessHandle::destroy);
        jvm.ifPresent(p -> p.onExit().orTimeout(30, java.util.concurrent.TimeUnit.SECONDS).exceptionally(e -> p)
                .join());
        jvm.filter(ProcessHandle::isAlive).ifPresent(ProcessHandle::destroyForcibly);
        for (long pid : children) {
            ProcessHandle.of(pid).filter(ProcessHandle::isAlive).ifPresent(ProcessHandle::destroyForcibly);
        }
        if (process != null) {
            process.destroy();
        }
        if (tmuxSession != null) {
            try {
                run("tmux", "kill-session", "-t", tmuxSession);
            } catch (IOException | InterruptedException e) {
                // already gone with the command it ran
            }
        }
    }
}
