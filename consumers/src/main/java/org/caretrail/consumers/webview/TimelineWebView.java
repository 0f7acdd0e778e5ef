package org.caretrail.consumers.webview;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The timeline web view: one page (plain HTML, CSS and JavaScript, no build step) that shows a
 * patient's joined-up timeline, read in the browser from the timeline API
 * ({@code /api/v1/patients/{nhsNumber}/timeline}) on the same origin.
 *
 * <p>Serve it at the root: {@code GET /} (the page; {@code ?nhs=} opens a patient, and every
 * filter is in the address so a view can be bookmarked or shared) and {@code GET /web/*} (its
 * script and style sheet). Only these fixed files are served, never a path from the request. Every
 * answer forbids inline scripts and third-party content (Content-Security-Policy) and sends no
 * Referer, since the address holds an NHS number.
 */
public final class TimelineWebView implements HttpHandler {

    /** Where to mount it: the root, so {@code http://host:port/} opens the view. */
    public static final String PATH = "/";

    private static final String BASE = "/org/caretrail/consumers/webview/";
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
            + " img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    private record Asset(String contentType, byte[] body) {
    }

    private final Map<String, Asset> assets;

    public TimelineWebView() {
        Asset page = load("index.html", "text/html; charset=utf-8");
        assets = Map.of(
                "/", page,
                "/index.html", page,
                "/web/timeline.js", load("timeline.js", "text/javascript; charset=utf-8"),
                "/web/timeline.css", load("timeline.css", "text/css; charset=utf-8"));
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            var headers = exchange.getResponseHeaders();
            headers.set("Content-Security-Policy", CSP);
            headers.set("X-Content-Type-Options", "nosniff");
            headers.set("Referrer-Policy", "no-referrer");
            headers.set("Cache-Control", "no-cache");
            String method = exchange.getRequestMethod();
            if (!"GET".equals(method) && !"HEAD".equals(method)) {
                headers.set("Allow", "GET, HEAD");
                send(exchange, 405, "text/plain; charset=utf-8", bytes("only GET and HEAD are supported\n"), false);
                return;
            }
            Asset asset = assets.get(exchange.getRequestURI().getPath());
            if (asset == null) {
                send(exchange, 404, "text/plain; charset=utf-8", bytes("not found: "
                        + exchange.getRequestURI().getPath() + "\nthe timeline web view is at /\n"),
                        "HEAD".equals(method));
                return;
            }
            send(exchange, 200, asset.contentType(), asset.body(), "HEAD".equals(method));
        }
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body, boolean head)
            throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        if (head) {
            exchange.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static Asset load(String name, String contentType) {
        try (InputStream in = TimelineWebView.class.getResourceAsStream(BASE + name)) {
            if (in == null) {
                throw new IllegalStateException("web view file " + BASE + name + " is missing from the classpath");
            }
            return new Asset(contentType, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read web view file " + name, e);
        }
    }
}
