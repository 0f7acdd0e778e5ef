package org.caretrail.deploy.http;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes connections that send a request too slowly, the two halves of a slowloris attack that
 * Jetty's idle timeout alone does not stop (a byte every few seconds keeps a connection "active"):
 * <ul>
 *   <li>headers: a request whose headers are not complete {@link HttpLimits#headerTimeout()} after
 *       its first byte (Jetty has no such deadline of its own);</li>
 *   <li>body: a request body averaging under {@link HttpLimits#minBodyRate()} bytes per second once
 *       {@link HttpLimits#bodyGrace()} has passed (Jetty 12's {@code MinimumDataRateHandler} measures
 *       the bytes of every request together, not each request's).</li>
 * </ul>
 * A sweep every {@value #SWEEP_MS} ms checks both, so a connection is closed at most that long after
 * its limit. Each close is logged (at most once a second per kind, with a count).
 */
final class SlowClientGuard extends Handler.Wrapper implements AutoCloseable {

    static final long SWEEP_MS = 250;
    private static final Logger LOG = LoggerFactory.getLogger(SlowClientGuard.class);

    private final HttpLimits limits;
    private final Supplier<java.util.Collection<EndPoint>> endPoints;
    private final Map<EndPoint, HeaderWatch> headers = new ConcurrentHashMap<>();
    private final Map<Object, BodyWatch> bodies = new ConcurrentHashMap<>();
    private final AtomicLong slowHeadersClosed = new AtomicLong();
    private final AtomicLong slowBodiesClosed = new AtomicLong();
    private final ScheduledExecutorService sweeper;
    private volatile long lastLog;

    private record HeaderWatch(long firstSeen, long messagesIn) {
    }

    private static final class BodyWatch {
        final EndPoint endPoint;
        final long started = System.nanoTime();
        final AtomicLong bytes = new AtomicLong();

        BodyWatch(EndPoint endPoint) {
            this.endPoint = endPoint;
        }
    }

    SlowClientGuard(Handler handler, HttpLimits limits, Supplier<java.util.Collection<EndPoint>> endPoints, String name) {
        super(handler);
        this.limits = limits;
        this.endPoints = endPoints;
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "http-slow-client-guard-" + name);
            t.setDaemon(true);
            return t;
        });
        sweeper.scheduleWithFixedDelay(this::sweep, SWEEP_MS, SWEEP_MS, TimeUnit.MILLISECONDS);
    }

    /** Connections closed so far for headers, then for bodies, too slow. */
    long[] closed() {
        return new long[] {slowHeadersClosed.get(), slowBodiesClosed.get()};
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (limits.minBodyRate() == 0 || !hasBody(request)) {
            return super.handle(request, response, callback);
        }
        Object key = new Object();
        BodyWatch watch = new BodyWatch(request.getConnectionMetaData().getConnection().getEndPoint());
        bodies.put(key, watch);
        Request counted = new Request.Wrapper(request) {
            @Override
            public Content.Chunk read() {
                Content.Chunk chunk = super.read();
                if (chunk != null) {
                    watch.bytes.addAndGet(chunk.remaining());
                    if (chunk.isLast() || Content.Chunk.isFailure(chunk)) {
                        bodies.remove(key);
                    }
                }
                return chunk;
            }
        };
        Callback done = new Callback.Nested(callback) {
            @Override
            public void succeeded() {
                bodies.remove(key);
                super.succeeded();
            }

            @Override
            public void failed(Throwable x) {
                bodies.remove(key);
                super.failed(x);
            }
        };
        try {
            boolean handled = super.handle(counted, response, done);
            if (!handled) {
                bodies.remove(key);
            }
            return handled;
        } catch (Exception | Error e) {
            bodies.remove(key);
            throw e;
        }
    }

    private static boolean hasBody(Request request) {
        long length = request.getLength();
        return length > 0 || (length < 0 && request.getHeaders().contains("Transfer-Encoding"));
    }

    private void sweep() {
        try {
            long now = System.nanoTime();
            sweepHeaders(now);
            sweepBodies(now);
        } catch (RuntimeException e) {
            LOG.warn("checking for slow HTTP clients failed: {}", e.toString());
        }
    }

    private void sweepHeaders(long now) {
        long limit = limits.headerTimeout().toNanos();
        headers.keySet().removeIf(ep -> !ep.isOpen());
        for (EndPoint ep : endPoints.get()) {
            if (!(ep.getConnection() instanceof HttpConnection connection)) {
                continue;
            }
            HttpParser parser = connection.getParser();
            if (parser == null || parser.isStart() || !parser.inHeaderState()) {
                headers.remove(ep);
                continue;
            }
            long messages = connection.getMessagesIn();
            HeaderWatch watch = headers.compute(ep, (e, w) -> w == null || w.messagesIn() != messages
                    ? new HeaderWatch(now, messages) : w);
            if (now - watch.firstSeen() > limit) {
                headers.remove(ep);
                slowHeadersClosed.incrementAndGet();
                report("headers not complete within " + limits.headerTimeout().toMillis() + " ms", ep);
                ep.close();
            }
        }
    }

    private void sweepBodies(long now) {
        long grace = limits.bodyGrace().toNanos();
        for (Map.Entry<Object, BodyWatch> entry : bodies.entrySet()) {
            BodyWatch watch = entry.getValue();
            long elapsed = now - watch.started;
            if (!watch.endPoint.isOpen()) {
                bodies.remove(entry.getKey());
                continue;
            }
            if (elapsed < grace) {
                continue;
            }
            double rate = watch.bytes.get() / (elapsed / 1e9);
            if (rate < limits.minBodyRate()) {
                bodies.remove(entry.getKey());
                slowBodiesClosed.incrementAndGet();
                report(String.format("request body at %.0f bytes/s, under the minimum of %d", rate,
                        limits.minBodyRate()), watch.endPoint);
                watch.endPoint.close();
            }
        }
    }

    private void report(String why, EndPoint ep) {
        long now = System.currentTimeMillis();
        if (now - lastLog >= 1000) {
            lastLog = now;
            LOG.warn("closed a slow HTTP connection from {}: {} ({} for headers and {} for bodies so far)",
                    ep.getRemoteSocketAddress(), why, slowHeadersClosed.get(), slowBodiesClosed.get());
        }
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
    }
}
