package org.caretrail.events.access;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import org.caretrail.events.model.Sensitivity;

/**
 * Who is asking, as verified by the platform (never as the caller claims): the subject of the
 * token, the client (system) it was issued to, how it was verified, and its roles. Every way out
 * decides what to show from this alone; the HTTP layer puts it on each exchange as the attribute
 * {@value #ATTRIBUTE}.
 *
 * @param subject the verified identity: the token's {@code sub}, "static-token", or the peer instance
 * @param client the system the token was issued to ({@code azp}/{@code client_id}), if known
 * @param verifiedBy how the identity was established
 * @param roles what the caller may do
 */
public record Caller(String subject, String client, Verification verifiedBy, Set<Role> roles) {

    /** The attribute under which the HTTP layer stores the verified {@link Caller} of an exchange. */
    public static final String ATTRIBUTE = "caretrail.caller";

    public enum Verification {
        /** An OpenID Connect access token: signature (JWKS), issuer, audience and expiry checked. */
        OIDC_TOKEN,
        /** The platform's one static token (the simple default for one machine). */
        STATIC_TOKEN,
        /** Another CareTrail instance, authenticated by its peer credential. */
        PEER,
        /** Nobody verified: only where the operator chose {@code --no-auth}. */
        NONE
    }

    public Caller {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(verifiedBy, "verifiedBy");
        roles = roles.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(roles));
    }

    public boolean has(Role role) {
        return roles.contains(role);
    }

    /** May this caller see an entry of this sensitivity (given it may read timelines at all)? */
    public boolean maySee(Sensitivity sensitivity) {
        return sensitivity != Sensitivity.RESTRICTED || has(Role.RESTRICTED_ACCESS);
    }
}
