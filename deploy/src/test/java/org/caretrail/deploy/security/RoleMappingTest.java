package org.caretrail.deploy.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.caretrail.events.access.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoleMappingTest {

    @Test
    void keycloakRealmRolesByName() {
        Map<String, Object> claims = Map.of("realm_access", Map.of("roles",
                List.of("offline_access", "clinician", "Restricted-Access", "default-roles-caretrail")));
        assertThat(RoleMapping.byName("realm_access.roles").roles(claims))
                .containsExactlyInAnyOrder(Role.CLINICIAN, Role.RESTRICTED_ACCESS);
        assertThat(RoleMapping.byName("roles").roles(claims)).isEmpty();
        assertThat(RoleMapping.byName("resource_access.caretrail.roles").roles(Map.of("resource_access",
                Map.of("caretrail", Map.of("roles", List.of("operator")))))).containsExactly(Role.OPERATOR);
        assertThat(RoleMapping.byName("scope").roles(Map.of("scope", "openid analyst profile")))
                .containsExactly(Role.ANALYST);
    }

    @Test
    void cis2RoleCodesThroughAMappingFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("cis2-roles.properties");
        Files.writeString(file, """
                # NHS CIS2 job role codes (National RBAC) to CareTrail roles
                R8000 = clinician
                R8008 = clinician, restricted_access
                """);
        RoleMapping mapping = RoleMapping.fromFile("nhsid_nrbac_roles.role_code", file);
        Map<String, Object> claims = Map.of("nhsid_nrbac_roles", List.of(
                Map.of("role_code", "S8000:G8000:R8000", "org_code", "RX1"),
                Map.of("role_code", "S8001:G8001:R9999", "org_code", "A81001")));
        assertThat(mapping.roles(claims)).containsExactly(Role.CLINICIAN);
        assertThat(mapping.roles(Map.of("nhsid_nrbac_roles", List.of(Map.of("role_code", "S1:G1:R8008")))))
                .containsExactlyInAnyOrder(Role.CLINICIAN, Role.RESTRICTED_ACCESS);
        assertThat(mapping.roles(Map.of("nhsid_nrbac_roles", List.of(Map.of("role_code", "clinician")))))
                .as("with a mapping file, role names alone count for nothing").isEmpty();
        Files.writeString(file, "R8000 = doctor\n");
        assertThatThrownBy(() -> RoleMapping.fromFile("roles", file)).hasMessageContaining("'doctor'")
                .hasMessageContaining("clinician");
    }
}
