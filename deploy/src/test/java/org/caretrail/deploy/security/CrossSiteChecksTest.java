package org.caretrail.deploy.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.Headers;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CrossSiteChecksTest {

    private final CrossSiteChecks checks = new CrossSiteChecks(Set.of("localhost", "caretrail-0.caretrail"),
            Set.of("https://ehr.example.nhs.uk"));

    private Optional<CrossSiteChecks.Refusal> check(String method, String path, Map<String, String> headers) {
        Headers h = new Headers();
        headers.forEach(h::add);
        return checks.check(method, path, h);
    }

    @Test
    void hostMustBeOneOfOurNamesOrAnAddress() {
        assertThat(check("GET", "/api/v1/patients/x/timeline", Map.of("Host", "localhost:8080"))).isEmpty();
        assertThat(check("GET", "/x", Map.of("Host", "CareTrail-0.caretrail:8080"))).isEmpty();
        assertThat(check("GET", "/x", Map.of("Host", "10.1.2.3:8080"))).isEmpty();
        assertThat(check("GET", "/x", Map.of("Host", "[::1]:8080"))).isEmpty();
        assertThat(check("GET", "/x", Map.of("Host", "attacker.example:8080"))).get()
                .extracting(CrossSiteChecks.Refusal::status).isEqualTo(403);
        assertThat(check("GET", "/x", Map.of("Host", "localhost.attacker.example"))).isPresent();
        assertThat(check("GET", "/x", Map.of())).as("no Host at all").isPresent();
    }

    @Test
    void stateChangesNeedAJsonBodyAndAnAcceptableOrigin() {
        Map<String, String> json = Map.of("Host", "localhost:8080", "Content-Type", "application/json; charset=utf-8");
        assertThat(check("POST", "/api/v1/subscriptions", json)).isEmpty();
        assertThat(check("POST", "/api/v1/subscriptions", Map.of("Host", "localhost", "Content-Type", "text/plain")))
                .get().extracting(CrossSiteChecks.Refusal::status).isEqualTo(415);
        assertThat(check("POST", "/api/v1/subscriptions", Map.of("Host", "localhost", "Content-Type",
                "application/fhir+json"))).as("FHIR JSON is for the FHIR gateway").isPresent();
        assertThat(check("POST", "/fhir/r4/Encounter", Map.of("Host", "localhost", "Content-Type",
                "application/fhir+json;charset=utf-8"))).isEmpty();
        assertThat(check("POST", "/fhir/r4/Encounter", Map.of("Host", "localhost"))).as("no Content-Type")
                .get().extracting(CrossSiteChecks.Refusal::status).isEqualTo(415);
        assertThat(check("POST", "/api/v1/subscriptions", Map.of("Host", "localhost"))).as("no Content-Type")
                .get().extracting(CrossSiteChecks.Refusal::status).isEqualTo(415);
        assertThat(check("PUT", "/fhir/r4/Encounter/1", Map.of("Host", "localhost", "Content-Type",
                "multipart/form-data; boundary=x"))).get().extracting(CrossSiteChecks.Refusal::status).isEqualTo(415);
        assertThat(check("POST", "/api/v1/subscriptions", Map.of("Host", "localhost:8080", "Content-Type",
                "application/json", "Origin", "http://localhost:8080"))).isEmpty();
        assertThat(check("POST", "/api/v1/subscriptions", Map.of("Host", "localhost:8080", "Content-Type",
                "application/json", "Origin", "http://localhost:9999"))).as("another port is another origin")
                .isPresent();
        assertThat(check("POST", "/api/v1/subscriptions", Map.of("Host", "localhost:8080", "Content-Type",
                "application/json", "Origin", "https://ehr.example.nhs.uk"))).isEmpty();
        assertThat(check("DELETE", "/api/v1/subscriptions/1", Map.of("Host", "localhost:8080",
                "Origin", "https://evil.example"))).get().extracting(CrossSiteChecks.Refusal::status).isEqualTo(403);
        assertThat(check("DELETE", "/api/v1/subscriptions/1", Map.of("Host", "localhost:8080"))).isEmpty();
    }

    @Test
    void refusalsNeverEchoControlCharacters() {
        assertThat(check("POST", "/x", Map.of("Host", "localhost", "Content-Type", "text/plain\u001b[31m")))
                .get().extracting(CrossSiteChecks.Refusal::reason).asString().doesNotContain("\u001b");
    }
}
