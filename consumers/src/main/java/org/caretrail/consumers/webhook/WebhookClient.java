package org.caretrail.consumers.webhook;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSTs one webhook, and nothing else: HTTP/1.1 to the address the {@link CallbackPolicy} resolved
 * and allowed (the name is looked up once per POST, the connection goes to that address, and the
 * request carries the name in {@code Host}; HTTPS checks the server's certificate against the name,
 * with SNI), redirects never followed, the answer's status line read and the rest of the answer
 * ignored.
 *
 * <p>It reads so little of the answer on purpose: a receiver's body, headers and the peer's address
 * never reach the subscriber, and what went wrong is one of a few fixed phrases
 * ({@link Failure#publicText()}): "connection refused", "timeout", "HTTP 500", ... Enough for a
 * subscriber to fix their receiver; too little to map someone else's network with.
 *
 * <p><b>Connections are kept alive</b> between POSTs to the same receiver: the same scheme, the same
 * address the policy allowed <em>for this POST</em>, the same port and the same host name (so a
 * name that now resolves elsewhere never reuses the old address's connection, and a TLS connection
 * is only reused for the name its certificate was checked against). A connection goes back to the
 * pool only after a 2xx answer over HTTP/1.1 whose end is known and near: no {@code Connection:
 * close}, no {@code Transfer-Encoding}, a {@code Content-Length} of at most {@link #MAX_DISCARDED_BODY}
 * (read and thrown away) or a 204; any other answer, or anything odd in its headers, closes it (the
 * status still counts). At most {@link #IDLE_PER_RECEIVER} idle connections are kept per receiver
 * ({@link #IDLE_TOTAL} in all), each for at most {@link #IDLE_TIMEOUT}.
 *
 * <p>A POST that fails on a <em>reused</em> connection before a single byte of answer arrived (the
 * receiver closed the idle connection as we wrote on it) is sent once more on a new connection. That
 * is safe because a webhook delivery is at-least-once anyway and carries a stable idempotency id
 * ({@code X-CareTrail-Delivery-Id}, the same on every attempt): a receiver that did get the first
 * copy sees a duplicate it already knows how to drop. A timeout is not retried (the receiver may be
 * working on it), and neither is anything on a new connection.
 */
public final class WebhookClient implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookClient.class);

    /** The longest status line or header line read before the answer is called invalid. */
    static final int MAX_LINE = 8 * 1024;
    /** How many header lines of an answer are skipped at most (only 1xx answers need them skipped). */
    static final int MAX_HEADERS = 200;
    /**
     * The longest answer body (its {@code Content-Length}) read and discarded so that the connection
     * can carry the next POST; a longer one, or one of unknown length, closes the connection instead.
     */
    public static final int MAX_DISCARDED_BODY = 16 * 1024;
    /** Idle keep-alive connections kept per receiver (scheme, allowed address, port, host name). */
    public static final int IDLE_PER_RECEIVER = 8;
    /** Idle keep-alive connections kept in all, whatever the number of receivers. */
    public static final int IDLE_TOTAL = 256;
    /**
     * How long an idle connection is kept: under the keep-alive timeouts of common servers (Node's is
     * 5 s), so that it is seldom one the receiver is closing at the moment it is reused.
     */
    public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(4);

    private static final ScheduledExecutorService REAPER = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "caretrail-webhook-idle");
        thread.setDaemon(true);
        return thread;
    });

    /** Why a POST did not get a 2xx answer. {@code publicText} is what the subscriber is shown. */
    public static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;
        private final String publicText;
        private final Integer status;

        Failure(String publicText, Integer status, String detail, Throwable cause) {
            super(publicText + (detail == null ? "" : " (" + detail + ")"), cause);
            this.publicText = publicText;
            this.status = status;
        }

        /** A fixed phrase without addresses, bodies or exception text: safe for API callers. */
        public String publicText() {
            return publicText;
        }

        /** The HTTP status, when the receiver answered. */
        public Integer status() {
            return status;
        }
    }

    private final CallbackPolicy policy;
    private final Duration timeout;
    private final SSLContext tls;
    /** Idle connections by receiver, the most recently used last; guarded by {@code this}. */
    private final Map<Receiver, ArrayDeque<Connection>> idle = new HashMap<>();
    private int idleCount;
    private boolean closed;
    private ScheduledFuture<?> reaping;

    /** Where a connection goes: the scheme, the address the policy allowed, the port and the host name. */
    private record Receiver(boolean https, InetAddress address, int port, String host) {
    }

    /** One open connection to a receiver, used by one POST at a time. */
    private static final class Connection {
        final Receiver receiver;
        final Socket socket;
        final InputStream in;
        final OutputStream out;
        long idleSince;

        Connection(Receiver receiver, Socket socket) throws IOException {
            this.receiver = receiver;
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream(), 1024);
            this.out = new BufferedOutputStream(socket.getOutputStream(), 8 * 1024);
        }

        void close() {
            try {
                socket.close();
            } catch (IOException e) {
                LOG.debug("Closing a webhook connection failed", e);
            }
        }
    }

    /** A POST on a reused connection failed before any byte of answer: it may be sent again. */
    private static final class NotAnswered extends Exception {
        private static final long serialVersionUID = 1L;

        NotAnswered(IOException cause) {
            super(cause);
        }

        IOException io() {
            return (IOException) getCause();
        }
    }

    /**
     * @param timeout connecting and the whole exchange, each
     * @param tls the TLS context for https callbacks (the JVM's trust store by default)
     */
    public WebhookClient(CallbackPolicy policy, Duration timeout, SSLContext tls) {
        this.policy = policy;
        this.timeout = timeout;
        this.tls = tls;
    }

    public WebhookClient(CallbackPolicy policy, Duration timeout) {
        this(policy, timeout, defaultTls());
    }

    public CallbackPolicy policy() {
        return policy;
    }

    /**
     * POSTs {@code body} to {@code url} with {@code headers} (names and values without CR or LF).
     *
     * @return the 2xx status
     * @throws Failure for anything else, with a public text
     */
    public int post(URI url, Map<String, String> headers, byte[] body) throws Failure {
        InetAddress address;
        try {
            address = policy.resolve(url);
        } catch (CallbackPolicy.RefusedException e) {
            throw new Failure("callback address not allowed", null, e.getMessage(), null);
        } catch (UnknownHostException e) {
            throw new Failure("host not found", null, null, e);
        }
        boolean https = "https".equalsIgnoreCase(url.getScheme());
        int port = url.getPort() > 0 ? url.getPort() : https ? 443 : 80;
        byte[] head = head(url, port, https, headers, body.length);
        Receiver receiver = new Receiver(https, address, port, url.getHost());
        long deadline = System.nanoTime() + timeout.toNanos();
        Connection reused = take(receiver);
        if (reused != null) {
            try {
                return exchange(reused, head, body, deadline);
            } catch (NotAnswered e) {
                // the receiver closed the idle connection as we used it: once more on a new one
                LOG.debug("Webhook connection to {} closed before answering; sending on a new one", receiver.host(),
                        e.io());
            }
        }
        Connection fresh;
        try {
            fresh = open(receiver, deadline);
        } catch (IOException e) {
            throw failure(e);
        }
        try {
            return exchange(fresh, head, body, deadline);
        } catch (NotAnswered e) {
            throw e.io() instanceof EOFException ? new Failure("no HTTP answer", null, null, null) : failure(e.io());
        }
    }

    /**
     * Sends one request on {@code connection} and reads the answer; the connection goes back to the
     * pool or is closed.
     *
     * @throws NotAnswered when it failed before any byte of answer arrived (the connection is closed)
     */
    private int exchange(Connection connection, byte[] head, byte[] body, long deadline) throws Failure, NotAnswered {
        boolean answered = false;
        boolean keep = false;
        try {
            setTimeout(connection.socket, deadline);
            connection.out.write(head);
            connection.out.write(body);
            connection.out.flush();
            setTimeout(connection.socket, deadline);
            connection.in.mark(1);
            if (connection.in.read() < 0) {
                throw new EOFException("closed before answering");
            }
            connection.in.reset();
            answered = true;
            String statusLine = readStatus(connection.in, connection.socket, deadline);
            int status = status(statusLine);
            if (status / 100 == 2) {
                keep = statusLine.startsWith("HTTP/1.1") && restOfAnswerRead(connection, status, deadline);
                return status;
            }
            if (status / 100 == 3) {
                throw new Failure("HTTP " + status + " (redirects are not followed)", status, null, null);
            }
            throw new Failure("HTTP " + status, status, null, null);
        } catch (SocketTimeoutException e) {
            throw new Failure("timeout", null, null, e);
        } catch (IOException e) {
            if (!answered) {
                throw new NotAnswered(e);
            }
            throw failure(e);
        } finally {
            if (keep) {
                release(connection);
            } else {
                connection.close();
            }
        }
    }

    /**
     * Reads the headers and the body of a 2xx answer, so that the connection can carry the next
     * request: true when that was done and the answer ended where it said; false (close the
     * connection) for anything else. Never fails: the status was read and counts.
     */
    private boolean restOfAnswerRead(Connection connection, int status, long deadline) {
        try {
            long length = -1;
            for (int i = 0; ; i++) {
                String header = readLine(connection.in, connection.socket, deadline);
                if (header == null || i > MAX_HEADERS) {
                    return false;
                }
                if (header.isEmpty()) {
                    break;
                }
                int colon = header.indexOf(':');
                if (colon <= 0) {
                    return false;
                }
                String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = header.substring(colon + 1).trim().toLowerCase(Locale.ROOT);
                if (name.equals("transfer-encoding")
                        || name.equals("connection") && List.of(value.split("\\s*,\\s*")).contains("close")) {
                    return false;
                }
                if (name.equals("content-length")) {
                    long declared = value.isEmpty() || value.length() > 18 || !value.chars().allMatch(Character::isDigit)
                            ? -1 : Long.parseLong(value);
                    if (declared < 0 || length >= 0 && length != declared) {
                        return false;
                    }
                    length = declared;
                }
            }
            if (status == 204) {
                length = 0; // a 204 has no body, whatever it says (RFC 9110 15.3.5)
            }
            if (length < 0 || length > MAX_DISCARDED_BODY) {
                return false;
            }
            byte[] discard = new byte[(int) Math.min(length, 4096)];
            for (long left = length; left > 0; ) {
                setTimeout(connection.socket, deadline);
                int read = connection.in.read(discard, 0, (int) Math.min(left, discard.length));
                if (read < 0) {
                    return false;
                }
                left -= read;
            }
            // more than it announced: the next answer on this connection could not be trusted
            return connection.in.available() == 0;
        } catch (IOException | Failure e) {
            LOG.debug("Webhook answer not reusable: {}", e.toString());
            return false;
        }
    }

    private Connection open(Receiver receiver, long deadline) throws IOException {
        Socket socket = new Socket();
        try {
            long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            socket.connect(new InetSocketAddress(receiver.address(), receiver.port()), (int) Math.min(left,
                    Integer.MAX_VALUE));
            socket.setTcpNoDelay(true);
            setTimeout(socket, deadline);
            Socket channel = receiver.https() ? startTls(socket, receiver.host(), receiver.port()) : socket;
            setTimeout(channel, deadline);
            return new Connection(receiver, channel);
        } catch (IOException | RuntimeException e) {
            try {
                socket.close();
            } catch (IOException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    private static Failure failure(IOException e) {
        if (e instanceof SocketTimeoutException) {
            return new Failure("timeout", null, null, e);
        }
        if (e instanceof ConnectException) {
            return new Failure("connection refused", null, null, e);
        }
        if (e instanceof NoRouteToHostException) {
            return new Failure("host unreachable", null, null, e);
        }
        if (e instanceof SSLException) {
            return new Failure("TLS handshake failed", null, null, e);
        }
        return new Failure("connection failed", null, null, e);
    }

    /** An idle connection to {@code receiver} kept for less than the idle timeout, or null. */
    private Connection take(Receiver receiver) {
        List<Connection> expired = new ArrayList<>();
        Connection found = null;
        synchronized (this) {
            ArrayDeque<Connection> connections = idle.get(receiver);
            long now = System.nanoTime();
            while (connections != null && !connections.isEmpty() && found == null) {
                Connection connection = connections.pollLast();
                idleCount--;
                if (now - connection.idleSince < IDLE_TIMEOUT.toNanos()) {
                    found = connection;
                } else {
                    expired.add(connection);
                }
            }
            if (connections != null && connections.isEmpty()) {
                idle.remove(receiver);
            }
        }
        expired.forEach(Connection::close);
        return found;
    }

    private void release(Connection connection) {
        Receiver receiver = connection.receiver;
        boolean kept = false;
        synchronized (this) {
            ArrayDeque<Connection> connections = idle.computeIfAbsent(receiver, r -> new ArrayDeque<>());
            if (!closed && connections.size() < IDLE_PER_RECEIVER && idleCount < IDLE_TOTAL) {
                connection.idleSince = System.nanoTime();
                connections.addLast(connection);
                idleCount++;
                kept = true;
                if (reaping == null) {
                    reaping = scheduleReaping(new WeakReference<>(this));
                }
            } else if (connections.isEmpty()) {
                idle.remove(receiver);
            }
        }
        if (!kept) {
            connection.close();
        }
    }

    private static ScheduledFuture<?> scheduleReaping(WeakReference<WebhookClient> client) {
        AtomicReference<ScheduledFuture<?>> self = new AtomicReference<>();
        long period = Math.max(100, IDLE_TIMEOUT.toMillis() / 4);
        self.set(REAPER.scheduleWithFixedDelay(() -> {
            WebhookClient alive = client.get();
            if (alive == null || !alive.closeExpired()) {
                ScheduledFuture<?> future = self.get();
                if (future != null) {
                    future.cancel(false);
                }
            }
        }, period, period, TimeUnit.MILLISECONDS));
        return self.get();
    }

    /** Closes the connections idle for longer than the idle timeout; false (and stops) when none is left idle. */
    private boolean closeExpired() {
        List<Connection> expired = new ArrayList<>();
        boolean left;
        synchronized (this) {
            long now = System.nanoTime();
            for (Iterator<ArrayDeque<Connection>> each = idle.values().iterator(); each.hasNext(); ) {
                ArrayDeque<Connection> connections = each.next();
                while (!connections.isEmpty() && now - connections.peekFirst().idleSince >= IDLE_TIMEOUT.toNanos()) {
                    expired.add(connections.pollFirst());
                    idleCount--;
                }
                if (connections.isEmpty()) {
                    each.remove();
                }
            }
            left = idleCount > 0;
            if (!left) {
                reaping = null;
            }
        }
        expired.forEach(Connection::close);
        return left;
    }

    /** Closes every idle connection; later POSTs still work, each on its own connection. */
    @Override
    public void close() {
        List<Connection> all = new ArrayList<>();
        synchronized (this) {
            closed = true;
            idle.values().forEach(all::addAll);
            idle.clear();
            idleCount = 0;
            if (reaping != null) {
                reaping.cancel(false);
                reaping = null;
            }
        }
        all.forEach(Connection::close);
    }

    /** How many connections are idle in the pool now (for tests). */
    synchronized int idleConnections() {
        return idleCount;
    }

    private Socket startTls(Socket socket, String host, int port) throws IOException {
        String name = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(socket, name, port, true);
        SSLParameters parameters = ssl.getSSLParameters();
        // the certificate must be for the name in the URL, though we connected to an address
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        if (!host.startsWith("[") && !Character.isDigit(name.charAt(name.length() - 1))) {
            parameters.setServerNames(List.of(new SNIHostName(name)));
        }
        ssl.setSSLParameters(parameters);
        ssl.setSoTimeout(socket.getSoTimeout());
        ssl.startHandshake();
        return ssl;
    }

    private static byte[] head(URI url, int port, boolean https, Map<String, String> headers, int length)
            throws Failure {
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        if (url.getRawQuery() != null) {
            path += "?" + url.getRawQuery();
        }
        boolean defaultPort = port == (https ? 443 : 80);
        StringBuilder head = new StringBuilder();
        head.append("POST ").append(path).append(" HTTP/1.1\r\n");
        head.append("Host: ").append(url.getHost()).append(defaultPort ? "" : ":" + port).append("\r\n");
        head.append("User-Agent: CareTrail-Webhook/1\r\n");
        head.append("Content-Length: ").append(length).append("\r\n");
        for (Map.Entry<String, String> header : headers.entrySet()) {
            if (!safeHeader(header.getKey()) || !safeHeader(header.getValue())) {
                throw new Failure("invalid request header", null, header.getKey(), null);
            }
            String lower = header.getKey().toLowerCase(Locale.ROOT);
            if (lower.equals("host") || lower.equals("content-length") || lower.equals("connection")
                    || lower.equals("transfer-encoding")) {
                continue;
            }
            head.append(header.getKey()).append(": ").append(header.getValue()).append("\r\n");
        }
        head.append("\r\n");
        return head.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static boolean safeHeader(String text) {
        if (text == null) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 && c != '\t' || c == 0x7F || c > 0xFF) {
                return false;
            }
        }
        return true;
    }

    /** The final answer's status line: informational (1xx) answers and their headers are skipped. */
    private String readStatus(InputStream in, Socket socket, long deadline) throws IOException, Failure {
        for (int answers = 0; answers < 5; answers++) {
            String line = readLine(in, socket, deadline);
            if (line == null) {
                throw new Failure("no HTTP answer", null, null, null);
            }
            int status = status(line);
            if (status >= 200 || status == 101) {
                return line;
            }
            for (int i = 0; ; i++) {
                String header = readLine(in, socket, deadline);
                if (header == null || header.isEmpty()) {
                    break;
                }
                if (i > MAX_HEADERS) {
                    throw new Failure("invalid HTTP answer", null, "too many header lines", null);
                }
            }
        }
        throw new Failure("invalid HTTP answer", null, "too many informational answers", null);
    }

    private static int status(String line) throws Failure {
        // HTTP/1.1 204 No Content
        if (!line.startsWith("HTTP/1.") || line.length() < 12 || line.charAt(8) != ' ') {
            throw new Failure("invalid HTTP answer", null, null, null);
        }
        String code = line.substring(9, 12);
        if (!code.chars().allMatch(Character::isDigit) || (line.length() > 12 && line.charAt(12) != ' ')) {
            throw new Failure("invalid HTTP answer", null, null, null);
        }
        int status = Integer.parseInt(code);
        if (status < 100 || status > 599) {
            throw new Failure("invalid HTTP answer", null, null, null);
        }
        return status;
    }

    private String readLine(InputStream in, Socket socket, long deadline) throws IOException, Failure {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            setTimeout(socket, deadline);
            int b = in.read();
            if (b < 0) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
            }
            if (b == '\n') {
                String text = line.toString(StandardCharsets.ISO_8859_1);
                return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
            }
            if (line.size() >= MAX_LINE) {
                throw new Failure("invalid HTTP answer", null, "line too long", null);
            }
            line.write(b);
        }
    }

    /** The socket's read timeout: what is left of the exchange's deadline. */
    private static void setTimeout(Socket socket, long deadline) throws IOException {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
            throw new SocketTimeoutException("deadline passed");
        }
        socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
    }

    private static SSLContext defaultTls() {
        try {
            return SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no TLS in this JVM", e);
        }
    }
}
