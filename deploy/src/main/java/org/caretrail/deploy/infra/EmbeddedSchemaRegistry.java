package org.caretrail.deploy.infra;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Apicurio Registry 3 as a child JVM, serving the Confluent-compatible API at
 * {@code /apis/ccompat/v7}. Bound to loopback; schemas kept in an H2 file under the data directory,
 * so they survive restarts (Kafka keeps records that name schema ids). Apicurio needs Java 21+:
 * {@link #findJava21(String)} looks at the setting {@link #JAVA} ({@code up.registry-java}, still read from
 * {@code CARETRAIL_REGISTRY_JAVA} too), {@code JAVA_HOME}, the running JVM and /usr/lib/jvm.
 */
public final class EmbeddedSchemaRegistry implements Supervisor.Child {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);
    public static final String API_PATH = "/apis/ccompat/v7";

    /** The java binary that runs the registry: a setting of {@code up} (the variable it had before still works). */
    public static final org.caretrail.events.settings.Setting<String> JAVA = org.caretrail.events.settings.Setting
            .text("up.registry-java", "", "The java binary (Java 21 or newer) that runs the embedded schema registry "
                    + "(Apicurio 3); empty, or not Java 21+: JAVA_HOME's, this JVM, then the newest under /usr/lib/jvm.")
            .alsoFromEnv("CARETRAIL_REGISTRY_JAVA");

    private final int port;
    private final List<String> command;
    private final Path registryHome;
    private final Path logFile;
    private volatile ChildProcess process;

    private EmbeddedSchemaRegistry(int port, List<String> command, Path registryHome, Path logFile) {
        this.port = port;
        this.command = command;
        this.registryHome = registryHome;
        this.logFile = logFile;
    }

    /**
     * Starts the registry and waits until its API answers.
     *
     * @param registryHome the unpacked Apicurio distribution (holds quarkus-run.jar)
     */
    public static EmbeddedSchemaRegistry start(Path registryHome, Path dataDir, int port, Duration timeout)
            throws IOException {
        return start(registryHome, dataDir, port, timeout, null);
    }

    /**
     * Starts the registry with the java binary {@code javaBinarySetting} ({@link #JAVA} as resolved; null or
     * empty: from the environment, then the other places {@link #findJava21(String)} looks) and waits until its
     * API answers.
     */
    public static EmbeddedSchemaRegistry start(Path registryHome, Path dataDir, int port, Duration timeout,
            String javaBinarySetting) throws IOException {
        Path jar = registryHome.resolve("quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IOException("the schema registry is not unpacked at " + registryHome
                    + " (no quarkus-run.jar): build with `mvn -pl deploy -am package -DskipTests`, or pass "
                    + "--schema-registry-url to use a running registry");
        }
        ChildProcess.stopStale("registry", dataDir.resolve("logs/registry.log"));
        if (Ports.listening("127.0.0.1", port)) {
            throw new IOException("port " + port + " is already in use: is another registry running? "
                    + "Use --registry-port to choose another or --schema-registry-url to use it");
        }
        Path javaBinary = findJava21(javaBinarySetting).orElseThrow(() -> new IOException(
                "the schema registry (Apicurio 3) needs Java 21 or newer and none was found: set "
                        + "up.registry-java (CARETRAIL_REGISTRY_JAVA) to its java binary, or install one under "
                        + "/usr/lib/jvm"));
        Path storage = PrivateFiles.directory(PrivateFiles.directory(dataDir).resolve("registry"));
        List<String> command = new ArrayList<>(List.of(javaBinary.toString(), "-Xms128m", "-Xmx512m",
                "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + port,
                "-Dquarkus.management.host=127.0.0.1", "-Dquarkus.management.port=" + Ports.free(),
                "-Dapicurio.storage.kind=sql", "-Dapicurio.storage.sql.kind=h2",
                "-Dapicurio.datasource.url=jdbc:h2:file:" + storage.toAbsolutePath().resolve("registry"),
                "-Dquarkus.log.level=WARN",
                "-jar", jar.toAbsolutePath().toString()));
        EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(port, List.copyOf(command), registryHome,
                dataDir.resolve("logs/registry.log"));
        registry.launch();
        try {
            registry.awaitReady(timeout);
        } catch (IOException | RuntimeException e) {
            registry.close();
            throw e;
        }
        return registry;
    }

    private void launch() throws IOException {
        process = ChildProcess.start("registry", command, registryHome, logFile);
    }

    /** A Java 21+ runtime to run Apicurio with ({@link #JAVA} from the environment, then the usual places). */
    public static Optional<Path> findJava21() {
        return findJava21(null);
    }

    /**
     * A Java 21+ runtime to run Apicurio with: {@code configured} ({@link #JAVA} as resolved; null or empty: the
     * setting's environment variables), then {@code JAVA_HOME}'s, this JVM, then the newest under /usr/lib/jvm.
     */
    public static Optional<Path> findJava21(String configured) {
        String chosen = configured != null && !configured.isBlank() ? configured
                : org.caretrail.events.settings.Settings.resolve(List.of(JAVA), java.util.Map.of(), System.getenv(),
                        new Properties(), null).get(JAVA);
        List<Path> candidates = new ArrayList<>();
        Optional.of(chosen).filter(c -> !c.isBlank()).map(c -> Path.of(c.strip())).ifPresent(candidates::add);
        Optional.ofNullable(System.getenv("JAVA_HOME")).map(h -> Path.of(h, "bin", "java")).ifPresent(candidates::add);
        candidates.add(Path.of(System.getProperty("java.home"), "bin", "java"));
        try (Stream<Path> jvms = Files.list(Path.of("/usr/lib/jvm"))) {
            jvms.sorted(Comparator.reverseOrder()).map(h -> h.resolve("bin/java")).forEach(candidates::add);
        } catch (IOException e) {
            LOG.debug("no /usr/lib/jvm: {}", e.toString());
        }
        return candidates.stream().filter(Files::isExecutable).filter(j -> majorVersion(j) >= 21).findFirst();
    }

    private static int majorVersion(Path javaBinary) {
        Path release = javaBinary.getParent().getParent().resolve("release");
        try (var in = Files.newBufferedReader(release)) {
            Properties props = new Properties();
            props.load(in);
            String version = props.getProperty("JAVA_VERSION", "0").replace("\"", "");
            return Integer.parseInt(version.split("[.\\-+]")[0]);
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    private void awaitReady(Duration timeout) throws IOException {
        ChildProcess process = this.process;
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        Instant deadline = Instant.now().plus(timeout);
        HttpRequest request = HttpRequest.newBuilder(URI.create(url() + "/subjects")).timeout(Duration.ofSeconds(2)).build();
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IOException("the schema registry exited during start-up; its log " + process.logFile()
                        + " ends:\n" + process.tail(30));
            }
            try {
                if (http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    LOG.info("schema registry ready at {} (pid {})", url(), process.pid());
                    return;
                }
            } catch (IOException e) {
                LOG.trace("registry not ready yet: {}", e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the registry", e);
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the registry", e);
            }
        }
        throw new IOException("the schema registry did not answer within " + timeout + "; log " + process.logFile()
                + " ends:\n" + process.tail(30));
    }

    /** The Confluent-compatible base URL, e.g. http://127.0.0.1:8081/apis/ccompat/v7. */
    public String url() {
        return "http://127.0.0.1:" + port + API_PATH;
    }

    @Override
    public String name() {
        return "schema registry";
    }

    @Override
    public long pid() {
        return process.pid();
    }

    @Override
    public java.util.concurrent.CompletableFuture<Integer> onExit() {
        return process.onExit().thenApply(Process::exitValue);
    }

    /** Starts it again on the same port with the same H2 file, and waits until it answers. */
    @Override
    public void restart(Duration timeout) throws IOException {
        ChildProcess old = process;
        if (old != null && old.isAlive()) {
            old.close();
        }
        launch();
        awaitReady(timeout);
    }

    /** SIGKILL, no clean shutdown: for failure tests. */
    public void kill() {
        process.kill();
    }

    @Override
    public void close() {
        ChildProcess p = process;
        if (p != null) {
            p.close();
        }
    }
}
