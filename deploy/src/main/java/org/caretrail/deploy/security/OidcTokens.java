package org.caretrail.deploy.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import org.caretrail.events.access.Caller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies OpenID Connect access tokens (signed JWTs) from one issuer, e.g. Keycloak or NHS CIS2:
 * the signature against the issuer's published keys (JWKS, fetched and cached, refreshed when a
 * token names a key not seen yet), the issuer ({@code iss}), the audience ({@code aud} must name
 * this platform), expiry ({@code exp}) and not-before ({@code nbf}) with {@value #CLOCK_SKEW_SECONDS} s
 * of clock skew. Only asymmetric algorithms are accepted (RS*, PS*, ES*): never {@code none}, never
 * HS* (with HS256 a public key would become a shared secret anyone could sign with).
 *
 * <p>The verified caller's subject is {@code sub}, the client {@code azp} (or {@code client_id}),
 * the roles as {@link RoleMapping} says.
 */
public final class OidcTokens {

    /** Clock skew tolerated on {@code exp} and {@code nbf}, in seconds. */
    public static final int CLOCK_SKEW_SECONDS = 30;
    static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512, JWSAlgorithm.ES256, JWSAlgorithm.ES384,
            JWSAlgorithm.ES512);

    private static final Logger LOG = LoggerFactory.getLogger(OidcTokens.class);

    /** The token was not accepted (a 401); the message is for the log, not the caller. */
    public static final class Rejected extends Exception {
        Rejected(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The issuer's keys could not be fetched: no token can be verified now (a 503). */
    public static final class KeysUnavailable extends Exception {
        KeysUnavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final String issuer;
    private final DefaultJWTProcessor<SecurityContext> processor;
    private final RoleMapping roles;

    OidcTokens(String issuer, String audience, JWKSource<SecurityContext> keys, RoleMapping roles) {
        this.issuer = issuer;
        this.roles = roles;
        processor = new DefaultJWTProcessor<>();
        processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT,
                new JOSEObjectType("at+jwt"), new JOSEObjectType("application/at+jwt"), null));
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, keys));
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(audience,
                new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("sub", "exp", "iss", "aud"));
        claims.setMaxClockSkew(CLOCK_SKEW_SECONDS);
        processor.setJWTClaimsSetVerifier(claims);
    }

    /**
     * Tokens of {@code issuer} for {@code audience}; the keys are found through the issuer's discovery
     * document ({@code /.well-known/openid-configuration}) unless {@code jwksUri} names them.
     */
    public static OidcTokens of(String issuer, String audience, URI jwksUri, RoleMapping roles) throws IOException {
        if (issuer == null || issuer.isBlank() || audience == null || audience.isBlank()) {
            throw new IllegalArgumentException("an OpenID Connect issuer needs both --oidc-issuer and --oidc-audience");
        }
        URI keys = jwksUri != null ? jwksUri : discoverKeys(issuer);
        JWKSource<SecurityContext> source = JWKSourceBuilder.<SecurityContext>create(keys.toURL(),
                        new DefaultResourceRetriever(5_000, 5_000, 512 * 1024))
                .retrying(true)
                .build();
        return new OidcTokens(issuer, audience, source, roles);
    }

    /** The {@code jwks_uri} of the issuer's discovery document, which must name the same issuer. */
    static URI discoverKeys(String issuer) throws IOException {
        URI discovery = URI.create(issuer.replaceAll("/+$", "") + "/.well-known/openid-configuration");
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try {
            HttpResponse<String> reply = client.send(HttpRequest.newBuilder(discovery).timeout(Duration.ofSeconds(10))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            if (reply.statusCode() != 200) {
                throw new IOException("the OpenID Connect issuer's discovery document " + discovery + " answered "
                        + reply.statusCode());
            }
            JsonNode document = new ObjectMapper().readTree(reply.body());
            if (!issuer.equals(document.path("issuer").asText())) {
                throw new IOException("the discovery document at " + discovery + " names the issuer '"
                        + document.path("issuer").asText() + "', not '" + issuer + "'");
            }
            String jwks = document.path("jwks_uri").asText("");
            if (jwks.isEmpty()) {
                throw new IOException("the discovery document at " + discovery + " has no jwks_uri");
            }
            return URI.create(jwks);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading " + discovery, e);
        }
    }

    public String issuer() {
        return issuer;
    }

    /** The verified caller of {@code token}. */
    public Caller verify(String token) throws Rejected, KeysUnavailable {
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (KeySourceException e) {
            throw new KeysUnavailable("cannot fetch the signing keys of " + issuer + ": " + e.getMessage(), e);
        } catch (java.text.ParseException | BadJOSEException | JOSEException e) {
            throw new Rejected(e.getMessage(), e);
        }
        String client = claims.getClaims().get("azp") instanceof String azp ? azp
                : claims.getClaims().get("client_id") instanceof String id ? id : null;
        Caller caller = new Caller(claims.getSubject(), client, Caller.Verification.OIDC_TOKEN,
                roles.roles(claims.getClaims()));
        LOG.debug("OIDC token of {} (client {}) verified: roles {}", caller.subject(), client, caller.roles());
        return caller;
    }
}
