package org.caretrail.deploy.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.junit.jupiter.api.Test;

/** The FHIR requests' resource label: a type the server serves, or "other", never an id. */
class FhirRequestMetricsTest {

    private final FhirRequestMetrics metrics;

    FhirRequestMetricsTest() {
        CapabilityStatement capabilities = new CapabilityStatement();
        CapabilityStatement.CapabilityStatementRestComponent rest = capabilities.addRest();
        rest.addResource().setType("Encounter");
        rest.addResource().setType("Patient");
        metrics = new FhirRequestMetrics(new SimpleMeterRegistry(), capabilities);
    }

    @Test
    void theResourceIsTheFirstSegmentWhenTheServerServesIt() {
        assertThat(metrics.resource("/fhir/r4/Encounter")).isEqualTo("Encounter");
        assertThat(metrics.resource("/fhir/r4/Patient/9990000018")).isEqualTo("Patient");
        assertThat(metrics.resource("/fhir/r4/Patient/9990000018/$everything")).isEqualTo("Patient");
        assertThat(metrics.resource("/fhir/r4/metadata")).isEqualTo("metadata");
        assertThat(metrics.resource("/fhir/r4")).isEqualTo("system");
        assertThat(metrics.resource("/fhir/r4/")).isEqualTo("system");
    }

    @Test
    void anythingElseIsOther() {
        assertThat(metrics.resource("/fhir/r4/9990000018")).isEqualTo("other");
        assertThat(metrics.resource("/fhir/r4/Observation")).isEqualTo("other");
        assertThat(metrics.resource("/fhir/r4Encounter")).isEqualTo("other");
        assertThat(metrics.resource("/elsewhere")).isEqualTo("other");
    }
}
