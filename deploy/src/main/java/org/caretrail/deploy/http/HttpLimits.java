package org.caretrail.deploy.http;

import java.time.Duration;
import java.util.List;
import org.caretrail.events.settings.Setting;
import org.caretrail.events.settings.Settings;

/**
 * The limits of CareTrail's HTTP front door (API, FHIR gateway, subscriptions, web view), so that no
 * client, slow or hostile, can hold it: what a sender sees when one is exceeded is in the README's
 * "Limits" section.
 *
 * @param maxConnections open connections at most; more wait in the operating system's accept queue
 *     until one closes (default 512)
 * @param headerTimeout time from a request's first byte to the end of its headers; a slower request is
 *     closed (slowloris; default 10 s)
 * @param idleTimeout time without a byte either way on a connection, between requests or within one;
 *     then it is closed (default 30 s)
 * @param minBodyRate bytes per second a request body must average once {@code bodyGrace} has passed;
 *     a slower upload is closed (default 1,024 B/s: a 4 MiB FHIR bundle in about an hour at worst)
 * @param bodyGrace how long a body may start slowly before its rate is judged (default 5 s)
 * @param maxHeaderBytes request line and headers at most; more is answered 431 (default 16 KiB)
 * @param maxThreads threads serving requests; slow clients hold none while sending headers (default 200)
 *
 * <p>Each is also a {@link Setting} ({@link #DEFINITIONS}, named {@code http.*}); {@code caretrail up}'s
 * {@code --http-max-connections} and the like are their command-line options.
 */
public record HttpLimits(int maxConnections, Duration headerTimeout, Duration idleTimeout, long minBodyRate,
        Duration bodyGrace, int maxHeaderBytes, int maxThreads) {

    public static final int DEFAULT_MAX_CONNECTIONS = 512;
    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
    public static final long DEFAULT_MIN_BODY_RATE = 1024;
    public static final Duration DEFAULT_BODY_GRACE = Duration.ofSeconds(5);
    public static final int DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
    public static final int DEFAULT_MAX_THREADS = 200;

    private static String positive(Duration d) {
        return d.isNegative() || d.isZero() ? "must be positive" : null;
    }

    public static final Setting<Integer> MAX_CONNECTIONS = Setting.integer("http.max-connections",
            DEFAULT_MAX_CONNECTIONS, "Open HTTP connections at most; more wait to be accepted.").between(1, 100_000);
    public static final Setting<Duration> HEADER_TIMEOUT = Setting.duration("http.header-timeout",
            DEFAULT_HEADER_TIMEOUT, "Time a request's headers may take from its first byte; a slower request is "
                    + "closed.").checkedBy(HttpLimits::positive);
    public static final Setting<Duration> IDLE_TIMEOUT = Setting.duration("http.idle-timeout", DEFAULT_IDLE_TIMEOUT,
            "Time without a byte on an HTTP connection before it is closed.").checkedBy(HttpLimits::positive);
    public static final Setting<Long> MIN_BODY_RATE = Setting.longInteger("http.min-body-rate", DEFAULT_MIN_BODY_RATE,
            "Bytes per second a request body must average after http.body-grace; a slower upload is closed (0: off).")
            .between(0, Long.MAX_VALUE);
    public static final Setting<Duration> BODY_GRACE = Setting.duration("http.body-grace", DEFAULT_BODY_GRACE,
            "How long a request body may start slowly before its rate is judged.").checkedBy(HttpLimits::positive);
    public static final Setting<Integer> MAX_HEADER_BYTES = Setting.integer("http.max-header-bytes",
            DEFAULT_MAX_HEADER_BYTES, "Bytes of a request line and headers; more is answered 431.")
            .between(1024, 1 << 20);
    public static final Setting<Integer> MAX_THREADS = Setting.integer("http.max-threads", DEFAULT_MAX_THREADS,
            "Threads serving HTTP requests.").between(8, 10_000);

    /** Every HTTP front-door setting, in the order {@code caretrail config} and the README list them. */
    public static final List<Setting<?>> DEFINITIONS = List.of(MAX_CONNECTIONS, HEADER_TIMEOUT, IDLE_TIMEOUT,
            MIN_BODY_RATE, BODY_GRACE, MAX_HEADER_BYTES, MAX_THREADS);

    /** The limits resolved from the file, the environment and the command line. */
    public static HttpLimits from(Settings s) {
        return new HttpLimits(s.get(MAX_CONNECTIONS), s.get(HEADER_TIMEOUT), s.get(IDLE_TIMEOUT), s.get(MIN_BODY_RATE),
                s.get(BODY_GRACE), s.get(MAX_HEADER_BYTES), s.get(MAX_THREADS));
    }

    public HttpLimits {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("HTTP max connections must be at least 1, not " + maxConnections);
        }
        requirePositive("HTTP header timeout", headerTimeout);
        requirePositive("HTTP idle timeout", idleTimeout);
        requirePositive("HTTP body grace", bodyGrace);
        if (minBodyRate < 0) {
            throw new IllegalArgumentException("HTTP minimum body rate must not be negative (0 turns it off)");
        }
        if (maxHeaderBytes < 1024) {
            throw new IllegalArgumentException("HTTP header limit must be at least 1024 bytes, not " + maxHeaderBytes);
        }
        if (maxThreads < 8) {
            throw new IllegalArgumentException("HTTP threads must be at least 8, not " + maxThreads);
        }
    }

    private static void requirePositive(String what, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, not " + d);
        }
    }

    public static HttpLimits defaults() {
        return new HttpLimits(DEFAULT_MAX_CONNECTIONS, DEFAULT_HEADER_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
                DEFAULT_MIN_BODY_RATE, DEFAULT_BODY_GRACE, DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_THREADS);
    }

    public HttpLimits withMaxConnections(int n) {
        return new HttpLimits(n, headerTimeout, idleTimeout, minBodyRate, bodyGrace, maxHeaderBytes, maxThreads);
    }

    public HttpLimits withHeaderTimeout(Duration d) {
        return new HttpLimits(maxConnections, d, idleTimeout, minBodyRate, bodyGrace, maxHeaderBytes, maxThreads);
    }

    public HttpLimits withIdleTimeout(Duration d) {
        return new HttpLimits(maxConnections, headerTimeout, d, minBodyRate, bodyGrace, maxHeaderBytes, maxThreads);
    }

    public HttpLimits withMinBodyRate(long bytesPerSecond, Duration grace) {
        return new HttpLimits(maxConnections, headerTimeout, idleTimeout, bytesPerSecond, grace, maxHeaderBytes,
                maxThreads);
    }

    public HttpLimits withMaxThreads(int n) {
        return new HttpLimits(maxConnections, headerTimeout, idleTimeout, minBodyRate, bodyGrace, maxHeaderBytes, n);
    }
}
