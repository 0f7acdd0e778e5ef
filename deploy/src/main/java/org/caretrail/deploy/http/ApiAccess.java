package org.caretrail.deploy.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import org.caretrail.deploy.security.AccessPolicy;
import org.caretrail.deploy.security.CrossSiteChecks;
import org.caretrail.deploy.security.ExchangeWithAttributes;
import org.caretrail.deploy.security.OidcTokens;
import org.caretrail.deploy.security.PeerCredential;
import org.caretrail.deploy.security.Refusal;
import org.caretrail.deploy.security.StaticToken;
import org.caretrail.events.access.Caller;
import org.caretrail.events.access.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may call the platform's HTTP APIs (the timeline API, the subscriptions API, the FHIR gateway),
 * checked in this order before a handler sees the request:
 * <ol>
 *   <li>{@link CrossSiteChecks}: Host (DNS rebinding), and for state changes Origin and a JSON
 *       Content-Type (a web page in the user's browser cannot post to the API): 403 / 415;
 *   <li>who is calling: a peer instance's {@link PeerCredential} on a forwarded query; else
 *       {@code Authorization: Bearer} with the {@link StaticToken} or an OpenID Connect access token
 *       ({@link OidcTokens}); else, only where the operator chose {@code --no-auth} (loopback), an
 *       unverified caller: 401 otherwise;
 *   <li>{@link AccessPolicy}: may that caller's roles call this method on this path: 403 otherwise.
 * </ol>
 * The verified {@link Caller} is then the exchange attribute {@value Caller#ATTRIBUTE}; handlers and
 * the access audit take the identity from there and nowhere else.
 */
public final class ApiAccess {

    /** A static token given by the environment instead of a file. */
    public static final String TOKEN_ENV = "CARETRAIL_API_TOKEN";
    /** Exchange attribute: how the instance that forwarded a request had verified its caller. */
    public static final String ORIGINALLY_VERIFIED_BY = "caretrail.peer.originallyVerifiedBy";

    private static final Logger LOG = LoggerFactory.getLogger(ApiAccess.class);

    private final StaticToken token;
    private final OidcTokens oidc;
    private final Set<Role> unverifiedRoles;
    private final PeerCredential peer;
    private final Set<String> hosts;
    private final Set<String> origins;
    private final CrossSiteChecks checks;

    private ApiAccess(StaticToken token, OidcTokens oidc, Set<Role> unverifiedRoles, PeerCredential peer,
            Set<String> hosts, Set<String> origins) {
        this.token = token;
        this.oidc = oidc;
        this.unverifiedRoles = unverifiedRoles;
        this.peer = peer;
        this.hosts = Set.copyOf(hosts);
        this.origins = Set.copyOf(origins);
        this.checks = new CrossSiteChecks(this.hosts, this.origins);
    }

    /**
     * {@code --no-auth}: nobody is verified, every caller has {@code roles}; only on loopback
     * ({@link #requireFor}). The cross-site checks still apply: a web page must not use the user's
     * loopback as its own.
     */
    public static ApiAccess unverified(Set<Role> roles) {
        return new ApiAccess(null, null, Set.copyOf(roles), null, defaultHosts(), Set.of());
    }

    /** As {@link #unverified} with the static token's default roles (what one user on one machine needs). */
    public static ApiAccess open() {
        return unverified(StaticToken.DEFAULT_ROLES);
    }

    /** Callers present {@code token}, which has the {@link StaticToken#DEFAULT_ROLES}. */
    public static ApiAccess bearer(String token) {
        return with(StaticToken.of(token, StaticToken.DEFAULT_ROLES));
    }

    /** Callers present this static token. */
    public static ApiAccess with(StaticToken token) {
        return new ApiAccess(token, null, null, null, defaultHosts(), Set.of());
    }

    /** Also accepts OpenID Connect access tokens of this issuer. */
    public ApiAccess withOidc(OidcTokens tokens) {
        return new ApiAccess(token, tokens, unverifiedRoles, peer, hosts, origins);
    }

    /** Accepts queries forwarded by peer instances that hold this credential, and signs its own forwards. */
    public ApiAccess withPeers(PeerCredential credential) {
        return new ApiAccess(token, oidc, unverifiedRoles, credential, hosts, origins);
    }

    /** Also answers to these host names (Host header), e.g. the advertised host or a load balancer's name. */
    public ApiAccess answeringTo(Collection<String> names) {
        Set<String> all = new LinkedHashSet<>(hosts);
        names.stream().filter(n -> n != null && !n.isBlank()).forEach(all::add);
        return new ApiAccess(token, oidc, unverifiedRoles, peer, all, origins);
    }

    /** Web origins besides this server's own that may change state (e.g. an EHR that embeds CareTrail). */
    public ApiAccess allowingOrigins(Collection<String> allowed) {
        Set<String> all = new LinkedHashSet<>(origins);
        all.addAll(allowed);
        return new ApiAccess(token, oidc, unverifiedRoles, peer, hosts, all);
    }

    /** The names every server answers to: loopback, and this machine's own names. */
    private static Set<String> defaultHosts() {
        Set<String> names = new LinkedHashSet<>(Set.of("localhost", "localhost.localdomain"));
        try {
            InetAddress local = InetAddress.getLocalHost();
            names.add(local.getHostName());
            names.add(local.getCanonicalHostName());
        } catch (UnknownHostException e) {
            LOG.debug("this machine's name is unknown: {}", e.toString());
        }
        return names;
    }

    /** True when callers must prove who they are (a static or OpenID Connect token). */
    public boolean requiresToken() {
        return unverifiedRoles == null;
    }

    public Optional<StaticToken> staticToken() {
        return Optional.ofNullable(token);
    }

    public Optional<PeerCredential> peers() {
        return Optional.ofNullable(peer);
    }

    /**
     * Checks that serving on {@code bindHost} is safe: without verified callers ({@code --no-auth})
     * only loopback is.
     *
     * @throws IllegalStateException with what to do, when it is not
     */
    public void requireFor(String bindHost) {
        if (requiresToken() || isLoopback(bindHost)) {
            return;
        }
        throw new IllegalStateException("refusing to serve patient data on " + bindHost + " without verifying "
                + "callers: --no-auth is for loopback only (127.0.0.1); drop it to use the API token");
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

    /** {@code handler}, for requests that pass the checks, with the verified caller on the exchange. */
    public HttpHandler guard(HttpHandler handler) {
        return raw -> {
            HttpExchange exchange = ExchangeWithAttributes.of(raw);
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            Optional<CrossSiteChecks.Refusal> crossSite = checks.check(method, path, exchange.getRequestHeaders());
            if (crossSite.isPresent()) {
                Refusal.send(exchange, crossSite.get().status(), crossSite.get().reason());
                return;
            }
            Optional<Caller> caller = identify(exchange);
            if (caller.isEmpty()) {
                return; // refused, and answered
            }
            exchange.setAttribute(Caller.ATTRIBUTE, caller.get());
            if (!AccessPolicy.allows(caller.get(), method, path)) {
                Refusal.send(exchange, 403, "not allowed: " + method + " here needs "
                        + AccessPolicy.needs(method, path));
                return;
            }
            handler.handle(exchange);
        };
    }

    /** The verified caller, or empty when the request was refused (and answered). */
    private Optional<Caller> identify(HttpExchange exchange) throws IOException {
        if (PeerCredential.claimed(exchange.getRequestHeaders())) {
            return peer(exchange);
        }
        if (!requiresToken()) {
            return Optional.of(new Caller("unverified (--no-auth)", null, Caller.Verification.NONE, unverifiedRoles));
        }
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            Refusal.send(exchange, 401, "this API needs a token: Authorization: Bearer <token>");
            return Optional.empty();
        }
        String presented = header.substring(7).strip();
        Optional<Caller> byToken = token == null ? Optional.empty() : token.verify(presented);
        if (byToken.isPresent()) {
            return byToken;
        }
        if (oidc != null && presented.chars().filter(c -> c == '.').count() == 2) {
            try {
                return Optional.of(oidc.verify(presented));
            } catch (OidcTokens.Rejected e) {
                String id = Refusal.correlationId();
                LOG.info("Access token refused on {} {} [{}]: {}", exchange.getRequestMethod(),
                        exchange.getRequestURI().getRawPath(), id, e.getMessage());
                Refusal.send(exchange, 401, "the access token was not accepted (expired or not yet valid, another "
                        + "issuer or audience, or not signed by the issuer)", id);
                return Optional.empty();
            } catch (OidcTokens.KeysUnavailable e) {
                String id = Refusal.correlationId();
                LOG.error("Cannot verify access tokens [{}]: {}", id, e.getMessage());
                exchange.getResponseHeaders().set("Retry-After", "10");
                Refusal.send(exchange, 503, "access tokens cannot be verified at the moment", id);
                return Optional.empty();
            }
        }
        Refusal.send(exchange, 401, "the token was not accepted");
        return Optional.empty();
    }

    private Optional<Caller> peer(HttpExchange exchange) throws IOException {
        String id = Refusal.correlationId();
        if (peer == null) {
            LOG.warn("A forwarded request from {} refused [{}]: this instance has no peer credential",
                    exchange.getRemoteAddress(), id);
            Refusal.send(exchange, 401, "forwarded requests are not accepted without a valid peer credential", id);
            return Optional.empty();
        }
        String raw = exchange.getRequestURI().getRawPath()
                + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery());
        try {
            PeerCredential.Verified verified = peer.verify(exchange.getRequestMethod(), raw,
                    exchange.getRequestHeaders());
            exchange.setAttribute(ORIGINALLY_VERIFIED_BY, verified.originallyVerifiedBy());
            return Optional.of(verified.caller());
        } catch (PeerCredential.Rejected e) {
            LOG.warn("A forwarded request from {} refused [{}]: {}", exchange.getRemoteAddress(), id, e.getMessage());
            Refusal.send(exchange, 401, "forwarded requests are not accepted without a valid peer credential", id);
            return Optional.empty();
        }
    }

    /** The header value a client of this platform sends with the static token, if there is one. */
    public Optional<String> authorization() {
        return token == null ? Optional.empty() : Optional.of(token.authorization());
    }
}
