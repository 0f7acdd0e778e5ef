package org.caretrail.deploy.security;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.caretrail.events.access.Role;

/**
 * From the role values an identity provider puts in a token to CareTrail's {@link Role}s.
 *
 * <p>Where the values are found is a claim path: dot-separated names, stepping into every element of a
 * list on the way, e.g. Keycloak's realm roles {@code realm_access.roles}, its client roles
 * {@code resource_access.caretrail.roles}, a flat {@code roles} claim, or NHS CIS2's
 * {@code nhsid_nrbac_roles.role_code}. A string value that holds several values separated by spaces
 * (as {@code scope} does) counts as each; a CIS2 role code such as {@code S8000:G8000:R8000} counts as
 * itself and as each of its colon-separated parts, so a mapping can name the job role {@code R8000}.
 *
 * <p>Without a mapping file the values are the role names themselves ({@code clinician},
 * {@code restricted_access}, {@code integration_system}, {@code subscriber_admin}, {@code analyst},
 * {@code operator}; case and {@code -}/{@code _} do not matter). With one, only the values it names
 * count: a properties file, {@code value = role[, role...]}, e.g. {@code R8000 = clinician}.
 */
public final class RoleMapping {

    private final List<String> claimPath;
    private final Map<String, Set<Role>> mapping;

    private RoleMapping(String claimPath, Map<String, Set<Role>> mapping) {
        if (claimPath == null || claimPath.isBlank()) {
            throw new IllegalArgumentException("the roles claim must name a claim, e.g. realm_access.roles");
        }
        this.claimPath = List.of(claimPath.strip().split("\\."));
        this.mapping = mapping;
    }

    /** Role names as values. */
    public static RoleMapping byName(String claimPath) {
        return new RoleMapping(claimPath, null);
    }

    public static RoleMapping of(String claimPath, Map<String, Set<Role>> mapping) {
        return new RoleMapping(claimPath, Map.copyOf(mapping));
    }

    /** The mapping in a properties file ({@code value = role[, role...]}). */
    public static RoleMapping fromFile(String claimPath, Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(in);
        }
        Map<String, Set<Role>> mapping = new LinkedHashMap<>();
        for (String value : properties.stringPropertyNames()) {
            Set<Role> roles = EnumSet.noneOf(Role.class);
            for (String name : properties.getProperty(value).split(",")) {
                if (!name.isBlank()) {
                    roles.add(role(name).orElseThrow(() -> new IllegalArgumentException(file + ": '" + name.strip()
                            + "' (for " + value + ") is not a CareTrail role; use one of " + names())));
                }
            }
            mapping.put(value, roles);
        }
        return of(claimPath, mapping);
    }

    /** The roles the claims give. */
    public Set<Role> roles(Map<String, Object> claims) {
        Set<Role> roles = EnumSet.noneOf(Role.class);
        for (String value : values(claims)) {
            if (mapping == null) {
                role(value).ifPresent(roles::add);
            } else {
                Set<Role> mapped = mapping.get(value);
                if (mapped != null) {
                    roles.addAll(mapped);
                }
                if (value.contains(":")) {
                    for (String part : value.split(":")) {
                        roles.addAll(mapping.getOrDefault(part, Set.of()));
                    }
                }
            }
        }
        return roles;
    }

    /** The string values at the claim path. */
    List<String> values(Map<String, Object> claims) {
        List<Object> level = List.of(claims);
        for (String name : claimPath) {
            List<Object> next = new java.util.ArrayList<>();
            for (Object node : level) {
                if (node instanceof Map<?, ?> map && map.get(name) != null) {
                    flatten(map.get(name), next);
                }
            }
            level = next;
        }
        List<String> values = new java.util.ArrayList<>();
        for (Object node : level) {
            if (node instanceof String s) {
                for (String v : s.strip().split("\\s+")) {
                    if (!v.isEmpty()) {
                        values.add(v);
                    }
                }
            }
        }
        return values;
    }

    private static void flatten(Object value, List<Object> into) {
        if (value instanceof Collection<?> list) {
            list.forEach(v -> flatten(v, into));
        } else {
            into.add(value);
        }
    }

    static java.util.Optional<Role> role(String name) {
        String n = name.strip().toUpperCase(Locale.ROOT).replace('-', '_');
        for (Role r : Role.values()) {
            if (r.name().equals(n)) {
                return java.util.Optional.of(r);
            }
        }
        return java.util.Optional.empty();
    }

    /** Parses a comma-separated list of role names ({@code clinician,operator}). */
    public static Set<Role> parseRoles(String list) {
        Set<Role> roles = EnumSet.noneOf(Role.class);
        for (String name : list.split(",")) {
            if (!name.isBlank()) {
                roles.add(role(name).orElseThrow(() -> new IllegalArgumentException("'" + name.strip()
                        + "' is not a CareTrail role; use one of " + names())));
            }
        }
        return roles;
    }

    private static String names() {
        StringBuilder s = new StringBuilder();
        for (Role r : Role.values()) {
            s.append(s.length() == 0 ? "" : ", ").append(r.name().toLowerCase(Locale.ROOT));
        }
        return s.toString();
    }
}
