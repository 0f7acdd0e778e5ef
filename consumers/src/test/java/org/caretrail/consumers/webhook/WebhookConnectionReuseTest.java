package org.caretrail.consumers.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Keep-alive connections of the webhook client, against real receivers on this machine that count
 * the connections they accept: HTTP/1.1 connections are persistent unless either side says
 * {@code Connection: close} (RFC 9112 9.3), and an answer's end is known only from its
 * {@code Content-Length}, a 204, or its chunked framing (RFC 9112 6.3). So: many deliveries share
 * few connections; a receiver that closes after each answer still gets every delivery, exactly
 * once; an answer whose end is unknown or far away is not waited for, and its connection is closed.
 */
class WebhookConnectionReuseTest {

    private static final String HOOKS = "hooks.hub.example";

    private final List<AutoCloseable> started = new ArrayList<>();
    private final AtomicReference<String> hubAddress = new AtomicReference<>("127.0.0.1");

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable each : started) {
            each.close();
        }
    }

    private WebhookClient client(Duration timeout) {
        WebhookClient client = new WebhookClient(CallbackPolicy.allowing(List.of(HOOKS))
                .withResolver(host -> new InetAddress[] {InetAddress.getByName(hubAddress.get())}), timeout);
        started.add(client);
        return client;
    }

    private static Map<String, String> delivery(int n) {
        return Map.of("Content-Type", "application/json", "X-CareTrail-Delivery-Id", "sub-1:change-" + n);
    }

    private static byte[] body(int n) {
        return ("{\"changeId\":\"change-" + n + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    /** The JDK's HTTP server, counting connections by the client's port. */
    private final class JdkReceiver {
        final HttpServer server;
        final Set<Integer> connections = ConcurrentHashMap.newKeySet();
        final List<String> deliveries = new CopyOnWriteArrayList<>();

        JdkReceiver(int threads, Handler handler) throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 50);
            server.createContext("/", exchange -> {
                connections.add(exchange.getRemoteAddress().getPort());
                exchange.getRequestBody().readAllBytes();
                deliveries.add(exchange.getRequestHeaders().getFirst("X-CareTrail-Delivery-Id"));
                try {
                    handler.answer(exchange);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                exchange.close();
            });
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            server.setExecutor(pool);
            server.start();
            started.add(() -> {
                server.stop(0);
                pool.shutdownNow();
            });
        }

        URI url(String path) {
            return URI.create("http://" + HOOKS + ":" + server.getAddress().getPort() + path);
        }
    }

    interface Handler {
        void answer(com.sun.net.httpserver.HttpExchange exchange) throws IOException, InterruptedException;
    }

    /** A receiver speaking raw bytes: each request read in full, then answered with what the test scripts. */
    private final class RawReceiver {
        final ServerSocket socket;
        final AtomicInteger connections = new AtomicInteger();
        final AtomicInteger closedByClient = new AtomicInteger();
        final List<String> deliveries = new CopyOnWriteArrayList<>();

        /** @param answer the bytes of the answer; {@code closeAfter}: close the connection after answering */
        RawReceiver(byte[] answer, boolean closeAfter) throws IOException {
            socket = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
            started.add(socket);
            Thread acceptor = new Thread(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket connection = socket.accept();
                        started.add(connection);
                        connections.incrementAndGet();
                        Thread serving = new Thread(() -> serve(connection, answer, closeAfter));
                        serving.setDaemon(true);
                        serving.start();
                    } catch (IOException e) {
                        return; // the test is over
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void serve(Socket connection, byte[] answer, boolean closeAfter) {
            try (connection) {
                InputStream in = connection.getInputStream();
                OutputStream out = connection.getOutputStream();
                while (true) {
                    String head = readHead(in);
                    if (head == null) {
                        closedByClient.incrementAndGet();
                        return;
                    }
                    int length = 0;
                    for (String line : head.split("\r\n")) {
                        String lower = line.toLowerCase(Locale.ROOT);
                        if (lower.startsWith("content-length:")) {
                            length = Integer.parseInt(line.substring(15).trim());
                        } else if (lower.startsWith("x-caretrail-delivery-id:")) {
                            deliveries.add(line.substring(24).trim());
                        }
                    }
                    in.readNBytes(length);
                    out.write(answer);
                    out.flush();
                    if (closeAfter) {
                        return;
                    }
                }
            } catch (IOException e) {
                closedByClient.incrementAndGet(); // reset by the client
            }
        }

        URI url() {
            return URI.create("http://" + HOOKS + ":" + socket.getLocalPort() + "/hook");
        }
    }

    /** A request's head up to the blank line, or null at the end of the stream. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            byte[] bytes = head.toByteArray();
            int n = bytes.length;
            if (n >= 4 && bytes[n - 4] == '\r' && bytes[n - 3] == '\n' && bytes[n - 2] == '\r' && bytes[n - 1] == '\n') {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void manyDeliveriesToOneReceiverShareOneConnection() throws Exception {
        JdkReceiver receiver = new JdkReceiver(2, exchange -> exchange.sendResponseHeaders(204, -1));
        WebhookClient client = client(Duration.ofSeconds(10));

        for (int i = 0; i < 100; i++) {
            assertThat(client.post(receiver.url("/hook"), delivery(i), body(i))).isEqualTo(204);
        }

        assertThat(receiver.deliveries).hasSize(100).doesNotHaveDuplicates();
        assertThat(receiver.connections).hasSize(1);
        assertThat(client.idleConnections()).isEqualTo(1);
    }

    @Test
    void aSmallAnswerBodyIsReadAndTheConnectionReused() throws Exception {
        JdkReceiver receiver = new JdkReceiver(2, exchange -> {
            byte[] ok = ascii("{\"received\":true}");
            exchange.sendResponseHeaders(200, ok.length);
            exchange.getResponseBody().write(ok);
        });
        WebhookClient client = client(Duration.ofSeconds(10));

        for (int i = 0; i < 20; i++) {
            assertThat(client.post(receiver.url("/hook"), delivery(i), body(i))).isEqualTo(200);
        }

        assertThat(receiver.connections).hasSize(1);
    }

    @Test
    void parallelDeliveriesUseNoMoreConnectionsThanAreInFlight() throws Exception {
        JdkReceiver receiver = new JdkReceiver(4, exchange -> exchange.sendResponseHeaders(202, -1));
        WebhookClient client = client(Duration.ofSeconds(10));
        ExecutorService senders = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> sent = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                int n = i;
                sent.add(senders.submit(() -> client.post(receiver.url("/hook"), delivery(n), body(n))));
            }
            for (Future<Integer> each : sent) {
                assertThat(each.get(30, TimeUnit.SECONDS)).isEqualTo(202);
            }
        } finally {
            senders.shutdownNow();
        }

        assertThat(receiver.deliveries).hasSize(200).doesNotHaveDuplicates();
        // never more than 4 POSTs at once, and 4 idle ones fit in the pool: none is closed and reopened
        assertThat(receiver.connections).hasSizeBetween(1, 4);
    }

    @Test
    void theIdleConnectionsKeptPerReceiverAreBounded() throws Exception {
        CountDownLatch hold = new CountDownLatch(1);
        int parallel = WebhookClient.IDLE_PER_RECEIVER + 6;
        JdkReceiver receiver = new JdkReceiver(parallel, exchange -> {
            hold.await(30, TimeUnit.SECONDS);
            exchange.sendResponseHeaders(204, -1);
        });
        WebhookClient client = client(Duration.ofSeconds(30));
        ExecutorService senders = Executors.newFixedThreadPool(parallel);
        try {
            List<Future<Integer>> sent = new ArrayList<>();
            for (int i = 0; i < parallel; i++) {
                int n = i;
                sent.add(senders.submit(() -> client.post(receiver.url("/hook"), delivery(n), body(n))));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> receiver.deliveries.size() == parallel);
            hold.countDown();
            for (Future<Integer> each : sent) {
                assertThat(each.get(30, TimeUnit.SECONDS)).isEqualTo(204);
            }
        } finally {
            senders.shutdownNow();
        }

        assertThat(receiver.connections).hasSize(parallel);
        assertThat(client.idleConnections()).isEqualTo(WebhookClient.IDLE_PER_RECEIVER);
    }

    @Test
    void aReceiverThatSaysConnectionCloseGetsEveryDeliveryOnItsOwnConnection() throws Exception {
        JdkReceiver receiver = new JdkReceiver(2, exchange -> {
            exchange.getResponseHeaders().set("Connection", "close");
            exchange.sendResponseHeaders(204, -1);
        });
        WebhookClient client = client(Duration.ofSeconds(10));

        for (int i = 0; i < 30; i++) {
            assertThat(client.post(receiver.url("/hook"), delivery(i), body(i))).isEqualTo(204);
        }

        assertThat(receiver.deliveries).hasSize(30).doesNotHaveDuplicates();
        assertThat(receiver.connections).hasSize(30);
        assertThat(client.idleConnections()).isZero();
    }

    @Test
    void aReceiverThatSilentlyClosesAfterEachAnswerStillGetsEveryDeliveryExactlyOnce() throws Exception {
        // keep-alive by the book (HTTP/1.1, a 204, no Connection: close), then the socket is closed: the client's
        // next POST on that connection gets no answer byte and is sent again on a new connection
        RawReceiver receiver = new RawReceiver(ascii("HTTP/1.1 204 No Content\r\n\r\n"), true);
        WebhookClient client = client(Duration.ofSeconds(10));

        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            assertThat(client.post(receiver.url(), delivery(i), body(i))).isEqualTo(204);
            expected.add("sub-1:change-" + i);
        }

        // the closed connection never read the request it was sent: each delivery arrived once, in order
        assertThat(receiver.deliveries).containsExactlyElementsOf(expected);
        assertThat(receiver.connections).hasValue(20);
    }

    @Test
    void aChunkedAnswerIsNotWaitedForAndItsConnectionIsClosed() throws Exception {
        // the status says delivered; the chunked body never ends: the client must neither wait for it nor reuse
        RawReceiver receiver = new RawReceiver(ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"),
                false);
        WebhookClient client = client(Duration.ofSeconds(20));

        long begun = System.nanoTime();
        assertThat(client.post(receiver.url(), delivery(1), body(1))).isEqualTo(200);
        assertThat(client.post(receiver.url(), delivery(2), body(2))).isEqualTo(200);
        // well under the 20 s timeout: nothing waited for the rest of the body
        assertThat(Duration.ofNanos(System.nanoTime() - begun)).isLessThan(Duration.ofSeconds(15));

        assertThat(receiver.connections).hasValue(2);
        assertThat(client.idleConnections()).isZero();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(receiver.closedByClient).hasValue(2));
    }

    @Test
    void aHugeAnswerBodyIsNotReadAndItsConnectionIsClosed() throws Exception {
        // a gigabyte announced, a little sent, the rest never: reading it to reuse the connection would hang
        RawReceiver receiver = new RawReceiver(ascii("HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n"
                + "x".repeat(WebhookClient.MAX_DISCARDED_BODY + 1)), false);
        WebhookClient client = client(Duration.ofSeconds(20));

        assertThat(client.post(receiver.url(), delivery(1), body(1))).isEqualTo(200);
        assertThat(client.post(receiver.url(), delivery(2), body(2))).isEqualTo(200);

        assertThat(receiver.connections).hasValue(2);
        assertThat(client.idleConnections()).isZero();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(receiver.closedByClient).hasValue(2));
    }

    @Test
    void anAnswerLongerThanItSaidIsNotTrustedToFrameTheNextOne() throws Exception {
        // two bytes announced, then a second, unasked-for answer: reused, the next POST would read "500" as its own
        RawReceiver receiver = new RawReceiver(ascii("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                + "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"), false);
        WebhookClient client = client(Duration.ofSeconds(10));

        assertThat(client.post(receiver.url(), delivery(1), body(1))).isEqualTo(200);
        assertThat(client.post(receiver.url(), delivery(2), body(2))).isEqualTo(200);

        assertThat(receiver.connections).hasValue(2);
    }

    @Test
    void anHttp10AnswerIsNotKeptAlive() throws Exception {
        RawReceiver receiver = new RawReceiver(ascii("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"), false);
        WebhookClient client = client(Duration.ofSeconds(10));

        assertThat(client.post(receiver.url(), delivery(1), body(1))).isEqualTo(200);
        assertThat(client.post(receiver.url(), delivery(2), body(2))).isEqualTo(200);

        assertThat(receiver.connections).hasValue(2);
    }

    @Test
    void anErrorAnswerClosesItsConnection() throws Exception {
        AtomicInteger answered = new AtomicInteger();
        JdkReceiver receiver = new JdkReceiver(2, exchange -> {
            int status = answered.getAndIncrement() == 0 ? 503 : 204;
            exchange.sendResponseHeaders(status, -1);
        });
        WebhookClient client = client(Duration.ofSeconds(10));

        assertThatThrownBy(() -> client.post(receiver.url("/hook"), delivery(1), body(1)))
                .isInstanceOfSatisfying(WebhookClient.Failure.class,
                        f -> assertThat(f.publicText()).isEqualTo("HTTP 503"));
        assertThat(client.post(receiver.url("/hook"), delivery(1), body(1))).isEqualTo(204);

        assertThat(receiver.connections).hasSize(2);
    }

    @Test
    void aNameNowResolvingToAnotherAddressNeverReusesTheOldAddressesConnection() throws Exception {
        JdkReceiver receiver = new JdkReceiver(2, exchange -> exchange.sendResponseHeaders(204, -1));
        WebhookClient client = client(Duration.ofSeconds(10));
        assertThat(client.post(receiver.url("/hook"), delivery(1), body(1))).isEqualTo(204);
        assertThat(client.idleConnections()).isEqualTo(1);

        // the name now points at 127.0.0.2, where nothing listens (the receiver is bound to 127.0.0.1 only):
        // the connection must go where the name resolves now, not ride the idle one to the old address
        hubAddress.set("127.0.0.2");
        assertThatThrownBy(() -> client.post(receiver.url("/hook"), delivery(2), body(2)))
                .isInstanceOfSatisfying(WebhookClient.Failure.class,
                        f -> assertThat(f.publicText()).isEqualTo("connection refused"));
        assertThat(receiver.deliveries).containsExactly("sub-1:change-1");
    }

    @Test
    void anIdleConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        RawReceiver receiver = new RawReceiver(ascii("HTTP/1.1 204 No Content\r\n\r\n"), false);
        WebhookClient client = client(Duration.ofSeconds(10));
        assertThat(client.post(receiver.url(), delivery(1), body(1))).isEqualTo(204);
        assertThat(client.idleConnections()).isEqualTo(1);

        await().atMost(WebhookClient.IDLE_TIMEOUT.plusSeconds(20))
                .untilAsserted(() -> assertThat(receiver.closedByClient).hasValue(1));
        assertThat(client.idleConnections()).isZero();
    }

    @Test
    void closingTheClientClosesItsIdleConnections() throws Exception {
        RawReceiver receiver = new RawReceiver(ascii("HTTP/1.1 204 No Content\r\n\r\n"), false);
        WebhookClient client = client(Duration.ofSeconds(10));
        assertThat(client.post(receiver.url(), delivery(1), body(1))).isEqualTo(204);

        client.close();

        assertThat(client.idleConnections()).isZero();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(receiver.closedByClient).hasValue(1));
    }
}
