package org.caretrail.consumers.webhook;

import java.io.ByteArrayOutputStream;
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
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * POSTs one webhook, and nothing else: HTTP/1.1 to the address the {@link CallbackPolicy} resolved
 * and allowed (the name is looked up once, the connection goes to that address, and the request
 * carries the name in {@code Host}; HTTPS checks the server's certificate against the name, with
 * SNI), one request per connection, redirects never followed, the answer's status line read and
 * the rest of the answer ignored.
 *
 * <p>It reads so little of the answer on purpose: a receiver's body, headers and the peer's address
 * never reach the subscriber, and what went wrong is one of a few fixed phrases
 * ({@link Failure#publicText()}): "connection refused", "timeout", "HTTP 500", ... Enough for a
 * subscriber to fix their receiver; too little to map someone else's network with.
 */
public final class WebhookClient {

    /** The longest status line or header line read before the answer is called invalid. */
    static final int MAX_LINE = 8 * 1024;
    /** How many header lines of an answer are skipped at most (only 1xx answers need them skipped). */
    static final int MAX_HEADERS = 200;

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
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port), (int) Math.max(1, timeout.toMillis()));
            setTimeout(socket, deadline);
            Socket channel = https ? startTls(socket, url.getHost(), port) : socket;
            setTimeout(channel, deadline);
            OutputStream out = channel.getOutputStream();
            out.write(head(url, port, https, headers, body.length));
            out.write(body);
            out.flush();
            InputStream in = new java.io.BufferedInputStream(channel.getInputStream(), 1024);
            int status = readStatus(in, channel, deadline);
            if (status / 100 == 2) {
                return status;
            }
            if (status / 100 == 3) {
                throw new Failure("HTTP " + status + " (redirects are not followed)", status, null, null);
            }
            throw new Failure("HTTP " + status, status, null, null);
        } catch (Failure e) {
            throw e;
        } catch (SocketTimeoutException e) {
            throw new Failure("timeout", null, null, e);
        } catch (ConnectException e) {
            throw new Failure("connection refused", null, null, e);
        } catch (NoRouteToHostException e) {
            throw new Failure("host unreachable", null, null, e);
        } catch (SSLException e) {
            throw new Failure("TLS handshake failed", null, null, e);
        } catch (IOException e) {
            throw new Failure("connection failed", null, null, e);
        }
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
        head.append("Connection: close\r\n");
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

    /** The final status code: informational (1xx) answers and their headers are skipped. */
    private int readStatus(InputStream in, Socket socket, long deadline) throws IOException, Failure {
        for (int answers = 0; answers < 5; answers++) {
            String line = readLine(in, socket, deadline);
            if (line == null) {
                throw new Failure("no HTTP answer", null, null, null);
            }
            int status = status(line);
            if (status >= 200 || status == 101) {
                return status;
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
