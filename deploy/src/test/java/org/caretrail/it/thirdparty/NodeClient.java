package org.caretrail.it.thirdparty;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The third-party Node client ({@code src/test/resources/thirdparty/kafkajs-client.js}) and its packages,
 * installed from npm into {@code target/kafkajs}. Without node and npm (or without the npm registry) a test
 * using it is skipped with the reason, unless {@code CARETRAIL_REQUIRE_NODE=1} makes that a failure.
 */
final class NodeClient {

    /** The npm packages the README's "Third-party clients" names, at the versions tested. */
    static final List<String> NPM_PACKAGES = List.of("kafkajs@2.2.4", "@kafkajs/confluent-schema-registry@3.9.0",
            "lz4js@0.2.0");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path nodeModules;

    private NodeClient(Path nodeModules) {
        this.nodeModules = nodeModules;
    }

    /** Installs the packages (without their install scripts: all three are plain JavaScript). */
    static NodeClient install() throws Exception {
        boolean required = "1".equals(System.getenv("CARETRAIL_REQUIRE_NODE"));
        for (String tool : List.of("node", "npm")) {
            if (!runs(List.of(tool, "--version"), Duration.ofSeconds(30))) {
                skipOrFail(required, tool + " is not installed: the non-Java client test needs Node 18+ and npm"
                        + " (CARETRAIL_REQUIRE_NODE=1 makes this a failure)");
            }
        }
        Path prefix = Files.createDirectories(Path.of("target", "kafkajs"));
        List<String> install = new ArrayList<>(List.of("npm", "install", "--prefix", prefix.toString(),
                "--no-audit", "--no-fund", "--ignore-scripts", "--no-save"));
        install.addAll(NPM_PACKAGES);
        if (!runs(install, Duration.ofMinutes(5))) {
            skipOrFail(required, "npm could not install " + NPM_PACKAGES + " into " + prefix
                    + " (is the npm registry reachable?)");
        }
        return new NodeClient(prefix.resolve("node_modules").toAbsolutePath());
    }

    /** Runs the client with {@code environment}; its JSON lines, or an assertion error with its exit code. */
    List<JsonNode> run(Map<String, String> environment) throws Exception {
        Path script = Path.of(NodeClient.class.getResource("/thirdparty/kafkajs-client.js").toURI());
        ProcessBuilder node = new ProcessBuilder("node", script.toString()).redirectError(ProcessBuilder.Redirect.INHERIT);
        Map<String, String> env = new HashMap<>(environment);
        env.put("NODE_PATH", nodeModules.toString());
        env.put("KAFKAJS_NO_PARTITIONER_WARNING", "1");
        node.environment().putAll(env);
        Process process = node.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(3, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("the node client did not finish within 3 minutes; it printed: " + out);
        }
        System.out.print("node client: " + out);
        if (process.exitValue() != 0) {
            throw new AssertionError("the node client exited with " + process.exitValue() + " (its error is in the"
                    + " test's output); it printed: " + out);
        }
        List<JsonNode> steps = new ArrayList<>();
        for (String line : out.strip().split("\n")) {
            steps.add(JSON.readTree(line));
        }
        return steps;
    }

    /** The step the client reported as {@code name}. */
    static JsonNode step(List<JsonNode> steps, String name) {
        return steps.stream().filter(s -> s.path("step").asText().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("the node client did not report " + name + ": " + steps));
    }

    private static void skipOrFail(boolean required, String message) {
        if (required) {
            throw new AssertionError(message);
        }
        Assumptions.abort(message);
    }

    private static boolean runs(List<String> command, Duration limit) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }
}
