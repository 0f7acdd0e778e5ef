package org.caretrail.deploy.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.caretrail.events.access.Caller;
import org.caretrail.events.access.Role;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Token checks an attacker would probe, with keys made here. The real provider (Keycloak) is in
 * {@code KeycloakIdentityIT}; these are the forgeries a real provider never issues.
 */
class OidcTokensTest {

    private static final String ISSUER = "https://id.example.nhs.uk/realms/caretrail";
    private static final String AUDIENCE = "caretrail";
    private static RSAKey key;
    private static RSAKey otherKey;
    private static OidcTokens tokens;

    @BeforeAll
    static void keys() throws Exception {
        key = new RSAKeyGenerator(2048).keyID("k1").generate();
        otherKey = new RSAKeyGenerator(2048).keyID("k1").generate(); // same kid, another key
        tokens = new OidcTokens(ISSUER, AUDIENCE, new ImmutableJWKSet<>(new JWKSet(key.toPublicJWK())),
                RoleMapping.byName("realm_access.roles"));
    }

    private static JWTClaimsSet.Builder claims() {
        long now = System.currentTimeMillis();
        return new JWTClaimsSet.Builder().issuer(ISSUER).audience(AUDIENCE).subject("user-1")
                .claim("azp", "caretrail-web").issueTime(new Date(now)).expirationTime(new Date(now + 300_000))
                .claim("realm_access", Map.of("roles", List.of("clinician")));
    }

    private static String signed(RSAKey with, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(with.getKeyID())
                .type(JOSEObjectType.JWT).build(), claims);
        jwt.sign(new RSASSASigner(with));
        return jwt.serialize();
    }

    @Test
    void aGoodTokenIsItsSubjectClientAndRoles() throws Exception {
        Caller caller = tokens.verify(signed(key, claims().build()));
        assertThat(caller).isEqualTo(new Caller("user-1", "caretrail-web", Caller.Verification.OIDC_TOKEN,
                java.util.Set.of(Role.CLINICIAN)));
    }

    @Test
    void expiredNotYetValidOtherIssuerOtherAudienceAndMissingSubjectAreRejected() throws Exception {
        long now = System.currentTimeMillis();
        List<JWTClaimsSet> bad = List.of(
                claims().expirationTime(new Date(now - 60_000)).build(),
                claims().notBeforeTime(new Date(now + 120_000)).build(),
                claims().issuer("https://id.example.org/realms/other").build(),
                claims().audience("another-service").build(),
                claims().subject(null).build());
        for (JWTClaimsSet c : bad) {
            String token = signed(key, c);
            assertThatThrownBy(() -> tokens.verify(token)).as(c.toString()).isInstanceOf(OidcTokens.Rejected.class);
        }
        // within the clock skew, expiry is tolerated
        assertThat(tokens.verify(signed(key, claims().expirationTime(new Date(now - 5_000)).build())).subject())
                .isEqualTo("user-1");
    }

    @Test
    void forgedTokensAreRejected() throws Exception {
        String good = signed(key, claims().build());
        String[] parts = good.split("\\.");
        String morePowerful = Base64.getUrlEncoder().withoutPadding().encodeToString(claims()
                .claim("realm_access", Map.of("roles", List.of("clinician", "restricted_access"))).build()
                .toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String tampered = parts[0] + "." + morePowerful + "." + parts[2];
        String plain = new PlainJWT(claims().build()).serialize();
        SignedJWT hs = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("k1").build(), claims().build());
        hs.sign(new MACSigner(key.toPublicJWK().toRSAPublicKey().getEncoded())); // the public key as an HMAC secret
        for (String forged : new String[] {tampered, plain, hs.serialize(), signed(otherKey, claims().build()),
                "not.a.token"}) {
            assertThatThrownBy(() -> tokens.verify(forged)).isInstanceOf(OidcTokens.Rejected.class);
        }
    }
}
