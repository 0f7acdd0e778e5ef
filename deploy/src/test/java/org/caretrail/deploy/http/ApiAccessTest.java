package org.caretrail.deploy.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiAccessTest {

    private static final String TOKEN = "a-sixteen-char-token-0123";

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newHttpClient();

    @Test
    void aTokenComesFromItsFileFirstThenTheEnvironmentAndIsLongEnough() throws Exception {
        Path file = dir.resolve("token");
        Files.writeString(file, TOKEN + "\nsecond line ignored\n");
        assertThat(ApiAccess.configured(file, "from-the-environment-too").authorization()).hasValue("Bearer " + TOKEN);
        assertThat(ApiAccess.configured(null, "from-the-environment-xyz").authorization())
                .hasValue("Bearer from-the-environment-xyz");
        assertThat(ApiAccess.configured(null, "  ").requiresToken()).isFalse();
        assertThat(ApiAccess.configured(null, null).requiresToken()).isFalse();
        assertThatThrownBy(() -> ApiAccess.bearer("short")).hasMessageContaining("at least 16");
        assertThatThrownBy(() -> ApiAccess.configured(dir.resolve("missing"), null))
                .hasMessageContaining("cannot read the API token file");
    }

    @Test
    void patientDataLeavesLoopbackOnlyBehindAToken() {
        ApiAccess open = ApiAccess.open();
        open.requireFor("127.0.0.1");
        open.requireFor("localhost");
        open.requireFor("::1");
        assertThatThrownBy(() -> open.requireFor("0.0.0.0"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("without an API token").hasMessageContaining(ApiAccess.TOKEN_ENV);
        ApiAccess.bearer(TOKEN).requireFor("0.0.0.0");
    }

    @Test
    void guardedHandlersAnswer401WithoutTheTokenAndPublicOnesDoNot() throws Exception {
        try (PlatformHttpServer server = new PlatformHttpServer("127.0.0.1", 0, () -> "metrics")) {
            server.protectWith(ApiAccess.bearer(TOKEN))
                    .mount("/api/v1/things", exchange -> {
                        byte[] ok = "{\"ok\":true}".getBytes();
                        exchange.sendResponseHeaders(200, ok.length);
                        exchange.getResponseBody().write(ok);
                        exchange.close();
                    })
                    .mount("/fhir/r4", exchange -> {
                        exchange.sendResponseHeaders(204, -1);
                        exchange.close();
                    })
                    .mountPublic("/web", exchange -> {
                        exchange.sendResponseHeaders(204, -1);
                        exchange.close();
                    })
                    .start();
            String base = "http://127.0.0.1:" + server.port();

            HttpResponse<String> none = get(base + "/api/v1/things", null);
            assertThat(none.statusCode()).isEqualTo(401);
            assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"caretrail\"");
            assertThat(none.body()).contains("API token is required");
            assertThat(get(base + "/api/v1/things", "Bearer " + TOKEN + "0").statusCode()).isEqualTo(401);
            assertThat(get(base + "/api/v1/things", "Bearer " + TOKEN.substring(1)).statusCode()).isEqualTo(401);
            assertThat(get(base + "/api/v1/things", "Basic " + TOKEN).statusCode()).isEqualTo(401);
            assertThat(get(base + "/api/v1/things", "Bearer " + TOKEN).statusCode()).isEqualTo(200);
            assertThat(get(base + "/api/v1/things", "bearer " + TOKEN).statusCode()).isEqualTo(200);

            HttpResponse<String> fhir = get(base + "/fhir/r4/metadata", null);
            assertThat(fhir.statusCode()).isEqualTo(401);
            assertThat(fhir.headers().firstValue("Content-Type")).get().asString().startsWith("application/fhir+json");
            assertThat(fhir.body()).contains("\"resourceType\":\"OperationOutcome\"").contains("\"code\":\"login\"");
            assertThat(get(base + "/fhir/r4/metadata", "Bearer " + TOKEN).statusCode()).isEqualTo(204);

            assertThat(get(base + "/web", null).statusCode()).isEqualTo(204);
            assertThat(get(base + "/health", null).statusCode()).isEqualTo(200);
        }
    }

    private HttpResponse<String> get(String url, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
