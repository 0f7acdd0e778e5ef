package org.caretrail.deploy.security;

import com.sun.net.httpserver.Headers;
import java.net.URI;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What a web page in the user's browser must not be able to do to the platform: the checks a request
 * passes before anyone looks at its credentials.
 *
 * <ul>
 *   <li><b>Host</b> (every request): one of the platform's own names, or an IP address. A page on {@code evil.example}
 *       that rebinds its DNS name to 127.0.0.1 (DNS rebinding) sends {@code Host: evil.example} and is
 *       refused, so it can neither write nor read through the user's loopback.
 *   <li><b>Content-Type</b> (POST, PUT, PATCH): {@code application/json} (FHIR also {@code application/fhir+json},
 *       {@code application/fhir+xml}, {@code application/xml}). A page can POST {@code text/plain}, form or multipart bodies
 *       cross-site without a CORS preflight; JSON types always need one, which this server never grants.
 *   <li><b>Origin</b> (POST, PUT, PATCH, DELETE): absent (not a browser), this server's own origin, or
 *       one an operator allowed.
 * </ul>
 * Refusals: 403 for Host and Origin, 415 for Content-Type.
 */
public final class CrossSiteChecks {

    /** Why a request was refused: status and a message for the caller. */
    public record Refusal(int status, String reason) {
    }

    private static final Set<String> STATE_CHANGING = Set.of("POST", "PUT", "PATCH", "DELETE");
    private static final Set<String> WITH_BODY = Set.of("POST", "PUT", "PATCH");
    /** FHIR's own media types; none is one a page may send cross-site without a CORS preflight. */
    private static final Set<String> FHIR_TYPES = Set.of("application/fhir+json", "application/fhir+xml",
            "application/xml");

    private final Set<String> hosts;
    private final Set<String> origins;

    /**
     * @param hosts the names (no port) this platform answers to, e.g. {@code 127.0.0.1}, {@code localhost},
     *        the advertised host; compared case-insensitively
     * @param origins origins besides the platform's own that may change state, e.g.
     *        {@code https://ehr.example.nhs.uk}
     */
    public CrossSiteChecks(Set<String> hosts, Set<String> origins) {
        Set<String> h = new LinkedHashSet<>();
        hosts.forEach(x -> h.add(stripBrackets(x.toLowerCase(Locale.ROOT))));
        this.hosts = Set.copyOf(h);
        Set<String> o = new LinkedHashSet<>();
        origins.forEach(x -> o.add(normaliseOrigin(x).orElseThrow(
                () -> new IllegalArgumentException("not an origin (scheme://host[:port]): " + x))));
        this.origins = Set.copyOf(o);
    }

    public Set<String> hosts() {
        return hosts;
    }

    /** The refusal for this request, or empty when it may go on to authentication. */
    public Optional<Refusal> check(String method, String path, Headers headers) {
        String host = headers.getFirst("Host");
        Optional<String> hostName = hostName(host);
        if (hostName.isEmpty() || !(hosts.contains(hostName.get()) || ipLiteral(hostName.get()))) {
            return Optional.of(new Refusal(403, "this server does not answer to the host name in the Host header"
                    + " (an operator can add a name with --allowed-host)"));
        }
        String m = method.toUpperCase(Locale.ROOT);
        if (!STATE_CHANGING.contains(m)) {
            return Optional.empty();
        }
        String origin = headers.getFirst("Origin");
        if (origin != null && !sameOrigin(origin, host) && !allowedOrigin(origin)) {
            return Optional.of(new Refusal(403, "a request from the web origin " + safe(origin)
                    + " may not change anything here (only this server's own origin or one the operator allowed)"));
        }
        if (WITH_BODY.contains(m)) {
            boolean fhir = path.startsWith("/fhir/");
            String type = mediaType(headers.getFirst("Content-Type"));
            boolean json = "application/json".equals(type);
            boolean fhirType = type != null && FHIR_TYPES.contains(type);
            if (!(json || (fhir && fhirType))) {
                return Optional.of(new Refusal(415, "Content-Type must be "
                        + (fhir ? "application/fhir+json (or application/json, application/fhir+xml)" : "application/json")
                        + (type == null ? ", and none was sent" : ", not " + safe(type))));
            }
        }
        return Optional.empty();
    }

    private boolean allowedOrigin(String origin) {
        return normaliseOrigin(origin).map(origins::contains).orElse(false);
    }

    /** True when {@code origin} is http(s) on the same host and port as the Host header says. */
    private static boolean sameOrigin(String origin, String host) {
        Optional<String> o = normaliseOrigin(origin);
        if (o.isEmpty() || host == null) {
            return false;
        }
        String h = host.toLowerCase(Locale.ROOT);
        return o.get().equals("http://" + h) || o.get().equals("https://" + h)
                || o.get().equals("http://" + h + ":80") || o.get().equals("https://" + h + ":443");
    }

    /** {@code scheme://host[:port]} in lower case, or empty when {@code text} is not an origin ("null" is not). */
    static Optional<String> normaliseOrigin(String text) {
        try {
            URI uri = new URI(text.strip());
            if (uri.getScheme() == null || uri.getHost() == null || (uri.getPath() != null && !uri.getPath().isEmpty()
                    && !"/".equals(uri.getPath())) || uri.getQuery() != null || uri.getUserInfo() != null) {
                return Optional.empty();
            }
            String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                return Optional.empty();
            }
            return Optional.of(scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT)
                    + (uri.getPort() < 0 ? "" : ":" + uri.getPort()));
        } catch (java.net.URISyntaxException e) {
            return Optional.empty();
        }
    }

    /** The host name of a Host header ({@code name}, {@code name:port}, {@code [v6]:port}), lower case. */
    static Optional<String> hostName(String host) {
        if (host == null || host.isBlank() || host.length() > 255) {
            return Optional.empty();
        }
        String h = host.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? Optional.empty() : Optional.of(h.substring(1, end));
        }
        int colon = h.indexOf(':');
        if (colon >= 0 && h.indexOf(':', colon + 1) >= 0) {
            return Optional.empty(); // an unbracketed IPv6 address is not a valid Host header
        }
        return Optional.of(colon < 0 ? h : h.substring(0, colon));
    }

    /**
     * An address rather than a name: always acceptable, since DNS rebinding needs a name the attacker
     * controls, and a page served from an address is not same-origin with this server.
     */
    static boolean ipLiteral(String host) {
        return host.matches("\\d{1,3}(\\.\\d{1,3}){3}") || (host.contains(":") && host.matches("[0-9a-f:.]+"));
    }

    private static String mediaType(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return null;
        }
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
    }

    private static String stripBrackets(String h) {
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }

    /** A caller-supplied value, shortened and stripped of control characters, fit to echo in an error. */
    static String safe(String value) {
        String cleaned = value.replaceAll("\\p{Cntrl}", "?");
        return "'" + (cleaned.length() > 100 ? cleaned.substring(0, 100) + "..." : cleaned) + "'";
    }
}
