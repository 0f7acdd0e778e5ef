package org.caretrail.deploy.security;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.caretrail.events.access.Caller;
import org.caretrail.events.access.Role;

/**
 * Which role may call which path with which method: the one place that says what each role of the
 * platform may reach over HTTP. Deny by default: a path or method no rule names is refused (403)
 * whoever asks, so a handler mounted without a rule here is unreachable rather than open.
 *
 * <ul>
 *   <li>{@code GET /api/v1/patients/{nhs}/timeline}: a clinician (direct care). RESTRICTED entries are
 *       filtered by the timeline API itself, from the caller's {@link Role#RESTRICTED_ACCESS}.
 *   <li>{@code /api/v1/subscriptions} (every method): a subscriber admin. Subscriptions never show a
 *       timeline, so a subscriber admin reads no patient record through this API.
 *   <li>{@code POST /fhir/r4[/...]}: an integration system (a provider's system publishing care events);
 *       {@code GET /fhir/r4/metadata} (the CapabilityStatement) and {@code GET /fhir/r4/Basic} (the
 *       SubscriptionTopics), no patient data: any verified caller; {@code /fhir/r4/Subscription[/...]}
 *       (every method: FHIR subscriptions, {@code $status}, {@code $events}): a subscriber admin, as the
 *       subscriptions API; any other FHIR read (the read API: a patient's timeline as FHIR): a clinician.
 *   <li>{@code GET /api/v1/topics[/...]}: an operator (topics and their state, no patient data), for
 *       whatever serves it.
 * </ul>
 * An analyst has no HTTP path at all (replay is a command on the analysts' side, pseudonymised), and
 * an operator's {@code /health} and {@code /metrics} carry no patient data and are served outside this
 * policy.
 */
public final class AccessPolicy {

    /** One rule: requests whose path starts with {@code prefix} and whose method is one of {@code methods}. */
    record Rule(String prefix, Set<String> methods, Set<Role> anyOf, boolean anyVerifiedCaller) {
        boolean matches(String method, String path) {
            return path.startsWith(prefix) && methods.contains(method);
        }
    }

    private static final Set<String> READS = Set.of("GET", "HEAD");
    private static final Set<String> WRITES = Set.of("POST", "PUT", "PATCH", "DELETE");
    private static final Set<String> ALL = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE");

    private static final List<Rule> RULES = List.of(
            new Rule("/api/v1/patients/", READS, EnumSet.of(Role.CLINICIAN), false),
            new Rule("/api/v1/subscriptions", ALL, EnumSet.of(Role.SUBSCRIBER_ADMIN), false),
            new Rule("/fhir/r4/metadata", READS, Set.of(), true),
            new Rule("/fhir/r4/Basic", READS, Set.of(), true),
            new Rule("/fhir/r4/Subscription", ALL, EnumSet.of(Role.SUBSCRIBER_ADMIN), false),
            new Rule("/fhir/r4", WRITES, EnumSet.of(Role.INTEGRATION_SYSTEM), false),
            new Rule("/fhir/r4", READS, EnumSet.of(Role.CLINICIAN), false),
            new Rule("/api/v1/topics", READS, EnumSet.of(Role.OPERATOR), false));

    private AccessPolicy() {
    }

    /** The roles of which the caller needs one for {@code method path}; empty when no rule allows it at all. */
    static Optional<Rule> ruleFor(String method, String path) {
        String m = method.toUpperCase(Locale.ROOT);
        return RULES.stream().filter(r -> r.matches(m, path)).findFirst();
    }

    /** Whether {@code caller} may call {@code method path} (deny by default). */
    public static boolean allows(Caller caller, String method, String path) {
        if (path.contains("/../") || path.endsWith("/..")) {
            return false; // never let a dot-segment walk from one rule's prefix into another's
        }
        return ruleFor(method, path)
                .map(rule -> rule.anyVerifiedCaller() || rule.anyOf().stream().anyMatch(caller::has))
                .orElse(false);
    }

    /** What {@code method path} needs, for a refusal's message. */
    public static String needs(String method, String path) {
        return ruleFor(method, path)
                .map(rule -> rule.anyVerifiedCaller() ? "a verified caller"
                        : "the role " + rule.anyOf().stream().map(r -> r.name().toLowerCase(Locale.ROOT))
                                .sorted().reduce((a, b) -> a + " or " + b).orElse("?"))
                .orElse("nothing: no role may call " + method + " on this path");
    }
}
