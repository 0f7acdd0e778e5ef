package org.caretrail.it.fhir;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.caretrail.deploy.security.OidcTokens;
import org.caretrail.deploy.security.RoleMapping;
import org.caretrail.events.access.Role;

/**
 * An OpenID Connect issuer's keys on a local HTTP server (its JWKS), and access tokens signed with them
 * for callers with given roles: the platform verifies them with its real token verifier (signature
 * against the JWKS fetched over HTTP, issuer, audience, expiry). For tests of who may read what; the
 * real provider (Keycloak) is tested in KeycloakIdentityIT.
 */
final class TestIssuer implements AutoCloseable {

    static final String ISSUER = "https://issuer.test/realms/caretrail";
    static final String AUDIENCE = "caretrail";
    private final RSAKey key;
    private final HttpServer jwks;

    TestIssuer() throws Exception {
        key = new RSAKeyGenerator(2048).keyID("it-1").generate();
        jwks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        byte[] body = new JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
        jwks.createContext("/jwks", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        jwks.start();
    }

    /** The platform's verifier of this issuer's tokens, roles by name in {@code realm_access.roles}. */
    OidcTokens verifier() throws IOException {
        return OidcTokens.of(ISSUER, AUDIENCE, URI.create("http://127.0.0.1:" + jwks.getAddress().getPort() + "/jwks"),
                RoleMapping.byName("realm_access.roles"));
    }

    /** A token for {@code subject} with {@code roles}, valid for an hour. */
    String token(String subject, Role... roles) throws Exception {
        Instant now = Instant.now();
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(ISSUER).audience(AUDIENCE).subject(subject)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(Duration.ofHours(1))))
                .claim("azp", subject + "-client")
                .claim("realm_access", Map.of("roles", Arrays.stream(roles).map(r -> r.name().toLowerCase())
                        .toList()))
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID())
                .type(JOSEObjectType.JWT).build(), claims);
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    static List<Role> none() {
        return List.of();
    }

    @Override
    public void close() {
        jwks.stop(0);
    }
}
