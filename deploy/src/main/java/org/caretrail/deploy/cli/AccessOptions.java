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
import org.caretrail.events.settings.Setting;
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
            description = "What the static token (and --no-auth) may do (setting access.static-token-roles; default: "
                    + DEFAULT_ROLES + "); add restricted_access to see RESTRICTED entries")
    String staticTokenRoles;

    @Option(names = "--no-auth",
            description = "Verify nobody: anyone who can connect to this machine's loopback gets the static token's "
                    + "roles. Loopback only; for a throw-away demo, never with real data.")
    boolean noAuth;

    @Option(names = "--oidc-issuer", paramLabel = "URL",
            description = "Also accept OpenID Connect access tokens from this issuer (e.g. a Keycloak realm, NHS CIS2); "
                    + "setting access.oidc-issuer")
    String oidcIssuer;

    @Option(names = "--oidc-audience", paramLabel = "AUD",
            description = "The audience (aud) the issuer's tokens must name for this platform; setting access.oidc-audience")
    String oidcAudience;

    @Option(names = "--oidc-jwks-uri", paramLabel = "URL",
            description = "The issuer's keys (default: the jwks_uri of its discovery document); setting access.oidc-jwks-uri")
    URI oidcJwksUri;

    @Option(names = "--oidc-roles-claim", paramLabel = "PATH",
            description = "Where the token's role values are (setting access.oidc-roles-claim; default: "
                    + DEFAULT_ROLES_CLAIM + ", Keycloak's realm roles; e.g. roles, resource_access.caretrail.roles, "
                    + "nhsid_nrbac_roles.role_code)")
    String oidcRolesClaim;

    @Option(names = "--oidc-role-map", paramLabel = "FILE",
            description = "Properties file: token role value = CareTrail role[,role...] (e.g. R8000 = clinician); "
                    + "default: values are CareTrail role names; setting access.oidc-role-map")
    Path oidcRoleMap;

    @Option(names = "--peer-secret-file", paramLabel = "FILE",
            description = "The secret (first line, at least 32 bytes) all instances of one platform share to sign "
                    + "forwarded timeline queries; default: " + PEER_SECRET_ENV + ", else <data-dir>/" + PEER_SECRET_FILE
                    + ", made on first start (instances of one platform must share it)")
    Path peerSecretFile;

    @Option(names = "--allowed-host", paramLabel = "NAME",
            description = "Another host name callers use to reach this platform (Host header), e.g. a load balancer's;"
                    + " repeatable (setting access.allowed-hosts). Loopback, this machine's names, --advertised-http-host "
                    + "and IP addresses always are.")
    List<String> allowedHosts = new ArrayList<>();

    @Option(names = "--allowed-origin", paramLabel = "ORIGIN",
            description = "A web origin (https://host[:port]) besides the platform's own whose pages may change state "
                    + "here; repeatable (setting access.allowed-origins)")
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
    static final String DEFAULT_ROLES = "clinician,integration_system,subscriber_admin,operator";
    static final String DEFAULT_ROLES_CLAIM = "realm_access.roles";

    /** What the static token (and --no-auth) may do. */
    public static final Setting<String> STATIC_TOKEN_ROLES = Setting.text("access.static-token-roles", DEFAULT_ROLES,
            "What the static token (and --no-auth) may do, CareTrail roles separated by commas; add restricted_access "
                    + "to see RESTRICTED entries.")
            .checkedBy(AccessOptions::rolesProblem);
    /** The OpenID Connect issuer whose access tokens are accepted besides the static token. */
    public static final Setting<String> OIDC_ISSUER = Setting.text("access.oidc-issuer", "",
            "Also accept OpenID Connect access tokens from this issuer (e.g. a Keycloak realm, NHS CIS2), an http(s) "
                    + "URL; empty: the static token only.")
            .checkedBy(v -> v.isEmpty() ? null : urlProblem(v));
    public static final Setting<String> OIDC_AUDIENCE = Setting.text("access.oidc-audience", "",
            "The audience (aud) the issuer's tokens must name for this platform (needed with access.oidc-issuer).");
    public static final Setting<String> OIDC_JWKS_URI = Setting.text("access.oidc-jwks-uri", "",
            "The issuer's keys, an http(s) URL; empty: the jwks_uri of its discovery document.")
            .checkedBy(v -> v.isEmpty() ? null : urlProblem(v));
    public static final Setting<String> OIDC_ROLES_CLAIM = Setting.text("access.oidc-roles-claim", DEFAULT_ROLES_CLAIM,
            "Where the token's role values are (Keycloak's realm roles by default; e.g. roles, "
                    + "resource_access.caretrail.roles, nhsid_nrbac_roles.role_code).")
            .checkedBy(v -> v.isBlank() ? "must name a claim" : null);
    public static final Setting<Path> OIDC_ROLE_MAP = Setting.path("access.oidc-role-map", null,
            "Properties file: token role value = CareTrail role[,role...] (e.g. R8000 = clinician); empty: the values "
                    + "are CareTrail role names.");
    public static final Setting<String> ALLOWED_HOSTS = Setting.text("access.allowed-hosts", "",
            "Other host names callers use to reach this platform (Host header), e.g. a load balancer's, separated by "
                    + "commas; loopback, this machine's names, up.advertised-http-host and IP addresses always are.");
    public static final Setting<String> ALLOWED_ORIGINS = Setting.text("access.allowed-origins", "",
            "Web origins (https://host[:port]) besides the platform's own whose pages may change state here, "
                    + "separated by commas.")
            .checkedBy(v -> list(v).stream().map(AccessOptions::originProblem).filter(java.util.Objects::nonNull)
                    .findFirst().orElse(null));

    /** The access settings, in the order {@code caretrail config} lists them. */
    public static final java.util.List<org.caretrail.events.settings.Setting<?>> DEFINITIONS = java.util.List.of(
            API_TOKEN, PEER_SECRET, STATIC_TOKEN_ROLES, OIDC_ISSUER, OIDC_AUDIENCE, OIDC_JWKS_URI, OIDC_ROLES_CLAIM,
            OIDC_ROLE_MAP, ALLOWED_HOSTS, ALLOWED_ORIGINS);

    private static String rolesProblem(String value) {
        try {
            return RoleMapping.parseRoles(value).isEmpty() ? "must name at least one role" : null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    private static String urlProblem(String value) {
        try {
            URI uri = URI.create(value);
            return ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null
                    ? null : "must be an http(s) URL with a host";
        } catch (IllegalArgumentException e) {
            return "must be an http(s) URL with a host";
        }
    }

    private static String originProblem(String origin) {
        String p = urlProblem(origin);
        return p != null ? "'" + origin + "' " + p : URI.create(origin).getPath().isEmpty() ? null
                : "'" + origin + "' is an origin: scheme, host and port only, no path";
    }

    private static List<String> list(String value) {
        return java.util.Arrays.stream(value.split(",")).map(String::strip).filter(v -> !v.isEmpty()).toList();
    }

    /** The option when it was given, else the setting (environment, file or default). */
    private static <T> T optionOr(T option, org.caretrail.events.settings.Settings settings, Setting<T> setting) {
        return option != null ? option : settings.get(setting);
    }

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
        Set<Role> roles = RoleMapping.parseRoles(optionOr(staticTokenRoles, settings, STATIC_TOKEN_ROLES));
        String issuerValue = optionOr(oidcIssuer, settings, OIDC_ISSUER);
        String issuer = issuerValue == null || issuerValue.isBlank() ? null : issuerValue;
        String audience = optionOr(oidcAudience, settings, OIDC_AUDIENCE);
        String jwks = oidcJwksUri != null ? oidcJwksUri.toString() : settings.get(OIDC_JWKS_URI);
        String rolesClaim = optionOr(oidcRolesClaim, settings, OIDC_ROLES_CLAIM);
        Path roleMap = optionOr(oidcRoleMap, settings, OIDC_ROLE_MAP);
        List<String> hosts = !allowedHosts.isEmpty() ? allowedHosts : list(settings.get(ALLOWED_HOSTS));
        List<String> origins = !allowedOrigins.isEmpty() ? allowedOrigins : list(settings.get(ALLOWED_ORIGINS));
        if (issuer != null && (audience == null || audience.isBlank())) {
            throw new IllegalArgumentException("an OpenID Connect issuer (--oidc-issuer, setting access.oidc-issuer) "
                    + "needs the audience its tokens must name (--oidc-audience, setting access.oidc-audience)");
        }
        ApiAccess access;
        if (noAuth) {
            if (issuer != null || apiTokenFile != null) {
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
            if (issuer != null) {
                RoleMapping mapping = roleMap == null ? RoleMapping.byName(rolesClaim)
                        : RoleMapping.fromFile(rolesClaim, roleMap);
                access = access.withOidc(OidcTokens.of(issuer, audience,
                        jwks == null || jwks.isBlank() ? null : URI.create(jwks), mapping));
                console.println("  OpenID Connect: tokens of " + issuer + " for audience " + audience
                        + ", roles from " + rolesClaim);
            }
        }
        String peerEnv = settings.get(PEER_SECRET);
        PeerCredential peers = peerSecretFile != null ? PeerCredential.read(peerSecretFile)
                : peerEnv != null && !peerEnv.isBlank() ? PeerCredential.of(peerEnv)
                : PeerCredential.loadOrCreate(dataDir.resolve(PEER_SECRET_FILE));
        return access.withPeers(peers).answeringTo(hosts).allowingOrigins(origins);
    }
}
