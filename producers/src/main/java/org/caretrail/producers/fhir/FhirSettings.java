package org.caretrail.producers.fhir;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.caretrail.events.OdsCode;
import org.caretrail.events.model.ProviderKind;

/**
 * Settings of the FHIR R4 gateway, each with its default.
 *
 * <ul>
 *   <li>{@code defaultOdsCode}: the organisation when a resource names none with an ODS identifier
 *       (Encounter.serviceProvider, ServiceRequest/MedicationRequest.requester, an Organization
 *       participant of an Appointment, Patient.managingOrganization); empty means such resources
 *       are refused with 422.</li>
 *   <li>{@code organisationName}, {@code providerKind} (default ACUTE): the event source.</li>
 *   <li>{@code maxBodyBytes} (default 4 MiB): larger requests get 413.</li>
 *   <li>{@code publishTimeout} (default 30 s): how long to wait for Kafka before answering 503.</li>
 * </ul>
 */
public record FhirSettings(Optional<OdsCode> defaultOdsCode, String organisationName, ProviderKind providerKind,
                           int maxBodyBytes, Duration publishTimeout) {

    public FhirSettings {
        Objects.requireNonNull(defaultOdsCode, "defaultOdsCode");
        Objects.requireNonNull(providerKind, "providerKind");
        Objects.requireNonNull(publishTimeout, "publishTimeout");
        if (maxBodyBytes < 1024) {
            throw new IllegalArgumentException("maxBodyBytes must be at least 1024, got " + maxBodyBytes);
        }
    }

    public static FhirSettings defaults() {
        return new FhirSettings(Optional.empty(), null, ProviderKind.ACUTE, 4 << 20, Duration.ofSeconds(30));
    }

    public FhirSettings withOrganisation(String odsCode, String name) {
        return new FhirSettings(Optional.of(new OdsCode(odsCode)), name, providerKind, maxBodyBytes, publishTimeout);
    }

    public FhirSettings withProviderKind(ProviderKind kind) {
        return new FhirSettings(defaultOdsCode, organisationName, kind, maxBodyBytes, publishTimeout);
    }

    public FhirSettings withPublishTimeout(Duration timeout) {
        return new FhirSettings(defaultOdsCode, organisationName, providerKind, maxBodyBytes, timeout);
    }
}
