package org.caretrail.deploy.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.Set;
import org.caretrail.events.access.Caller;
import org.caretrail.events.access.Role;
import org.junit.jupiter.api.Test;

class AccessPolicyTest {

    private static Caller with(Role... roles) {
        return new Caller("someone", null, Caller.Verification.OIDC_TOKEN,
                roles.length == 0 ? Set.of() : EnumSet.of(roles[0], roles));
    }

    @Test
    void onlyAClinicianReadsTimelines() {
        String timeline = "/api/v1/patients/9912003888/timeline";
        assertThat(AccessPolicy.allows(with(Role.CLINICIAN), "GET", timeline)).isTrue();
        for (Role other : EnumSet.complementOf(EnumSet.of(Role.CLINICIAN))) {
            assertThat(AccessPolicy.allows(with(other), "GET", timeline)).as("%s", other).isFalse();
        }
        assertThat(AccessPolicy.allows(with(Role.CLINICIAN), "DELETE", timeline)).isFalse();
    }

    @Test
    void anIntegrationSystemWritesFhirButReadsNothing() {
        Caller system = with(Role.INTEGRATION_SYSTEM);
        assertThat(AccessPolicy.allows(system, "POST", "/fhir/r4/Encounter")).isTrue();
        assertThat(AccessPolicy.allows(system, "POST", "/fhir/r4")).isTrue();
        assertThat(AccessPolicy.allows(system, "GET", "/fhir/r4/metadata")).isTrue();
        assertThat(AccessPolicy.allows(system, "GET", "/fhir/r4/Patient/9912003888")).isFalse();
        assertThat(AccessPolicy.allows(system, "GET", "/api/v1/patients/9912003888/timeline")).isFalse();
        assertThat(AccessPolicy.allows(system, "POST", "/api/v1/subscriptions")).isFalse();
    }

    @Test
    void subscriptionsAreTheSubscriberAdminsAndNothingElseIs() {
        Caller admin = with(Role.SUBSCRIBER_ADMIN);
        for (String method : new String[] {"GET", "POST", "DELETE"}) {
            assertThat(AccessPolicy.allows(admin, method, "/api/v1/subscriptions/abc")).isTrue();
            assertThat(AccessPolicy.allows(with(Role.CLINICIAN, Role.RESTRICTED_ACCESS), method,
                    "/api/v1/subscriptions")).isFalse();
        }
        assertThat(AccessPolicy.allows(admin, "GET", "/api/v1/patients/9912003888/timeline")).isFalse();
    }

    @Test
    void onlyAClinicianReadsTheFhirReadApiAndOnlyASubscriberAdminManagesFhirSubscriptions() {
        for (String read : new String[] {"/fhir/r4/Patient/9912003888", "/fhir/r4/Encounter",
                "/fhir/r4/Patient/9912003888/$everything", "/fhir/r4/MedicationRequest/9912003888-0123"}) {
            assertThat(AccessPolicy.allows(with(Role.CLINICIAN), "GET", read)).as(read).isTrue();
            for (Role other : EnumSet.complementOf(EnumSet.of(Role.CLINICIAN))) {
                assertThat(AccessPolicy.allows(with(other), "GET", read)).as("%s %s", other, read).isFalse();
            }
        }
        Caller admin = with(Role.SUBSCRIBER_ADMIN);
        for (String method : new String[] {"GET", "POST", "DELETE"}) {
            assertThat(AccessPolicy.allows(admin, method, "/fhir/r4/Subscription")).isTrue();
            assertThat(AccessPolicy.allows(with(Role.CLINICIAN), method, "/fhir/r4/Subscription")).isFalse();
            assertThat(AccessPolicy.allows(with(Role.INTEGRATION_SYSTEM), method, "/fhir/r4/Subscription/x"))
                    .isFalse();
        }
        assertThat(AccessPolicy.allows(admin, "GET", "/fhir/r4/Subscription/abc/$events")).isTrue();
        assertThat(AccessPolicy.allows(admin, "GET", "/fhir/r4/Encounter")).isFalse();
        // the topics carry no patient data: any verified caller; but nobody writes them
        assertThat(AccessPolicy.allows(with(), "GET", "/fhir/r4/Basic")).isTrue();
        assertThat(AccessPolicy.allows(with(Role.CLINICIAN), "POST", "/fhir/r4/Basic")).isFalse();
    }

    @Test
    void denyByDefaultAndNoDotSegmentWalks() {
        Caller everything = with(Role.values());
        assertThat(AccessPolicy.allows(everything, "GET", "/api/v1/replay")).isFalse();
        assertThat(AccessPolicy.allows(everything, "TRACE", "/api/v1/patients/9912003888/timeline")).isFalse();
        assertThat(AccessPolicy.allows(with(Role.SUBSCRIBER_ADMIN), "GET",
                "/api/v1/subscriptions/../patients/9912003888/timeline")).isFalse();
        assertThat(AccessPolicy.allows(with(Role.ANALYST), "GET", "/api/v1/patients/9912003888/timeline")).isFalse();
        assertThat(AccessPolicy.allows(with(), "GET", "/fhir/r4/metadata")).isTrue();
        assertThat(AccessPolicy.allows(with(Role.OPERATOR), "GET", "/api/v1/topics")).isTrue();
        assertThat(AccessPolicy.allows(with(Role.OPERATOR), "GET", "/api/v1/patients/9912003888/timeline")).isFalse();
        assertThat(AccessPolicy.allows(with(Role.CLINICIAN), "GET", "/api/v1/topics")).isFalse();
    }
}
