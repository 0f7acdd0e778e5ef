package org.caretrail.deploy.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * Who may call the platform's HTTP APIs. The timeline API, the subscriptions API and the FHIR
 * gateway carry patient data, so they are either reachable from this machine only (the default:
 * HTTP listens on loopback) or need {@code Authorization: Bearer <token>} with the platform's API
 * token. {@link #requireFor(String)} refuses a non-loopback address without a token.
 *
 * <p>The token comes from {@code --api-token-file} or the {@code CARETRAIL_API_TOKEN} environment
 * variable (never a command-line value: those show in {@code ps}); at least 16 characters. It is
 * compared in constant time.
 */
public final class ApiAccess {

    public static final String TOKEN_ENV = "CARETRAIL_API_TOKEN";
    static final int MIN_LENGTH = 16;

    private final byte[] token;

    private ApiAccess(byte[] token) {
        this.token = token;
    }

    /** No token: every caller that can reach the port is allowed (loopback only, see {@link #requireFor}). */
    public static ApiAccess open() {
        return new ApiAccess(null);
    }

    /** Callers must present {@code token}. */
    public static ApiAccess bearer(String token) {
        if (token == null || token.strip().length() < MIN_LENGTH) {
            throw new IllegalArgumentException("the API token must be at least " + MIN_LENGTH + " characters");
        }
        return new ApiAccess(token.strip().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The token from {@code tokenFile} (its first line) if given, else from {@code environmentValue}
     * (the value of {@value #TOKEN_ENV}), else none.
     */
    public static ApiAccess configured(Path tokenFile, String environmentValue) throws IOException {
        if (tokenFile != null) {
            if (!Files.isReadable(tokenFile)) {
                throw new IOException("cannot read the API token file " + tokenFile);
            }
            String first = Files.readAllLines(tokenFile, StandardCharsets.UTF_8).stream().findFirst().orElse("");
            return bearer(first);
        }
        if (environmentValue != null && !environmentValue.isBlank()) {
            return bearer(environmentValue);
        }
        return open();
    }

    public boolean requiresToken() {
        return token != null;
    }

    /**
     * Checks that serving on {@code bindHost} is safe: anything but a loopback address needs a token.
     *
     * @throws IllegalStateException with what to do, when it is not
     */
    public void requireFor(String bindHost) {
        if (requiresToken() || isLoopback(bindHost)) {
            return;
        }
        throw new IllegalStateException("refusing to serve patient data on " + bindHost + " without an API token: "
                + "set " + TOKEN_ENV + " (or --api-token-file FILE) to a secret of at least " + MIN_LENGTH
                + " characters, or keep --http-host on loopback (127.0.0.1)");
    }

    static boolean isLoopback(String host) {
        try {
            InetAddress[] addresses = InetAddress.getAllByName(host);
            for (InetAddress address : addresses) {
                if (!address.isLoopbackAddress()) {
                    return false;
                }
            }
            return addresses.length > 0;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** Whether the request carries the token (always true without one). */
    public boolean allows(HttpExchange exchange) {
        if (token == null) {
            return true;
        }
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] presented = header.substring(7).strip().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(presented, token);
    }

    /** {@code handler}, answering 401 to a caller without the token. */
    public HttpHandler guard(HttpHandler handler) {
        if (token == null) {
            return handler;
        }
        return exchange -> {
            if (allows(exchange)) {
                handler.handle(exchange);
                return;
            }
            try (exchange) {
                boolean fhir = exchange.getRequestURI().getPath().startsWith("/fhir/");
                String body = fhir
                        ? "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\",\"code\":\"login\","
                                + "\"diagnostics\":\"an API token is required: Authorization: Bearer <token>\"}]}"
                        : "{\"status\":401,\"error\":\"an API token is required: Authorization: Bearer <token>\"}";
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"caretrail\"");
                exchange.getResponseHeaders().set("Content-Type",
                        fhir ? "application/fhir+json; charset=utf-8" : "application/json; charset=utf-8");
                exchange.sendResponseHeaders(401, bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        };
    }

    /** The header value a client of this platform sends, if a token is set. */
    public Optional<String> authorization() {
        return token == null ? Optional.empty()
                : Optional.of("Bearer " + new String(token, StandardCharsets.UTF_8));
    }
}
