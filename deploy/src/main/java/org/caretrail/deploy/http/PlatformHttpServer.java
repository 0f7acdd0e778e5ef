package org.caretrail.deploy.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The platform's one HTTP server (the JDK's own): each module contributes handlers for its paths
 * (the timeline API, the FHIR gateway, subscriptions), this adds {@code /health} and
 * {@code /metrics}. Loopback unless told otherwise.
 */
public final class PlatformHttpServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PlatformHttpServer.class);

    static {
        // without TCP_NODELAY the JDK server's small responses wait ~40 ms for delayed ACKs; read once per JVM
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final Map<String, Supplier<Boolean>> healthChecks = new LinkedHashMap<>();
    private ApiAccess access = ApiAccess.open();
    private AccessAudit audit;

    public PlatformHttpServer(String host, int port, Supplier<String> metrics) throws IOException {
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 128);
        } catch (java.net.BindException e) {
            throw new IOException("HTTP port " + port + " on " + host + " is already in use; choose another with --http-port", e);
        }
        executor = Executors.newFixedThreadPool(16, r -> {
            Thread t = new Thread(r, "http-" + port);
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/health", this::health);
        server.createContext("/metrics", exchange -> send(exchange, 200, "text/plain; version=0.0.4", metrics.get()));
    }

    /**
     * Who may call what is mounted from now on with {@link #mount} (default: {@link ApiAccess#open()},
     * unverified callers with the static token's roles, for loopback only; the platform always sets one).
     */
    public PlatformHttpServer protectWith(ApiAccess access) {
        this.access = access;
        return this;
    }

    /** Records every call to what is mounted from now on with {@link #mount}, refused ones included. */
    public PlatformHttpServer auditWith(AccessAudit audit) {
        this.audit = audit;
        return this;
    }

    /**
     * Serves {@code handler} under {@code path} behind the access layer ({@link ApiAccess}: cross-site
     * checks, the caller's verified identity, the role policy, which denies a path it has no rule for),
     * recorded by the {@link AccessAudit} if one is set (outermost, so refusals are recorded too). The
     * handler reads the verified caller from the exchange attribute
     * {@code org.caretrail.events.access.Caller.ATTRIBUTE}.
     */
    public PlatformHttpServer mount(String path, HttpHandler handler) {
        HttpHandler guarded = access.guard(handler);
        server.createContext(path, audit == null ? guarded : audit.around(guarded));
        return this;
    }

    /** Serves {@code handler} under {@code path} to anyone: for what holds no patient data (the web view's files). */
    public PlatformHttpServer mountPublic(String path, HttpHandler handler) {
        server.createContext(path, handler);
        return this;
    }

    /** Adds a named check to {@code /health}: 200 only when every check is up. */
    public PlatformHttpServer healthCheck(String name, Supplier<Boolean> up) {
        healthChecks.put(name, up);
        return this;
    }

    public void start() {
        server.start();
        LOG.info("HTTP on http://{}:{}", server.getAddress().getHostString(), port());
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void health(HttpExchange exchange) throws IOException {
        StringBuilder json = new StringBuilder("{");
        boolean allUp = true;
        for (Map.Entry<String, Supplier<Boolean>> check : healthChecks.entrySet()) {
            boolean up;
            try {
                up = check.getValue().get();
            } catch (RuntimeException e) {
                up = false;
            }
            allUp &= up;
            json.append('"').append(check.getKey()).append("\":\"").append(up ? "UP" : "DOWN").append("\",");
        }
        json.append("\"status\":\"").append(allUp ? "UP" : "DOWN").append("\"}");
        send(exchange, allUp ? 200 : 503, "application/json", json.toString());
    }

    static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(1);
        executor.shutdown();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
