package org.caretrail.deploy.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The platform's HTTP: each module contributes {@code HttpHandler}s for its paths (the timeline API,
 * the FHIR gateway, subscriptions, the web view), this adds {@code /health} and {@code /metrics}.
 * Loopback unless told otherwise.
 *
 * <p>Two listeners, each an {@link HttpTransport} with its own threads and connection cap: the main
 * port, bounded by {@link HttpLimits}, and a <b>health port</b> serving only {@code /health},
 * {@code /health/live}, {@code /health/ready} and {@code /metrics}, so a flood of requests on the API
 * cannot fail a liveness probe. The main port serves {@code /health} too, for people, and {@code /metrics}
 * to an operator ({@link org.caretrail.deploy.security.AccessPolicy}); the health port's {@code /metrics}
 * asks for no token: it is for the local scraper beside the process (a Prometheus sidecar, a node agent),
 * on the same interface as the API, and it carries no patient data (CareTrail's labels are bounded:
 * {@link org.caretrail.events.metrics.CareMetrics}).
 *
 * <p>How a request reaches a handler is in two steps kept apart: the transport (here and in
 * {@link HttpTransport}) and the guard chain ({@link #guarded}: access, then audit).
 */
public final class PlatformHttpServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PlatformHttpServer.class);
    /** Limits of the health port: few threads, few connections, short timeouts. */
    static final HttpLimits HEALTH_LIMITS = new HttpLimits(64, java.time.Duration.ofSeconds(5),
            java.time.Duration.ofSeconds(10), HttpLimits.DEFAULT_MIN_BODY_RATE, java.time.Duration.ofSeconds(2),
            8 * 1024, 8);

    private final HttpTransport main;
    private final HttpTransport healthPort;
    private final HttpServer server;
    private final HttpLimits limits;
    private HttpTransport peers;
    private final Health health;
    private ApiAccess access = ApiAccess.open();
    private AccessAudit audit;

    /** Main port with the default {@link HttpLimits} and no separate health port (tests, tools). */
    public PlatformHttpServer(String host, int port, Supplier<String> metrics) throws IOException {
        this(host, port, -1, HttpLimits.defaults(), new Health(), metrics);
    }

    /**
     * @param healthPort the port of the health listener (0: any free port, -1: none)
     * @param health the parts whose state {@code /health} reports
     */
    public PlatformHttpServer(String host, int port, int healthPort, HttpLimits limits, Health health,
            Supplier<String> metrics) throws IOException {
        this.health = health;
        this.limits = limits;
        main = new HttpTransport("http-" + port, host, port, limits);
        server = main.server();
        HttpHandler metricsHandler = exchange -> send(exchange, 200, "text/plain; version=0.0.4", metrics.get());
        server.createContext("/health", health.handler());
        // the main port's /metrics: an operator only (AccessPolicy), checked with the access set at call time;
        // not audited (no patient data, and a scrape every few seconds would drown the audit)
        server.createContext("/metrics", exchange -> access.guard(metricsHandler).handle(exchange));
        if (healthPort >= 0) {
            healthPort = healthPort == 0 ? org.caretrail.deploy.infra.Ports.free() : healthPort;
            this.healthPort = new HttpTransport("health-" + healthPort, host, healthPort, HEALTH_LIMITS);
            this.healthPort.server().createContext("/health", health.handler());
            this.healthPort.server().createContext("/metrics", metricsHandler);
        } else {
            this.healthPort = null;
        }
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
        return mount(path, handler, java.util.function.UnaryOperator.identity());
    }

    /**
     * Also serves what is mounted from now on with {@link #mount} on a second listener for the other CareTrail
     * instances: HTTPS with {@code tls}, and only to a client presenting a certificate {@code tls} trusts (mutual
     * TLS, {@code org.caretrail.deploy.security.PeerTls}). Forwarded reads arrive there; behind it the same guard
     * chain checks their peer signature and audits them. Nothing public is served on it.
     *
     * @param port the port (0: any free one)
     */
    public PlatformHttpServer peersOn(String host, int port, javax.net.ssl.SSLContext tls) throws IOException {
        if (peers != null) {
            throw new IllegalStateException("the peer listener is already set");
        }
        int chosen = port == 0 ? org.caretrail.deploy.infra.Ports.free() : port;
        peers = new HttpTransport("peers-" + chosen, host, chosen, limits, tls);
        return this;
    }

    /** The peer listener's port, or -1 when there is none. */
    public int peerPort() {
        return peers == null ? -1 : peers.port();
    }

    /**
     * As {@link #mount(String, HttpHandler)}, with {@code outermost} around the guard chain: for what must see
     * every request, refused ones included (e.g. {@link FhirRequestMetrics}).
     */
    public PlatformHttpServer mount(String path, HttpHandler handler, java.util.function.UnaryOperator<HttpHandler> outermost) {
        HttpHandler chain = outermost.apply(guarded(handler));
        server.createContext(contextPath(path), chain);
        if (peers != null) {
            peers.server().createContext(contextPath(path), chain);
        }
        return this;
    }

    /**
     * The context path Jetty matches as the JDK server did: the JDK matches a context as a string
     * prefix, Jetty by whole path segments, so {@code /api/v1/patients/} (trailing slash) would match
     * nothing below it; without the slash it matches {@code /api/v1/patients/{nhs}/timeline}.
     */
    static String contextPath(String path) {
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    /** The guard chain around a mounted handler: access first, then the audit records the outcome. */
    private HttpHandler guarded(HttpHandler handler) {
        HttpHandler guarded = access.guard(handler);
        return audit == null ? guarded : audit.around(guarded);
    }

    /** Serves {@code handler} under {@code path} to anyone: for what holds no patient data (the web view's files). */
    public PlatformHttpServer mountPublic(String path, HttpHandler handler) {
        server.createContext(contextPath(path), handler);
        return this;
    }

    /** Adds a named part to {@code /health}: DOWN makes the platform not ready (and the overall 503). */
    public PlatformHttpServer healthCheck(String name, Supplier<Boolean> up) {
        health.part(name, () -> up.get() ? Health.Status.up("") : Health.Status.down(""));
        return this;
    }

    public Health health() {
        return health;
    }

    public void start() throws IOException {
        if (healthPort != null) {
            healthPort.start();
        }
        if (peers != null) {
            peers.start();
        }
        main.start();
        LOG.info("HTTP on http://{}:{}{}{}", server.getAddress().getHostString(), port(),
                healthPort == null ? "" : ", health on port " + healthPort.port(),
                peers == null ? "" : ", other instances on port " + peers.port() + " (mutual TLS)");
    }

    public int port() {
        return main.port();
    }

    /** The health listener's port, or -1 when there is none. */
    public int healthPort() {
        return healthPort == null ? -1 : healthPort.port();
    }

    /** Connections closed so far for slow headers and for slow bodies, on the main port. */
    public long[] slowClientsClosed() {
        return main.slowClientsClosed();
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
        main.close();
        if (peers != null) {
            peers.close();
        }
        if (healthPort != null) {
            healthPort.close();
        }
        health.close();
    }
}
