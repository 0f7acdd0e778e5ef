package org.caretrail.deploy.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpHandler;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.caretrail.deploy.infra.Ports;
import org.junit.jupiter.api.Test;

/** The HTTP front door in process: routing as the JDK server did it, health, and the header limit. */
class PlatformHttpServerTest {

    private static HttpHandler answer(String text) {
        return exchange -> {
            byte[] body = (text + " " + exchange.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        };
    }

    @Test
    void pathsReachTheHandlerMountedForTheirLongestPrefixAndHealthSaysWhichPartIsDown() throws Exception {
        Health health = new Health().part("broker", () -> Health.Status.down("cannot reach Kafka"))
                .part("timeline", () -> Health.Status.up("RUNNING"));
        int port = Ports.free();
        try (PlatformHttpServer http = new PlatformHttpServer("127.0.0.1", port, 0, HttpLimits.defaults(), health,
                () -> "caretrail_up 1\n")) {
            http.mount("/api/v1/patients/", answer("timeline"));
            http.mount("/fhir/r4", answer("fhir"));
            http.mountPublic("/", answer("web view"));
            http.start();
            health.check();
            HttpClient client = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + port;
            assertThat(get(client, base + "/api/v1/patients/9990000018/timeline").body())
                    .isEqualTo("timeline /api/v1/patients/9990000018/timeline");
            assertThat(get(client, base + "/fhir/r4/metadata").body()).isEqualTo("fhir /fhir/r4/metadata");
            assertThat(get(client, base + "/index.html").body()).isEqualTo("web view /index.html");
            assertThat(get(client, base + "/metrics").body()).isEqualTo("caretrail_up 1\n");

            HttpResponse<String> overall = get(client, base + "/health");
            assertThat(overall.statusCode()).isEqualTo(503);
            assertThat(overall.body()).contains("\"status\":\"DOWN\"", "\"broker\":\"DOWN\"", "\"timeline\":\"UP\"",
                    "cannot reach Kafka");
            String probe = "http://127.0.0.1:" + http.healthPort();
            assertThat(get(client, probe + "/health/ready").statusCode()).isEqualTo(503);
            assertThat(get(client, probe + "/health/live").statusCode()).as("Kafka away: no reason to restart")
                    .isEqualTo(200);
            assertThat(get(client, probe + "/api/v1/patients/9990000018/timeline").statusCode())
                    .as("the health port serves health only").isEqualTo(404);
        }
    }

    @Test
    void aBrokenPartFailsLivenessToo() throws Exception {
        Health health = new Health().part("timeline", () -> Health.Status.broken("ERROR"));
        health.check();
        assertThat(health.live()).isFalse();
        assertThat(health.ready()).isFalse();
        health.close();
    }

    @Test
    void headersOverTheLimitAreRefusedWith431() throws Exception {
        int port = Ports.free();
        try (PlatformHttpServer http = new PlatformHttpServer("127.0.0.1", port, -1, HttpLimits.defaults(),
                new Health(), () -> "")) {
            http.mount("/api", answer("api"));
            http.start();
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.getOutputStream().write(("GET /api HTTP/1.1\r\nHost: x\r\nX-Big: "
                        + "a".repeat(HttpLimits.DEFAULT_MAX_HEADER_BYTES + 1) + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                String status = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
                assertThat(status).isEqualTo("HTTP/1.1 431");
            }
        }
    }

    private static HttpResponse<String> get(HttpClient client, String url) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
