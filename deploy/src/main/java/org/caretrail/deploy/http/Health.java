package org.caretrail.deploy.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The platform's health, part by part (broker, registry, stream processor, MLLP listener ...), as
 * Kubernetes and people ask for it:
 * <ul>
 *   <li>{@code /health/ready}: 200 when every part is UP, else 503. Readiness: send traffic here or not.
 *       A broker or registry that cannot be reached makes the platform not ready.</li>
 *   <li>{@code /health/live}: 200 unless a part is broken in a way only a restart of this process
 *       would mend ({@link Status#broken}); a broker that is away is not, so the probe does not
 *       restart pods while Kafka is down.</li>
 *   <li>{@code /health}: the overall view, as ready, with every part named.</li>
 * </ul>
 * Checks run on their own thread every {@link #PERIOD} and the answers come from their last
 * results, so a probe never waits on Kafka and a flood of API requests cannot delay it.
 */
public final class Health implements AutoCloseable {

    static final Duration PERIOD = Duration.ofSeconds(1);
    private static final Logger LOG = LoggerFactory.getLogger(Health.class);

    /**
     * One part's state and why. {@code broken}: DOWN in a way this process will not mend by itself
     * (a restart of it may), which fails {@code /health/live} too.
     */
    public record Status(boolean up, boolean broken, String detail) {
        public static Status up(String detail) {
            return new Status(true, false, detail);
        }

        /** Not working now, but it may come back by itself (e.g. Kafka is away). */
        public static Status down(String detail) {
            return new Status(false, false, detail);
        }

        /** Not working and will not come back without a restart of this process. */
        public static Status broken(String detail) {
            return new Status(false, true, detail);
        }
    }

    private final Map<String, Supplier<Status>> parts = new LinkedHashMap<>();
    private volatile Map<String, Status> last = Map.of();
    private volatile Instant checkedAt = Instant.EPOCH;
    private final ScheduledExecutorService checker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "caretrail-health");
        t.setDaemon(true);
        return t;
    });

    public Health() {
        checker.scheduleWithFixedDelay(this::check, 0, PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Adds a part, checked every {@link #PERIOD}; a check should answer within about two seconds. */
    public synchronized Health part(String name, Supplier<Status> check) {
        parts.put(name, check);
        return this;
    }

    /**
     * Checks every part now (also done every second in the background). One check at a time, so the
     * last result always covers every part registered before it began.
     */
    public synchronized void check() {
        Map<String, Supplier<Status>> snapshot = new LinkedHashMap<>(parts);
        Map<String, Status> results = new LinkedHashMap<>();
        snapshot.forEach((name, part) -> {
            Status status;
            try {
                status = part.get();
            } catch (RuntimeException e) {
                status = Status.down(e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            Status before = last.get(name);
            if (before != null && before.up() != status.up()) {
                if (status.up()) {
                    LOG.warn("health: {} is UP again ({})", name, status.detail());
                } else if (status.broken()) {
                    LOG.error("health: {} is DOWN and will not recover by itself ({})", name, status.detail());
                } else {
                    LOG.warn("health: {} is DOWN ({})", name, status.detail());
                }
            }
            results.put(name, status);
        });
        last = results;
        checkedAt = Instant.now();
    }

    /** The last result of every part. */
    public Map<String, Status> parts() {
        return last;
    }

    public boolean ready() {
        return last.values().stream().allMatch(Status::up);
    }

    public boolean live() {
        return last.values().stream().noneMatch(Status::broken);
    }

    /** Serves {@code /health}, {@code /health/live} and {@code /health/ready}: mount it at {@code /health}. */
    public HttpHandler handler() {
        return this::answer;
    }

    private void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            boolean ok;
            if (path.equals("/health/live")) {
                ok = live();
            } else if (path.equals("/health/ready") || path.equals("/health") || path.equals("/health/")) {
                ok = ready();
            } else {
                send(exchange, 404, "{\"error\":\"not found: /health, /health/live or /health/ready\"}");
                return;
            }
            send(exchange, ok ? 200 : 503, json(ok));
        }
    }

    private String json(boolean ok) {
        StringBuilder json = new StringBuilder("{\"status\":\"").append(ok ? "UP" : "DOWN").append('"');
        for (Map.Entry<String, Status> part : last.entrySet()) {
            json.append(",\"").append(escape(part.getKey())).append("\":\"")
                    .append(part.getValue().up() ? "UP" : "DOWN").append('"');
        }
        json.append(",\"parts\":{");
        boolean first = true;
        for (Map.Entry<String, Status> part : last.entrySet()) {
            json.append(first ? "" : ",").append('"').append(escape(part.getKey())).append("\":{\"status\":\"")
                    .append(part.getValue().up() ? "UP" : "DOWN").append("\",\"detail\":\"")
                    .append(escape(String.valueOf(part.getValue().detail()))).append('"')
                    .append(part.getValue().broken() ? ",\"broken\":true" : "").append('}');
            first = false;
        }
        return json.append("},\"checkedAt\":\"").append(checkedAt).append("\"}").toString();
    }

    private static String escape(String s) {
        StringBuilder out = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        checker.shutdownNow();
    }
}
