package org.caretrail.it.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.caretrail.deploy.infra.EmbeddedSchemaRegistry;
import org.caretrail.deploy.infra.Ports;

/**
 * A real OpenID Connect provider for tests: Keycloak (the Maven Central distribution the build
 * unpacks into {@code target/keycloak}), started in development mode on a free loopback port with the
 * realms under {@code src/test/resources/keycloak} imported into an in-memory database, run on a
 * Java 21+ runtime found as the registry's is. Tokens are fetched from it as any client would.
 */
final class KeycloakServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final int port;
    private final long startedNanos;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private KeycloakServer(Process process, int port, long startedNanos) {
        this.process = process;
        this.port = port;
        this.startedNanos = startedNanos;
    }

    /** Starts Keycloak (it is ready only after {@link #awaitReady}). */
    static KeycloakServer start(String... realms) throws IOException {
        Path home = Path.of(System.getProperty("caretrail.keycloak.home", "target/keycloak/keycloak-26.4.0"));
        if (!Files.isExecutable(home.resolve("bin/kc.sh"))) {
            throw new IOException("no Keycloak distribution at " + home + " (mvn generate-test-resources unpacks it)");
        }
        Path java = EmbeddedSchemaRegistry.findJava21().orElseThrow(() -> new IOException("Keycloak needs Java 21+"));
        Path imports = Files.createDirectories(home.resolve("data/import"));
        try (var old = Files.list(imports)) {
            for (Path p : old.toList()) {
                Files.delete(p);
            }
        }
        for (String realm : realms) {
            try (InputStream in = KeycloakServer.class.getResourceAsStream("/keycloak/" + realm + "-realm.json")) {
                Files.copy(in, imports.resolve(realm + "-realm.json"), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        int port = Ports.free();
        ProcessBuilder builder = new ProcessBuilder(List.of(home.resolve("bin/kc.sh").toString(), "start-dev",
                "--http-host=127.0.0.1", "--http-port=" + port, "--http-management-port=" + Ports.free(),
                "--import-realm", "--db=dev-mem"))
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(Files.createDirectories(Path.of("target/it-data")).resolve("keycloak-" + port + ".log")
                        .toFile());
        builder.environment().put("JAVA_HOME", java.getParent().getParent().toString());
        builder.environment().put("JAVA_OPTS_APPEND", "-Xmx512m");
        long started = System.nanoTime();
        return new KeycloakServer(builder.start(), port, started);
    }

    /** Waits until the realm's discovery document is served; returns the seconds from start to ready. */
    double awaitReady(String realm, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Keycloak exited with " + process.exitValue()
                        + "; see target/it-data/keycloak-" + port + ".log");
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(issuer(realm)
                        + "/.well-known/openid-configuration")).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return (System.nanoTime() - startedNanos) / 1e9;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("Keycloak was not ready within " + limit);
    }

    String issuer(String realm) {
        return "http://127.0.0.1:" + port + "/realms/" + realm;
    }

    /** A user's access token (resource owner password grant: a test client only). */
    String userToken(String realm, String client, String secret, String user, String password) throws Exception {
        return token(realm, Map.of("grant_type", "password", "client_id", client, "client_secret", secret,
                "username", user, "password", password, "scope", "openid"));
    }

    /** A system's access token (client credentials grant: how an integration engine gets one). */
    String clientToken(String realm, String client, String secret) throws Exception {
        return token(realm, Map.of("grant_type", "client_credentials", "client_id", client, "client_secret", secret));
    }

    private String token(String realm, Map<String, String> form) throws Exception {
        String body = new LinkedHashMap<>(form).entrySet().stream()
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(issuer(realm)
                        + "/protocol/openid-connect/token")).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = JSON.readTree(r.body());
        if (r.statusCode() != 200 || !json.hasNonNull("access_token")) {
            throw new IllegalStateException("Keycloak refused a token: " + r.statusCode() + " " + r.body());
        }
        return json.get("access_token").asText();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
