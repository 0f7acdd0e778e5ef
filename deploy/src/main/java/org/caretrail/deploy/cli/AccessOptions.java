package org.caretrail.deploy.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.caretrail.deploy.http.ApiAccess;
import org.caretrail.deploy.security.OidcTokens;
import org.caretrail.deploy.security.PeerCredential;
import org.caretrail.deploy.security.RoleMapping;
import org.caretrail.deploy.security.StaticToken;
import org.caretrail.events.access.Role;
import picocli.CommandLine.Option;

/**
 * Who may call {@code caretrail up}'s HTTP APIs: the static token (made on first start), OpenID
 * Connect access tokens of one issuer, the peer secret instances share, the host names and web
 * origins the platform answers to, and the explicit {@code --no-auth}.
 */
public final class AccessOptions {

    /** Where the static token is made on first start, under the data directory. */
    public static final String TOKEN_FILE = "api-token";
    /** Where the peer secret is made on first start, under the data directory. */
    public static final String PEER_SECRET_FILE = "peer-secret";
    /** The peer secret given by the environment (e.g. a Kubernetes secret) instead of a file. */
    public static final String PEER_SECRET_ENV = "CARETRAIL_PEER_SECRET";

    @Option(names = "--api-token-file", paramLabel = "FILE",
            description = "The static API token (first line, at least 32 characters) callers send as "
                    + "Authorization: Bearer ...; default: " + ApiAccess.TOKEN_ENV + ", else <data-dir>/" + TOKEN_FILE
                    + ", made (random, readable by you only) on first start")
    Path apiTokenFile;

    @Option(names = "--static-token-roles", paramLabel = "ROLE[,ROLE...]",
            defaultValue = "clinician,integration_system,subscriber_admin,operator",
            description = "What the static token (and --no-auth) may do (default: ${DEFAULT-VALUE}); add "
                    + "restricted_access to see RESTRICTED entries")
    String staticTokenRoles;

    @Option(names = "--no-auth",
            description = "Verify nobody: anyone who can connect to this machine's loopback gets the static token's "
                    + "roles. Loopback only; for a throw-away demo, never with real data.")
    boolean noAuth;

    @Option(names = "--oidc-issuer", paramLabel = "URL",
            description = "Also accept OpenID Connect access tokens from this issuer (e.g. a Keycloak realm, NHS CIS2)")
    String oidcIssuer;

    @Option(names = "--oidc-audience", paramLabel = "AUD",
            description = "The audience (aud) the issuer's tokens must name for this platform")
    String oidcAudience;

    @Option(names = "--oidc-jwks-uri", paramLabel = "URL",
            description = "The issuer's keys (default: the jwks_uri of its discovery document)")
    URI oidcJwksUri;

    @Option(names = "--oidc-roles-claim", paramLabel = "PATH", defaultValue = "realm_access.roles",
            description = "Where the token's role values are (default: ${DEFAULT-VALUE}, Keycloak's realm roles; "
                    + "e.g. roles, resource_access.caretrail.roles, nhsid_nrbac_roles.role_code)")
    String oidcRolesClaim;

    @Option(names = "--oidc-role-map", paramLabel = "FILE",
            description = "Properties file: token role value = CareTrail role[,role...] (e.g. R8000 = clinician); "
                    + "default: values are CareTrail role names")
    Path oidcRoleMap;

    @Option(names = "--peer-secret-file", paramLabel = "FILE",
            description = "The secret (first line, at least 32 bytes) all instances of one platform share to sign "
                    + "forwarded timeline queries; default: " + PEER_SECRET_ENV + ", else <data-dir>/" + PEER_SECRET_FILE
                    + ", made on first start (instances of one platform must share it)")
    Path peerSecretFile;

    @Option(names = "--allowed-host", paramLabel = "NAME",
            description = "Another host name callers use to reach this platform (Host header), e.g. a load balancer's;"
                    + " repeatable. Loopback, this machine's names, --advertised-http-host and IP addresses always are.")
    List<String> allowedHosts = new ArrayList<>();

    @Option(names = "--allowed-origin", paramLabel = "ORIGIN",
            description = "A web origin (https://host[:port]) besides the platform's own whose pages may change state "
                    + "here; repeatable")
    List<String> allowedOrigins = new ArrayList<>();

    private String summary = "";

    /** Where the token is (or that nobody is verified), for the list of addresses {@code up} prints. */
    String summary() {
        return summary;
    }

    /** The API's bearer token (a secret): {@value ApiAccess#TOKEN_ENV} as before, or the file or --set. */
    public static final org.caretrail.events.settings.Setting<String> API_TOKEN = org.caretrail.events.settings.Setting
            .text("access.api-token", "", "The HTTP API's bearer token (at least 32 characters); empty: "
                    + "--api-token-file, else one made on first start under the data directory.")
            .alsoFromEnv(ApiAccess.TOKEN_ENV).secret();
    /** The secret the instances sign forwarded queries with. */
    public static final org.caretrail.events.settings.Setting<String> PEER_SECRET = org.caretrail.events.settings.Setting
            .text("access.peer-secret", "", "The secret CareTrail instances sign timeline queries they forward to "
                    + "each other with (at least 32 bytes, the same on every instance); empty: --peer-secret-file, "
                    + "else one made on first start.")
            .alsoFromEnv(PEER_SECRET_ENV).secret();
    /** The access settings, in the order {@code caretrail config} lists them. */
    public static final java.util.List<org.caretrail.events.settings.Setting<?>> DEFINITIONS = java.util.List.of(
            API_TOKEN, PEER_SECRET);

    /** The access settings these options describe, telling {@code console} where the token is. */
    ApiAccess build(Path dataDir, PrintStream console) throws IOException {
        return build(dataDir, console, org.caretrail.events.settings.Settings.resolve(DEFINITIONS,
                java.util.Map.of(), System.getenv(), new java.util.Properties(), null));
    }

    /**
     * The access settings these options describe, with the token and peer secret from {@code settings} (the file,
     * the environment or --set), telling {@code console} where the token is.
     */
    ApiAccess build(Path dataDir, PrintStream console, org.caretrail.events.settings.Settings settings)
            throws IOException {
        Set<Role> roles = RoleMapping.parseRoles(staticTokenRoles);
        ApiAccess access;
        if (noAuth) {
            if (oidcIssuer != null || apiTokenFile != null) {
                throw new IllegalArgumentException("--no-auth verifies nobody: it cannot be combined with "
                        + "--oidc-issuer or --api-token-file");
            }
            console.println();
            console.println("  !!! WARNING: --no-auth: the HTTP APIs verify NOBODY. Every program on this machine, and any");
            console.println("  !!! user of it, can read every timeline and publish events, as " + roles + ".");
            console.println("  !!! Loopback only; never with real patient data. Web pages still cannot post here.");
            console.println();
            access = ApiAccess.unverified(roles);
            summary = "none: --no-auth (loopback only)";
        } else {
            StaticToken token;
            String env = settings.get(API_TOKEN);
            String envOrigin = settings.source(API_TOKEN) == org.caretrail.events.settings.SettingSource.ENV
                    ? settings.origin(API_TOKEN) : "setting access.api-token (" + settings.origin(API_TOKEN) + ")";
            if (apiTokenFile != null) {
                token = StaticToken.read(apiTokenFile, roles);
                console.println("  API token: from " + apiTokenFile.toAbsolutePath());
                summary = "in " + apiTokenFile.toAbsolutePath();
            } else if (env != null && !env.isBlank()) {
                token = StaticToken.of(env, roles);
                console.println("  API token: from " + envOrigin);
                summary = "from " + envOrigin;
            } else {
                Path file = dataDir.resolve(TOKEN_FILE);
                token = StaticToken.loadOrCreate(file, roles);
                // the token itself is not printed: consoles are logged, shared and screen-shared
                console.println("  API token: in " + file.toAbsolutePath() + " (readable by you only); send it as "
                        + "Authorization: Bearer <token>, or paste it when the web view asks");
                summary = "in " + file.toAbsolutePath() + " (readable by you only)";
            }
            access = ApiAccess.with(token);
            if (oidcIssuer != null) {
                RoleMapping mapping = oidcRoleMap == null ? RoleMapping.byName(oidcRolesClaim)
                        : RoleMapping.fromFile(oidcRolesClaim, oidcRoleMap);
                access = access.withOidc(OidcTokens.of(oidcIssuer, oidcAudience, oidcJwksUri, mapping));
                console.println("  OpenID Connect: tokens of " + oidcIssuer + " for audience " + oidcAudience
                        + ", roles from " + oidcRolesClaim);
            }
        }
        String peerEnv = settings.get(PEER_SECRET);
        PeerCredential peers = peerSecretFile != null ? PeerCredential.read(peerSecretFile)
                : peerEnv != null && !peerEnv.isBlank() ? PeerCredential.of(peerEnv)
                : PeerCredential.loadOrCreate(dataDir.resolve(PEER_SECRET_FILE));
        return access.withPeers(peers).answeringTo(allowedHosts).allowingOrigins(allowedOrigins);
    }
}
