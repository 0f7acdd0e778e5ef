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

    @Test
    void aRequestTheFrontDoorRefusesIsAnsweredWithoutQuotingWhatTheCallerSent() throws Exception {
        int port = Ports.free();
        try (PlatformHttpServer http = new PlatformHttpServer("127.0.0.1", port, -1, HttpLimits.defaults(),
                new Health(), () -> "")) {
            http.mount("/api", answer("api"));
            http.start();
            // an encoded tab before an NHS number: Jetty refuses the path before any handler sees it, and its own
            // error page would quote the URI (the number) back
            HttpResponse<String> refused = get(HttpClient.newHttpClient(),
                    "http://127.0.0.1:" + port + "/api/v1/patients/%099990001006/timeline");
            assertThat(refused.statusCode()).isEqualTo(400);
            assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("text/plain"));
            assertThat(refused.body()).startsWith("HTTP 400 ").doesNotContain("9990001006").doesNotContain("api");
        }
    }

    @Test
    void metricsOnTheApiPortNeedAnOperatorsTokenAndTheHealthPortsDoNot() throws Exception {
        String token = "t-" + java.util.UUID.randomUUID();
        org.caretrail.deploy.security.StaticToken clinician = org.caretrail.deploy.security.StaticToken.of(token,
                java.util.EnumSet.of(org.caretrail.events.access.Role.CLINICIAN));
        for (boolean operator : new boolean[] {true, false}) {
            ApiAccess access = operator ? ApiAccess.bearer(token) : ApiAccess.with(clinician);
            try (PlatformHttpServer http = new PlatformHttpServer("127.0.0.1", Ports.free(), 0, HttpLimits.defaults(),
                    new Health(), () -> "caretrail_up 1\n").protectWith(access.answeringTo(java.util.List.of("127.0.0.1")))) {
                http.start();
                HttpClient client = HttpClient.newHttpClient();
                URI metrics = URI.create("http://127.0.0.1:" + http.port() + "/metrics");
                assertThat(get(client, metrics.toString()).statusCode()).as("no token").isEqualTo(401);
                HttpResponse<String> withToken = client.send(HttpRequest.newBuilder(metrics)
                        .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(withToken.statusCode()).as("operator " + operator).isEqualTo(operator ? 200 : 403);
                assertThat(withToken.body().contains("caretrail_up 1")).isEqualTo(operator);
                // the health port's scrape is for the local probe: no token
                assertThat(get(client, "http://127.0.0.1:" + http.healthPort() + "/metrics").body())
                        .isEqualTo("caretrail_up 1\n");
            }
        }
    }

    @Test
    void anAnswerGivenBeforeTheBodyWasReadClosesTheConnectionAndSaysSo() throws Exception {
        int port = Ports.free();
        try (PlatformHttpServer http = new PlatformHttpServer("127.0.0.1", port, -1, HttpLimits.defaults(),
                new Health(), () -> "")) {
            // a handler that refuses without reading what it was sent (as a 413 over a limit, or a refusal does)
            http.mountPublic("/refuse", exchange -> {
                exchange.sendResponseHeaders(413, -1);
                exchange.close();
            });
            http.mountPublic("/read", exchange -> {
                exchange.getRequestBody().readAllBytes();
                exchange.sendResponseHeaders(204, -1);
                exchange.close();
            });
            http.start();
            byte[] body = new byte[256 * 1024];
            java.util.Arrays.fill(body, (byte) 'x');
            String refused = post(port, "/refuse", body);
            assertThat(refused).startsWith("HTTP/1.1 413").containsIgnoringCase("Connection: close");
            String read = post(port, "/read", body);
            assertThat(read).startsWith("HTTP/1.1 204").doesNotContainIgnoringCase("Connection: close");

            // a keep-alive client sends request after request (small bodies, that it has sent in full before it reads
            // the answer): each is answered, none lands on a connection that is closing
            byte[] small = java.util.Arrays.copyOf(body, 2048);
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            for (int i = 0; i < 30; i++) {
                String path = i % 2 == 0 ? "/refuse" : "/read";
                HttpResponse<Void> response = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + path))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(small)).build(), HttpResponse.BodyHandlers.discarding());
                assertThat(response.statusCode()).as("request %d to %s", i, path).isEqualTo(i % 2 == 0 ? 413 : 204);
            }
        }
    }

    /** The response head to a POST of {@code body}, read as far as the blank line, on a connection of its own. */
    private static String post(int port, String path, byte[] body) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: text/plain\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            try {
                out.write(body);
                out.flush();
            } catch (java.io.IOException closedUnderUs) {
                // the server may close once it has answered: what it answered is what is checked
            }
            StringBuilder head = new StringBuilder();
            java.io.InputStream in = socket.getInputStream();
            int c;
            while ((c = in.read()) != -1) {
                head.append((char) c);
                if (head.toString().endsWith("\r\n\r\n")) {
                    break;
                }
            }
            return head.toString();
        }
    }

    private static HttpResponse<String> get(HttpClient client, String url) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
