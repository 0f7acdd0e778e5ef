package org.caretrail.consumers.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSTs per second of the webhook client alone, over HTTP and HTTPS, to a local JDK server: what
 * keeping connections alive saves (a TCP connect, and for HTTPS a TLS handshake, per POST). A
 * benchmark, run on request only; it asserts that every POST arrived, never a speed:
 *
 * <pre>{@code
 * mvn -o -q -pl consumers -am test -Dtest=WebhookClientBenchmarkTest -Dcaretrail.bench=true \
 *     -Dsurefire.failIfNoSpecifiedTests=false
 * grep BENCH consumers/target/surefire-reports/*WebhookClientBenchmarkTest-output.txt
 * }</pre>
 */
@Tag("integration")
@EnabledIfSystemProperty(named = "caretrail.bench", matches = "true")
class WebhookClientBenchmarkTest {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookClientBenchmarkTest.class);
    private static final String HOOKS = "hooks.hub.example";

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"http", "https"})
    void postsPerSecondToALocalReceiver(String scheme) throws Exception {
        int posts = Integer.getInteger("caretrail.bench.posts", 4000);
        int senders = 4; // DeliveryWorker.PARALLEL_PARTITIONS
        SSLContext tls = WebhookClientTest.selfSigned(dir, HOOKS);
        HttpServer server = scheme.equals("https")
                ? HttpsServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 100)
                : HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 100);
        if (server instanceof HttpsServer https) {
            https.setHttpsConfigurator(new HttpsConfigurator(tls));
        }
        ExecutorService handlers = Executors.newFixedThreadPool(senders);
        server.setExecutor(handlers);
        AtomicInteger received = new AtomicInteger();
        Set<Integer> connections = ConcurrentHashMap.newKeySet();
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            connections.add(exchange.getRemoteAddress().getPort());
            received.incrementAndGet();
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
        ExecutorService pool = Executors.newFixedThreadPool(senders);
        try (WebhookClient client = new WebhookClient(CallbackPolicy.allowing(List.of(HOOKS))
                .withResolver(host -> new InetAddress[] {InetAddress.getByName("127.0.0.1")}), Duration.ofSeconds(30),
                tls)) {
            URI url = URI.create(scheme + "://" + HOOKS + ":" + server.getAddress().getPort() + "/hook");
            byte[] body = "{\"changeId\":\"c-1\",\"nhsNumber\":\"9990000018\",\"type\":\"ADMISSION\"}"
                    .getBytes(StandardCharsets.UTF_8);
            for (String round : List.of("warm-up", "measured")) {
                received.set(0);
                connections.clear();
                long started = System.nanoTime();
                List<Future<?>> sent = new ArrayList<>();
                for (int s = 0; s < senders; s++) {
                    sent.add(pool.submit(() -> {
                        for (int i = 0; i < posts / senders; i++) {
                            client.post(url, Map.of("X-CareTrail-Delivery-Id", "sub-1:c-" + i), body);
                        }
                        return null;
                    }));
                }
                for (Future<?> each : sent) {
                    each.get(10, TimeUnit.MINUTES);
                }
                double seconds = (System.nanoTime() - started) / 1e9;
                LOG.info("BENCH webhook client {} ({}): {} POSTs from {} threads on {} connection(s) in {} s = {} POSTs/s",
                        scheme, round, received.get(), senders, connections.size(), String.format("%.2f", seconds),
                        String.format("%.0f", received.get() / seconds));
                assertThat(received).hasValue(posts / senders * senders);
            }
        } finally {
            pool.shutdownNow();
            server.stop(0);
            handlers.shutdownNow();
        }
    }

}
