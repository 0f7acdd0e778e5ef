package org.caretrail.producers.fhir;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.caretrail.events.OdsCode;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.settings.Setting;
import org.caretrail.events.settings.Settings;

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
 *
 * <p>Each is also a {@link Setting} ({@link #DEFINITIONS}, named {@code fhir.*}) read from the config file,
 * the environment or the command line; {@link #from(Settings)} builds the record.
 */
public record FhirSettings(Optional<OdsCode> defaultOdsCode, String organisationName, ProviderKind providerKind,
                           int maxBodyBytes, int maxBundleEntries, int maxRequestsInFlight, long maxBufferedBytes,
                           Duration publishTimeout) {

    public static final int DEFAULT_MAX_BODY_BYTES = 1 << 20;
    public static final int DEFAULT_MAX_BUNDLE_ENTRIES = 100;
    public static final int DEFAULT_MAX_REQUESTS_IN_FLIGHT = 32;
    public static final long DEFAULT_MAX_BUFFERED_BYTES = 2L << 20;
    public static final Duration DEFAULT_PUBLISH_TIMEOUT = Duration.ofSeconds(8);

    public static final Setting<String> DEFAULT_ODS_CODE = Setting.text("fhir.default-ods-code", "",
            "The organisation (ODS code) of a resource that names none with an ODS identifier; empty: such "
                    + "resources are answered 422.")
            .checkedBy(v -> v.isEmpty() ? null : OdsCode.problem(v));
    public static final Setting<String> ORGANISATION_NAME = Setting.text("fhir.organisation-name", "",
            "The name of fhir.default-ods-code's organisation, carried in the events' source.");
    public static final Setting<String> PROVIDER_KIND = Setting.text("fhir.provider-kind", ProviderKind.ACUTE.name(),
            "The kind of care the FHIR gateway's senders give (the events' source).")
            .oneOf(Arrays.stream(ProviderKind.values()).map(Enum::name).toList());
    public static final Setting<Integer> MAX_BODY_BYTES = Setting.integer("fhir.max-body-bytes",
            DEFAULT_MAX_BODY_BYTES, "Bytes of one request body; more is answered 413 and nothing is published.")
            .between(1024, 256L << 20);
    public static final Setting<Integer> MAX_BUNDLE_ENTRIES = Setting.integer("fhir.max-bundle-entries",
            DEFAULT_MAX_BUNDLE_ENTRIES, "Entries of one Bundle; more is answered 413 and nothing is published.")
            .between(1, 100_000);
    public static final Setting<Integer> MAX_REQUESTS_IN_FLIGHT = Setting.integer("fhir.max-requests-in-flight",
            DEFAULT_MAX_REQUESTS_IN_FLIGHT, "Write requests handled at once; more are answered 503 with Retry-After.")
            .between(1, 10_000);
    public static final Setting<Long> MAX_BUFFERED_BYTES = Setting.longInteger("fhir.max-buffered-bytes",
            DEFAULT_MAX_BUFFERED_BYTES, "Request body bytes held at once, all requests together (at least "
                    + "fhir.max-body-bytes); more is answered 503 with Retry-After.").between(1024, 16L << 30);
    public static final Setting<Duration> PUBLISH_TIMEOUT = Setting.duration("fhir.publish-timeout",
            DEFAULT_PUBLISH_TIMEOUT, "How long a request waits for Kafka's acknowledgement before it is answered 503.")
            .checkedBy(d -> d.isNegative() || d.isZero() ? "must be positive" : null);

    /** Every FHIR gateway setting, in the order {@code caretrail config} and the README list them. */
    public static final List<Setting<?>> DEFINITIONS = List.of(DEFAULT_ODS_CODE, ORGANISATION_NAME, PROVIDER_KIND,
            MAX_BODY_BYTES, MAX_BUNDLE_ENTRIES, MAX_REQUESTS_IN_FLIGHT, MAX_BUFFERED_BYTES, PUBLISH_TIMEOUT);

    /** The gateway's settings resolved from the file, the environment and the command line. */
    public static FhirSettings from(Settings s) {
        String ods = s.get(DEFAULT_ODS_CODE);
        String name = s.get(ORGANISATION_NAME);
        if (s.get(MAX_BUFFERED_BYTES) < s.get(MAX_BODY_BYTES)) {
            throw new IllegalArgumentException("setting " + MAX_BUFFERED_BYTES.name() + " = '" + s.get(MAX_BUFFERED_BYTES)
                    + "' (" + s.origin(MAX_BUFFERED_BYTES) + ") must be at least " + MAX_BODY_BYTES.name() + " = '"
                    + s.get(MAX_BODY_BYTES) + "' (" + s.origin(MAX_BODY_BYTES) + "), or a request of the largest size "
                    + "could never be taken");
        }
        return new FhirSettings(ods.isEmpty() ? Optional.empty() : Optional.of(new OdsCode(ods)),
                name.isEmpty() ? null : name, ProviderKind.valueOf(s.get(PROVIDER_KIND)), s.get(MAX_BODY_BYTES),
                s.get(MAX_BUNDLE_ENTRIES), s.get(MAX_REQUESTS_IN_FLIGHT), s.get(MAX_BUFFERED_BYTES),
                s.get(PUBLISH_TIMEOUT));
    }

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
