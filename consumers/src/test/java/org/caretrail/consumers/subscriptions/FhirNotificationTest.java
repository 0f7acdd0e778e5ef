package org.caretrail.consumers.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.consumers.subscriptions.Changes.change;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.time.Instant;
import org.caretrail.events.model.ChangeKind;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.TimelineChange;
import org.junit.jupiter.api.Test;

class FhirNotificationTest {

    private static final Subscription SUBSCRIPTION = new Subscription("sub-9", URI.create("https://x.example/fhir"),
            null, null, null, false, false, StartPoint.EARLIEST, "s", Instant.EPOCH, PayloadFormat.FHIR_R4);

    @Test
    void aChangeIsABackportNotificationBundleWithStatusThenFocus() {
        TimelineChange admitted = change("e1:ADDED", EventType.ADMISSION, ChangeKind.ADDED, "RJ1", "A81001",
                Sensitivity.NORMAL);

        JsonNode bundle = FhirNotification.bundle(SUBSCRIPTION, admitted, "0:42");

        assertThat(bundle.get("resourceType").asText()).isEqualTo("Bundle");
        assertThat(bundle.get("type").asText()).isEqualTo("history");
        assertThat(bundle.at("/meta/profile/0").asText()).isEqualTo(FhirNotification.PROFILE);
        assertThat(bundle.get("entry")).hasSize(2);
        JsonNode status = bundle.at("/entry/0/resource");
        assertThat(status.get("resourceType").asText()).isEqualTo("Parameters");
        assertThat(status.at("/parameter/0/valueReference/reference").asText()).isEqualTo("Subscription/sub-9");
        assertThat(status.at("/parameter/3/valueCode").asText()).isEqualTo("event-notification");
        assertThat(status.at("/parameter/4/part/0/valueString").asText()).isEqualTo("0:42");
        String focusRef = status.at("/parameter/4/part/2/valueReference/reference").asText();
        assertThat(bundle.at("/entry/1/fullUrl").asText()).isEqualTo(focusRef).startsWith("urn:uuid:");
        JsonNode encounter = bundle.at("/entry/1/resource");
        assertThat(encounter.get("resourceType").asText()).isEqualTo("Encounter");
        assertThat(encounter.get("status").asText()).isEqualTo("in-progress");
        assertThat(encounter.at("/subject/identifier/system").asText()).isEqualTo(FhirNotification.NHS_NUMBER_SYSTEM);
        assertThat(encounter.at("/subject/identifier/value").asText()).isEqualTo(Changes.PATIENT);
        assertThat(encounter.at("/serviceProvider/identifier/value").asText()).isEqualTo("RJ1");
        assertThat(encounter.at("/period/start").asText()).isEqualTo("2026-11-20T09:15:00Z");
        assertThat(bundle.at("/entry/1/request/method").asText()).isEqualTo("POST");
        assertThat(FhirNotification.bundle(SUBSCRIPTION, admitted, "0:42").get("id"))
                .as("stable bundle id for a delivery").isEqualTo(bundle.get("id"));
    }

    @Test
    void eachEntryTypeMapsToItsResource() {
        assertThat(resourceType(EventType.DISCHARGE)).isEqualTo("Encounter");
        assertThat(resourceType(EventType.ATTENDANCE)).isEqualTo("Encounter");
        assertThat(resourceType(EventType.REFERRAL)).isEqualTo("ServiceRequest");
        assertThat(resourceType(EventType.PRESCRIPTION)).isEqualTo("MedicationRequest");
        assertThat(resourceType(EventType.APPOINTMENT)).isEqualTo("Appointment");
        assertThat(resourceType(EventType.GP_REGISTRATION)).isEqualTo("EpisodeOfCare");
        assertThat(resourceType(EventType.DEATH)).isEqualTo("Patient");
        for (EventType type : EventType.values()) {
            assertThat(resourceType(type)).isNotBlank();
        }
    }

    @Test
    void withdrawnEntriesAreMarkedSo() {
        TimelineChange withdrawn = change("e2:WITHDRAWN", EventType.REFERRAL, ChangeKind.WITHDRAWN, "RJ1", null,
                Sensitivity.NORMAL);
        withdrawn.getEntry().setStatus(EntryStatus.WITHDRAWN);
        JsonNode referral = FhirNotification.bundle(SUBSCRIPTION, withdrawn, "1:1").at("/entry/1");
        assertThat(referral.at("/resource/status").asText()).isEqualTo("revoked");
        assertThat(referral.at("/request/method").asText()).isEqualTo("PUT");
    }

    private static String resourceType(EventType type) {
        return FhirNotification.resource(change("e:" + type, type, ChangeKind.ADDED, "RJ1", null, Sensitivity.NORMAL))
                .get("resourceType").asText();
    }
}
