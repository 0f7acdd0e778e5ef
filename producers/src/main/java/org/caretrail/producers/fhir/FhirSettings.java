package org.caretrail.producers.fhir;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.caretrail.events.OdsCode;
import org.caretrail.events.model.ProviderKind;

/**
 * Settings of the FHIR R4 gateway, each with its default and what a sender sees beyond it.
 *
 * <table>
 * <caption>FHIR gateway settings</caption>
 * <tr><th>setting</th><th>default</th><th>beyond it</th></tr>
 * <tr><td>{@code defaultOdsCode}</td><td>none</td><td>the organisation when a resource names none with an
 *     ODS identifier (Encounter.serviceProvider, ServiceRequest/MedicationRequest.requester, an Organization
 *     participant of an Appointment, Patient.managingOrganization); none: such resources get 422</td></tr>
 * <tr><td>{@code organisationName}, {@code providerKind}</td><td>none, ACUTE</td><td>the event source</td></tr>
 * <tr><td>{@code maxBodyBytes}</td><td>{@value #DEFAULT_MAX_BODY_BYTES} (1 MiB)</td><td>413 with an
 *     OperationOutcome naming the limit; nothing is published</td></tr>
 * <tr><td>{@code maxBundleEntries}</td><td>{@value #DEFAULT_MAX_BUNDLE_ENTRIES}</td><td>413 naming the
 *     limit; nothing of the Bundle is published</td></tr>
 * <tr><td>{@code maxRequestsInFlight}</td><td>{@value #DEFAULT_MAX_REQUESTS_IN_FLIGHT}</td><td>503 with
 *     {@code Retry-After} and an OperationOutcome (throttled)</td></tr>
 * <tr><td>{@code maxBufferedBytes}</td><td>{@value #DEFAULT_MAX_BUFFERED_BYTES} (2 MiB)</td><td>request
 *     bodies held at once, all requests together: 503 with {@code Retry-After} (throttled). Parsing takes up
 *     to about 30 times a body's size for a moment (measured for a Bundle of many small elements), so the
 *     default bounds the gateway's working memory to about 60 MB</td></tr>
 * <tr><td>{@code publishTimeout}</td><td>8 s</td><td>how long a request waits for Kafka's acknowledgement,
 *     all its events together, before it is answered 503 (transient) with {@code Retry-After}: below the
 *     10 s a HAPI FHIR client waits by default</td></tr>
 * </table>
 */
public record FhirSettings(Optional<OdsCode> defaultOdsCode, String organisationName, ProviderKind providerKind,
                           int maxBodyBytes, int maxBundleEntries, int maxRequestsInFlight, long maxBufferedBytes,
                           Duration publishTimeout) {

    public static final int DEFAULT_MAX_BODY_BYTES = 1 << 20;
    public static final int DEFAULT_MAX_BUNDLE_ENTRIES = 100;
    public static final int DEFAULT_MAX_REQUESTS_IN_FLIGHT = 32;
    public static final long DEFAULT_MAX_BUFFERED_BYTES = 2L << 20;
    public static final Duration DEFAULT_PUBLISH_TIMEOUT = Duration.ofSeconds(8);

    public FhirSettings {
        Objects.requireNonNull(defaultOdsCode, "defaultOdsCode");
        Objects.requireNonNull(providerKind, "providerKind");
        Objects.requireNonNull(publishTimeout, "publishTimeout");
        if (maxBodyBytes < 1024) {
            throw new IllegalArgumentException("maxBodyBytes must be at least 1024, got " + maxBodyBytes);
        }
        if (maxBundleEntries < 1) {
            throw new IllegalArgumentException("maxBundleEntries must be at least 1, got " + maxBundleEntries);
        }
        if (maxRequestsInFlight < 1) {
            throw new IllegalArgumentException("maxRequestsInFlight must be at least 1, got " + maxRequestsInFlight);
        }
        if (maxBufferedBytes < maxBodyBytes) {
            throw new IllegalArgumentException("maxBufferedBytes (" + maxBufferedBytes + ") must be at least "
                    + "maxBodyBytes (" + maxBodyBytes + "), or a request of the largest size could never be taken");
        }
        if (publishTimeout.isNegative() || publishTimeout.isZero()) {
            throw new IllegalArgumentException("publishTimeout must be positive, got " + publishTimeout);
        }
    }

    public static FhirSettings defaults() {
        return new FhirSettings(Optional.empty(), null, ProviderKind.ACUTE, DEFAULT_MAX_BODY_BYTES,
                DEFAULT_MAX_BUNDLE_ENTRIES, DEFAULT_MAX_REQUESTS_IN_FLIGHT, DEFAULT_MAX_BUFFERED_BYTES,
                DEFAULT_PUBLISH_TIMEOUT);
    }

    public FhirSettings withOrganisation(String odsCode, String name) {
        return new FhirSettings(Optional.of(new OdsCode(odsCode)), name, providerKind, maxBodyBytes, maxBundleEntries,
                maxRequestsInFlight, maxBufferedBytes, publishTimeout);
    }

    public FhirSettings withProviderKind(ProviderKind kind) {
        return new FhirSettings(defaultOdsCode, organisationName, kind, maxBodyBytes, maxBundleEntries,
                maxRequestsInFlight, maxBufferedBytes, publishTimeout);
    }

    public FhirSettings withPublishTimeout(Duration timeout) {
        return new FhirSettings(defaultOdsCode, organisationName, providerKind, maxBodyBytes, maxBundleEntries,
                maxRequestsInFlight, maxBufferedBytes, timeout);
    }

    /** The body and Bundle limits of one request. */
    public FhirSettings withRequestLimits(int maxBodyBytes, int maxBundleEntries) {
        return new FhirSettings(defaultOdsCode, organisationName, providerKind, maxBodyBytes, maxBundleEntries,
                maxRequestsInFlight, Math.max(maxBufferedBytes, maxBodyBytes), publishTimeout);
    }

    /** How much the gateway takes on at once: requests in flight, and request bytes buffered. */
    public FhirSettings withCapacity(int maxRequestsInFlight, long maxBufferedBytes) {
        return new FhirSettings(defaultOdsCode, organisationName, providerKind, maxBodyBytes, maxBundleEntries,
                maxRequestsInFlight, maxBufferedBytes, publishTimeout);
    }
}
