package org.caretrail.consumers.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The webhook client against real HTTP(S) servers on this machine, with names resolved by a
 * resolver the test controls (no network here): it connects to the address it checked, names the
 * host in {@code Host} and in TLS, follows no redirect, and says what went wrong in a few words.
 */
class WebhookClientTest {

    private static final String HOOKS = "hooks.hub.example";

    private HttpServer receiver;
    private HttpServer elsewhere;
    private final List<String> hosts = new CopyOnWriteArrayList<>();
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private final AtomicInteger elsewhereHits = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/", exchange -> {
            hosts.add(exchange.getRequestHeaders().getFirst("Host"));
            bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            String path = exchange.getRequestURI().getPath();
            if (path.equals("/redirect")) {
                exchange.getResponseHeaders().set("Location", "http://127.0.0.1:" + elsewhere.getAddress().getPort()
                        + "/stolen");
                exchange.sendResponseHeaders(302, -1);
            } else if (path.equals("/fail")) {
                byte[] body = "stack trace: java.sql.SQLException at db.internal:5432 password=hunter2"
                        .getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(500, body.length);
                exchange.getResponseBody().write(body);
            } else {
                exchange.sendResponseHeaders(204, -1);
            }
            exchange.close();
        });
        receiver.start();
        elsewhere = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        elsewhere.createContext("/", exchange -> {
            elsewhereHits.incrementAndGet();
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        elsewhere.start();
    }

    @AfterEach
    void stop() {
        receiver.stop(0);
        elsewhere.stop(0);
    }

    private static InetAddress[] loopback(String host) throws UnknownHostException {
        if (host.endsWith("hub.example")) {
            return new InetAddress[] {InetAddress.getByName("127.0.0.1")};
        }
        throw new UnknownHostException(host);
    }

    /** The operator allows the hub's name, which lives on this machine in the test. */
    private static WebhookClient client(Duration timeout) {
        return new WebhookClient(CallbackPolicy.allowing(List.of(HOOKS)).withResolver(WebhookClientTest::loopback),
                timeout);
    }

    private URI url(String path) {
        return URI.create("http://" + HOOKS + ":" + receiver.getAddress().getPort() + path);
    }

    @Test
    void postsToTheCheckedAddressNamingTheHostInTheHostHeader() throws Exception {
        int status = client(Duration.ofSeconds(5)).post(url("/hooks/caretrail?x=1"),
                Map.of("Content-Type", "application/json", "X-CareTrail-Delivery-Id", "sub:1"),
                "{\"nhsNumber\":\"9990000018\"}".getBytes(StandardCharsets.UTF_8));

        assertThat(status).isEqualTo(204);
        assertThat(hosts).containsExactly(HOOKS + ":" + receiver.getAddress().getPort());
        assertThat(bodies).containsExactly("{\"nhsNumber\":\"9990000018\"}");
    }

    @Test
    void aRedirectIsNotFollowed() {
        assertThatThrownBy(() -> client(Duration.ofSeconds(5)).post(url("/redirect"), Map.of(), new byte[0]))
                .isInstanceOfSatisfying(WebhookClient.Failure.class, f -> {
                    assertThat(f.publicText()).isEqualTo("HTTP 302 (redirects are not followed)");
                    assertThat(f.status()).isEqualTo(302);
                });
        assertThat(elsewhereHits).hasValue(0);
    }

    @Test
    void anErrorAnswerIsItsStatusOnlyNeverItsBody() {
        assertThatThrownBy(() -> client(Duration.ofSeconds(5)).post(url("/fail"), Map.of(), new byte[0]))
                .isInstanceOfSatisfying(WebhookClient.Failure.class, f -> {
                    assertThat(f.publicText()).isEqualTo("HTTP 500");
                    assertThat(f.getMessage()).doesNotContain("hunter2").doesNotContain("db.internal");
                });
    }

    @Test
    void aClosedPortIsConnectionRefusedWithoutTheAddress() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        URI url = URI.create("http://" + HOOKS + ":" + closed + "/");
        assertThatThrownBy(() -> client(Duration.ofSeconds(5)).post(url, Map.of(), new byte[0]))
                .isInstanceOfSatisfying(WebhookClient.Failure.class,
                        f -> assertThat(f.publicText()).isEqualTo("connection refused"));
    }

    @Test
    void aReceiverThatNeverAnswersOrDripsItsAnswerTimesOut() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread dripper = new Thread(() -> {
                try {
                    Socket first = silent.accept(); // accepted, never answered
                    Socket second = silent.accept();
                    OutputStream out = second.getOutputStream();
                    for (byte b : "HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.US_ASCII)) {
                        out.write(b);
                        out.flush();
                        Thread.sleep(400); // each byte in time for a read timeout, not for the whole answer
                    }
                    first.close();
                    second.close();
                } catch (Exception e) {
                    // the client has gone: nothing to do
                }
            });
            dripper.setDaemon(true);
            dripper.start();
            URI url = URI.create("http://" + HOOKS + ":" + silent.getLocalPort() + "/");
            for (int i = 0; i < 2; i++) {
                long started = System.nanoTime();
                assertThatThrownBy(() -> client(Duration.ofMillis(1500)).post(url, Map.of(), new byte[0]))
                        .isInstanceOfSatisfying(WebhookClient.Failure.class,
                                f -> assertThat(f.publicText()).isEqualTo("timeout"));
                assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started)).isLessThan(10);
            }
        }
    }

    @Test
    void aNameThatResolvesToLoopbackAtDeliveryIsRefusedThoughItWasPublicAtCreation() throws Exception {
        AtomicInteger lookups = new AtomicInteger();
        // DNS rebinding: the attacker's name answers a public address first, then 127.0.0.1
        CallbackPolicy policy = CallbackPolicy.publicOnly().withResolver(host -> new InetAddress[] {
            InetAddress.getByName(lookups.getAndIncrement() == 0 ? "93.184.215.14" : "127.0.0.1")});
        URI url = URI.create("http://rebind.example:" + receiver.getAddress().getPort() + "/hook");
        assertThatCode(() -> policy.check(url)).doesNotThrowAnyException();

        assertThatThrownBy(() -> new WebhookClient(policy, Duration.ofSeconds(5)).post(url, Map.of(), new byte[0]))
                .isInstanceOfSatisfying(WebhookClient.Failure.class,
                        f -> assertThat(f.publicText()).isEqualTo("callback address not allowed"));
        assertThat(hosts).isEmpty();
    }

    @Test
    void aHeaderValueCannotSmuggleAnotherHeaderOrRequest() {
        assertThatThrownBy(() -> client(Duration.ofSeconds(5)).post(url("/"),
                Map.of("Authorization", "Bearer x\r\nX-Injected: yes"), new byte[0]))
                .isInstanceOfSatisfying(WebhookClient.Failure.class,
                        f -> assertThat(f.publicText()).isEqualTo("invalid request header"));
        assertThat(hosts).isEmpty();
    }

    @Test
    void somethingThatIsNotHttpIsAnInvalidAnswer() throws Exception {
        try (ServerSocket fake = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                try (Socket s = fake.accept()) {
                    s.getOutputStream().write("SSH-2.0-OpenSSH_9.2p1 Debian\r\n".getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    InputStream in = s.getInputStream();
                    in.readNBytes(10);
                } catch (Exception e) {
                    // the client has gone
                }
            });
            server.setDaemon(true);
            server.start();
            URI url = URI.create("http://" + HOOKS + ":" + fake.getLocalPort() + "/");
            assertThatThrownBy(() -> client(Duration.ofSeconds(5)).post(url, Map.of(), new byte[0]))
                    .isInstanceOfSatisfying(WebhookClient.Failure.class, f -> {
                        assertThat(f.publicText()).isEqualTo("invalid HTTP answer");
                        assertThat(f.getMessage()).doesNotContain("OpenSSH");
                    });
        }
    }

    @Test
    void httpsChecksTheCertificateAgainstTheNameThoughItConnectsToTheAddress(@TempDir Path dir) throws Exception {
        SSLContext serverTls = selfSigned(dir, HOOKS);
        HttpsServer https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        https.setHttpsConfigurator(new HttpsConfigurator(serverTls));
        List<String> httpsHosts = new CopyOnWriteArrayList<>();
        java.util.Set<Integer> connections = java.util.concurrent.ConcurrentHashMap.newKeySet();
        https.createContext("/", exchange -> {
            connections.add(exchange.getRemoteAddress().getPort());
            httpsHosts.add(exchange.getRequestHeaders().getFirst("Host"));
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        https.start();
        try {
            CallbackPolicy policy = CallbackPolicy.allowing(List.of("*.hub.example", HOOKS))
                    .withResolver(WebhookClientTest::loopback);
            WebhookClient client = new WebhookClient(policy, Duration.ofSeconds(10), serverTls);
            int port = https.getAddress().getPort();

            assertThat(client.post(URI.create("https://" + HOOKS + ":" + port + "/h"), Map.of(), new byte[] {1}))
                    .isEqualTo(200);
            assertThat(client.post(URI.create("https://" + HOOKS + ":" + port + "/h"), Map.of(), new byte[] {2}))
                    .isEqualTo(200);
            assertThat(httpsHosts).containsExactly(HOOKS + ":" + port, HOOKS + ":" + port);
            assertThat(connections).as("one TLS connection kept alive for the same name").hasSize(1);

            // the same address under another name: its certificate does not name it, and the connection kept
            // alive for the first name (whose certificate was checked) is not lent to it
            assertThatThrownBy(() -> client.post(URI.create("https://other.hub.example:" + port + "/h"), Map.of(),
                    new byte[] {1})).isInstanceOfSatisfying(WebhookClient.Failure.class,
                            f -> assertThat(f.publicText()).isEqualTo("TLS handshake failed"));
            assertThat(httpsHosts).hasSize(2);
        } finally {
            https.stop(0);
        }
    }

    /** A key and self-signed certificate for {@code name}, made with the JDK's keytool; trusted by the context. */
    /** A TLS context holding a fresh self-signed certificate for {@code name}, trusting only it. */
    static SSLContext selfSigned(Path dir, String name) throws Exception {
        Path store = dir.resolve("hub.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process process = new ProcessBuilder(keytool, "-genkeypair", "-alias", "hub", "-keyalg", "EC", "-groupname",
                "secp256r1", "-dname", "CN=" + name, "-ext", "SAN=dns:" + name, "-validity", "2", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keys.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory km = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        km.init(keys, "changeit".toCharArray());
        TrustManagerFactory tm = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tm.init(keys);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(km.getKeyManagers(), tm.getTrustManagers(), null);
        return context;
    }
}
