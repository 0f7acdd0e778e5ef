package org.caretrail.producers.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.caretrail.producers.fhir.FhirResources.T0;

import org.caretrail.events.CareEvents;
import org.caretrail.events.model.Sensitivity;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.junit.jupiter.api.Test;

/**
 * RESTRICTED set by the source: FHIR meta.security with the HL7 v3 Confidentiality codes
 * (http://terminology.hl7.org/CodeSystem/v3-Confidentiality): R restricted and V very restricted are
 * RESTRICTED; U unrestricted, L low, M moderate and N normal are NORMAL.
 */
class FhirSensitivityTest {

    private final FhirMapper mapper = new FhirMapper(FhirSettings.defaults());

    private Sensitivity sensitivityOf(Resource r, Bundle bundle) {
        return CareEvents.header(mapper.map(r, FhirMapper.Resolver.of(bundle), T0, r.fhirType()).get(0))
                .getSensitivity();
    }

    private static ServiceRequest labelled(String code) {
        ServiceRequest s = FhirResources.referral("REF-" + code);
        s.getMeta().addSecurity(FhirCodes.CONFIDENTIALITY, code, null);
        return s;
    }

    @Test
    void r_and_v_are_restricted_and_u_l_m_n_are_normal() {
        assertThat(sensitivityOf(labelled("R"), null)).isEqualTo(Sensitivity.RESTRICTED);
        assertThat(sensitivityOf(labelled("V"), null)).isEqualTo(Sensitivity.RESTRICTED);
        for (String normal : new String[] {"U", "L", "M", "N"}) {
            assertThat(sensitivityOf(labelled(normal), null)).as(normal).isEqualTo(Sensitivity.NORMAL);
        }
        assertThat(sensitivityOf(FhirResources.referral("REF-NONE"), null)).isEqualTo(Sensitivity.NORMAL);
    }

    @Test
    void a_restricted_label_among_others_wins_and_labels_of_other_systems_change_nothing() {
        ServiceRequest s = labelled("N");
        s.getMeta().addSecurity("http://terminology.hl7.org/CodeSystem/v3-ActReason", "HTEST", "test health data");
        assertThat(sensitivityOf(s, null)).isEqualTo(Sensitivity.NORMAL);
        s.getMeta().addSecurity(FhirCodes.CONFIDENTIALITY, "V", null);
        assertThat(sensitivityOf(s, null)).isEqualTo(Sensitivity.RESTRICTED);
    }

    @Test
    void a_bundle_labelled_restricted_makes_every_entry_restricted() {
        Bundle bundle = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        bundle.getMeta().addSecurity(FhirCodes.CONFIDENTIALITY, "R", null);
        ServiceRequest s = FhirResources.referral("REF-IN-BUNDLE");
        bundle.addEntry().setResource(s);
        assertThat(sensitivityOf(s, bundle)).isEqualTo(Sensitivity.RESTRICTED);
    }

    @Test
    void an_unknown_confidentiality_code_is_refused_rather_than_read_as_normal() {
        assertThatThrownBy(() -> sensitivityOf(labelled("r"), null))
                .isInstanceOfSatisfying(FhirProblem.class, p -> {
                    assertThat(p.status()).isEqualTo(422);
                    assertThat(p.issues().get(0).expression()).isEqualTo("ServiceRequest.meta.security[0].code");
                    assertThat(p.issues().get(0).message()).contains("'r'").contains("R, V (restricted)");
                });
    }
}
