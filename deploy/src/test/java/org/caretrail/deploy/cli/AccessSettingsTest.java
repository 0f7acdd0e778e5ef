package org.caretrail.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.caretrail.deploy.http.ApiAccess;
import org.caretrail.deploy.http.PlatformHttpServer;
import org.caretrail.events.settings.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Who may call the APIs is set like every other setting: the access.* settings from a file or the environment, up's
 * own options winning over them; checked over the real HTTP server as a caller sees it.
 */
class AccessSettingsTest {

    private static final String TOKEN = "access-settings-test-token-0123456789abcdef";
    private static final String TIMELINE = "/api/v1/patients/9912003888/timeline";

    @TempDir
    Path dataDir;

    @Test
    void theStaticTokensRolesComeFromTheFileAndTheOptionWinsOverIt() throws Exception {
        Properties file = file("access.static-token-roles", "subscriber_admin");
        // the file's role alone: a timeline is not the subscriber admin's to read
        assertThat(status(access(new String[0], file, Map.of()), TIMELINE, "127.0.0.1")).isEqualTo(403);
        // up's own option wins over the file
        assertThat(status(access(new String[] {"--static-token-roles", "clinician"}, file, Map.of()), TIMELINE,
                "127.0.0.1")).isEqualTo(200);
        // the environment wins over the file too
        assertThat(status(access(new String[0], file, Map.of("CARETRAIL_ACCESS_STATIC_TOKEN_ROLES", "clinician")),
                TIMELINE, "127.0.0.1")).isEqualTo(200);
    }

    @Test
    void anotherHostNameIsAnsweredOnlyWhenTheSettingNamesIt() throws Exception {
        assertThat(status(access(new String[0], new Properties(), Map.of()), TIMELINE, "lb.trust.example"))
                .as("a Host nobody named: DNS rebinding is refused").isEqualTo(403);
        assertThat(status(access(new String[0], file("access.allowed-hosts", "other.example, lb.trust.example"),
                Map.of()), TIMELINE, "lb.trust.example")).isEqualTo(200);
    }

    @Test
    void badAccessSettingsStopBeforeAnythingStartsNamingTheSetting() {
        assertThatThrownBy(() -> resolve(file("access.static-token-roles", "clinician,nurse"), Map.of()))
                .hasMessageContaining("access.static-token-roles").hasMessageContaining("'nurse' is not a CareTrail role");
        assertThatThrownBy(() -> resolve(file("access.allowed-origins", "https://ehr.example/app"), Map.of()))
                .hasMessageContaining("access.allowed-origins").hasMessageContaining("no path");
        assertThatThrownBy(() -> resolve(file("access.oidc-issuer", "keycloak.example/realms/nhs"), Map.of()))
                .hasMessageContaining("access.oidc-issuer").hasMessageContaining("http(s) URL");
        assertThatThrownBy(() -> access(new String[0], file("access.oidc-issuer", "https://keycloak.example/realms/nhs"),
                Map.of())).hasMessageContaining("access.oidc-audience");
    }

    private static Properties file(String key, String value) {
        Properties p = new Properties();
        p.setProperty("access.api-token", TOKEN);
        p.setProperty(key, value);
        return p;
    }

    private static Settings resolve(Properties file, Map<String, String> env) {
        return Settings.resolve(AccessOptions.DEFINITIONS, Map.of(), env, file, "caretrail.properties");
    }

    private ApiAccess access(String[] args, Properties file, Map<String, String> env) throws Exception {
        AccessOptions options = new AccessOptions();
        new CommandLine(options).parseArgs(args);
        Properties withToken = new Properties();
        withToken.putAll(file);
        withToken.putIfAbsent("access.api-token", TOKEN);
        return options.build(dataDir, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                resolve(withToken, env));
    }

    /** The status a GET with the token gets, sent with {@code host} as its Host header. */
    private static int status(ApiAccess access, String path, String host) throws Exception {
        try (PlatformHttpServer server = new PlatformHttpServer("127.0.0.1", 0, () -> "")) {
            server.protectWith(access).mount("/api/v1/patients/", exchange -> {
                exchange.sendResponseHeaders(200, -1);
                exchange.close();
            }).start();
            if ("127.0.0.1".equals(host)) {
                HttpResponse<Void> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + path)).header("Authorization", "Bearer " + TOKEN)
                        .build(), HttpResponse.BodyHandlers.discarding());
                return r.statusCode();
            }
            // the JDK client will not send a Host of our choosing: a raw request, as a rebinding page's would be
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
                socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer "
                        + TOKEN + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                String head = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                return Integer.parseInt(head.substring(9, 12));
            }
        }
    }
}
