package org.caretrail.it.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.caretrail.deploy.http.Health;
import org.caretrail.deploy.http.HttpLimits;
import org.caretrail.deploy.http.PlatformHttpServer;
import org.caretrail.deploy.infra.Ports;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The HTTP front door under attack, on the real server with its documented default limits: 100
 * slowloris connections (request headers sent a byte a second, never finished) and 100 connections
 * sending a body at 10 bytes a second (the minimum is 1,024 after a 5 s grace). Meanwhile a real
 * client's API call and {@code /health} (on the main port and on the health port) must be answered,
 * and every slow connection must be closed by the server within its limit (headers: 10 s after the
 * first byte; bodies: once the 5 s grace has passed), plus the guard's sweep and a margin for this
 * loaded machine.
 */
@Tag("faults")
class HttpFrontDoorFaultsIT {

    private static final int SLOWLORIS = 100;
    private static final int SLOW_BODIES = 100;
    private static final long MARGIN_MS = 4_000;

    @Test
    void slowClientsAreClosedInTimeWhileRealClientsAreAnswered() throws Exception {
        HttpLimits limits = HttpLimits.defaults();
        Health health = new Health().part("test", () -> Health.Status.up("always"));
        int port = Ports.free();
        try (PlatformHttpServer http = new PlatformHttpServer("127.0.0.1", port, 0, limits, health, () -> "# none\n")) {
            // the transport under test, without the access layer (whose own refusals are tested elsewhere)
            http.mountPublic("/api/v1/echo", exchange -> {
                byte[] body = exchange.getRequestBody().readAllBytes();
                byte[] answer = ("{\"received\":" + body.length + "}").getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, answer.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(answer);
                }
            });
            http.start();
            health.check();

            List<Socket> sockets = new CopyOnWriteArrayList<>();
            ConcurrentHashMap<Socket, Long> openedAt = new ConcurrentHashMap<>();
            ConcurrentHashMap<Socket, Long> closedAfter = new ConcurrentHashMap<>();
            ScheduledExecutorService drip = Executors.newScheduledThreadPool(4);
            List<Thread> readers = new ArrayList<>();
            try {
                for (int i = 0; i < SLOWLORIS + SLOW_BODIES; i++) {
                    boolean slowloris = i < SLOWLORIS;
                    Socket socket = new Socket();
                    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                    sockets.add(socket);
                    OutputStream out = socket.getOutputStream();
                    if (slowloris) {
                        out.write("GET /api/v1/echo HTTP/1.1\r\nHost: caretrail\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
                    } else {
                        out.write(("POST /api/v1/echo HTTP/1.1\r\nHost: caretrail\r\nContent-Type: application/json\r\n"
                                + "Content-Length: 100000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    }
                    out.flush();
                    openedAt.put(socket, System.nanoTime());
                    byte[] dripped = slowloris ? new byte[] {'a'} : "0123456789".getBytes(StandardCharsets.US_ASCII);
                    drip.scheduleAtFixedRate(() -> {
                        try {
                            out.write(dripped);
                            out.flush();
                        } catch (IOException e) {
                            throw new IllegalStateException("closed"); // stops this drip
                        }
                    }, 1, 1, TimeUnit.SECONDS);
                    Thread reader = new Thread(() -> awaitClose(socket, openedAt, closedAfter), "reader-" + i);
                    reader.setDaemon(true);
                    reader.start();
                    readers.add(reader);
                }

                // a real client, all through the attack
                HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                AtomicLong slowestAnswer = new AtomicLong();
                int answered = 0;
                long attackEnds = System.nanoTime() + Duration.ofSeconds(16).toNanos();
                while (System.nanoTime() < attackEnds) {
                    long t = System.nanoTime();
                    HttpResponse<String> api = client.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/api/v1/echo")).timeout(Duration.ofSeconds(5))
                            .POST(HttpRequest.BodyPublishers.ofString("x".repeat(2048))).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(api.statusCode()).isEqualTo(200);
                    assertThat(api.body()).isEqualTo("{\"received\":2048}");
                    HttpResponse<String> mainHealth = client.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/health")).timeout(Duration.ofSeconds(5)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(mainHealth.statusCode()).isEqualTo(200);
                    HttpResponse<String> probe = client.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + http.healthPort() + "/health/live"))
                            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                    assertThat(probe.statusCode()).isEqualTo(200);
                    assertThat(probe.body()).contains("\"test\":\"UP\"");
                    slowestAnswer.accumulateAndGet(System.nanoTime() - t, Math::max);
                    answered++;
                    Thread.sleep(250);
                }

                for (Thread reader : readers) {
                    reader.join(Duration.ofSeconds(30).toMillis());
                }
                List<Long> loris = new ArrayList<>();
                List<Long> bodies = new ArrayList<>();
                for (int i = 0; i < sockets.size(); i++) {
                    Long after = closedAfter.get(sockets.get(i));
                    (i < SLOWLORIS ? loris : bodies).add(after == null ? Long.MAX_VALUE : after);
                }
                long lorisMax = loris.stream().mapToLong(Long::longValue).max().orElseThrow();
                long bodyMax = bodies.stream().mapToLong(Long::longValue).max().orElseThrow();
                System.out.printf("front door under attack: %d slowloris closed after at most %d ms (limit %d ms), "
                        + "%d slow bodies closed after at most %d ms (grace %d ms at %d B/s); %d rounds of real calls "
                        + "answered, slowest round %d ms; server counted %s%n", SLOWLORIS, lorisMax,
                        limits.headerTimeout().toMillis(), SLOW_BODIES, bodyMax, limits.bodyGrace().toMillis(),
                        limits.minBodyRate(), answered, slowestAnswer.get() / 1_000_000,
                        java.util.Arrays.toString(http.slowClientsClosed()));
                assertThat(loris).as("every slowloris connection closed within the header timeout")
                        .allSatisfy(ms -> assertThat(ms).isLessThanOrEqualTo(limits.headerTimeout().toMillis()
                                + MARGIN_MS));
                assertThat(loris).as("and not before it").allSatisfy(ms -> assertThat(ms)
                        .isGreaterThanOrEqualTo(limits.headerTimeout().toMillis() - 1_000));
                assertThat(bodies).as("every slow body closed once the grace has passed")
                        .allSatisfy(ms -> assertThat(ms).isLessThanOrEqualTo(limits.bodyGrace().toMillis() + MARGIN_MS));
                assertThat(answered).isGreaterThan(10);
                assertThat(http.slowClientsClosed()).containsExactly(SLOWLORIS, SLOW_BODIES);
            } finally {
                drip.shutdownNow();
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
    }

    /** Reads until the server closes the connection; records how long after opening that was. */
    private static void awaitClose(Socket socket, java.util.Map<Socket, Long> openedAt, java.util.Map<Socket, Long> closedAfter) {
        try {
            socket.setSoTimeout(60_000);
            InputStream in = socket.getInputStream();
            while (in.read() != -1) {
                // a 500 or 408 from the server may come first; the end of the stream is what counts
            }
        } catch (IOException e) {
            // reset by the server: closed as well
        }
        closedAfter.put(socket, (System.nanoTime() - openedAt.get(socket)) / 1_000_000);
    }
}
