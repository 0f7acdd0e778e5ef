package org.caretrail.consumers.subscriptions;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.model.api.TemporalPrecisionEnum;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.TimeZone;
import java.util.UUID;
import org.caretrail.events.model.ChangeKind;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CanonicalType;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.InstantType;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;

/**
 * The notifications of a FHIR Subscription as the R4 Subscriptions Backport IG has them: a {@code Bundle}
 * of type {@code history} whose first entry is the SubscriptionStatus (a {@code Parameters} in R4, profile
 * {@code backport-subscription-status-r4}): the subscription, its topic and status, the notification's
 * type ({@code handshake}, {@code heartbeat}, {@code event-notification}, {@code query-status},
 * {@code query-event}), {@code events-since-subscription-start} and, per event, {@code notification-event}
 * with its {@code event-number}, {@code timestamp} and {@code focus}; then one entry per event's focus: its
 * URL only ({@code id-only}) or the resource too ({@code full-resource}). Pure: builds resources.
 */
public final class FhirNotifications {

    public static final String CONTENT_TYPE = "application/fhir+json";
    public static final String BUNDLE_PROFILE =
            "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-notification-r4";
    public static final String STATUS_PROFILE =
            "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-status-r4";
    private static final TimeZone UTC = TimeZone.getTimeZone("UTC");
    private static final FhirContext FHIR = FhirContext.forR4Cached();

    /** One event of a notification: its number, when it happened, and its focus (reference, and resource if sent). */
    public record Event(long number, Instant at, String reference, Resource resource, ChangeKind kind) {
    }

    private FhirNotifications() {
    }

    /**
     * A notification Bundle.
     *
     * @param type handshake, heartbeat, event-notification, query-event
     * @param status the subscription's status: requested, active, error, off
     * @param error what went wrong lately (for status error), or null
     */
    public static Bundle bundle(Subscription subscription, String base, String type, String status,
            long eventsSinceStart, List<Event> events, String error, Instant at) {
        Bundle bundle = new Bundle().setType(Bundle.BundleType.HISTORY);
        bundle.setId(uuid(subscription.id() + "|" + type + "|" + (events.isEmpty() ? at.toString()
                : events.get(0).number() + "-" + events.get(events.size() - 1).number())));
        bundle.getMeta().addProfile(BUNDLE_PROFILE);
        bundle.setTimestampElement(new InstantType(Date.from(at), TemporalPrecisionEnum.MILLI, UTC));
        Parameters statusResource = status(subscription, base, type, status, eventsSinceStart, events, error);
        Bundle.BundleEntryComponent first = bundle.addEntry().setFullUrl("urn:uuid:" + uuid(bundle.getId() + "|status"))
                .setResource(statusResource);
        first.getRequest().setMethod(Bundle.HTTPVerb.GET).setUrl(base + "/Subscription/" + subscription.id() + "/$status");
        first.getResponse().setStatus("200");
        for (Event event : events) {
            if (event.reference() == null || subscription.fhir().content() == FhirChannel.Content.EMPTY) {
                continue;
            }
            Bundle.BundleEntryComponent entry = bundle.addEntry().setFullUrl(base + "/" + event.reference());
            if (event.resource() != null && subscription.fhir().content() == FhirChannel.Content.FULL_RESOURCE) {
                entry.setResource(event.resource());
            }
            boolean added = event.kind() == ChangeKind.ADDED;
            entry.getRequest().setMethod(added ? Bundle.HTTPVerb.POST : Bundle.HTTPVerb.PUT)
                    .setUrl(added ? event.reference().substring(0, event.reference().indexOf('/')) : event.reference());
            entry.getResponse().setStatus(added ? "201" : "200");
        }
        return bundle;
    }

    /** The SubscriptionStatus ({@code Parameters}) of a notification or of {@code $status}. */
    public static Parameters status(Subscription subscription, String base, String type, String status,
            long eventsSinceStart, List<Event> events, String error) {
        Parameters p = new Parameters();
        p.setId(uuid(subscription.id() + "|" + type + "|" + eventsSinceStart + "|" + events.size()));
        p.getMeta().addProfile(STATUS_PROFILE);
        p.addParameter().setName("subscription").setValue(new Reference(base + "/Subscription/" + subscription.id()));
        p.addParameter().setName("topic").setValue(new CanonicalType(subscription.fhir().topic().url()));
        p.addParameter().setName("status").setValue(new CodeType(status));
        p.addParameter().setName("type").setValue(new CodeType(type));
        p.addParameter().setName("events-since-subscription-start").setValue(new StringType(Long.toString(eventsSinceStart)));
        for (Event event : events) {
            Parameters.ParametersParameterComponent e = p.addParameter().setName("notification-event");
            e.addPart().setName("event-number").setValue(new StringType(Long.toString(event.number())));
            e.addPart().setName("timestamp").setValue(new InstantType(Date.from(event.at()), TemporalPrecisionEnum.MILLI,
                    UTC));
            if (event.reference() != null && subscription.fhir().content() != FhirChannel.Content.EMPTY) {
                e.addPart().setName("focus").setValue(new Reference(base + "/" + event.reference()));
            }
        }
        if (error != null) {
            p.addParameter().setName("error").setValue(new CodeableConcept().addCoding(
                    new org.hl7.fhir.r4.model.Coding("http://terminology.hl7.org/CodeSystem/subscription-error",
                            "no-response", "No Response")).setText(error));
        }
        return p;
    }

    /** The JSON a receiver gets. */
    public static String json(Resource resource) {
        return FHIR.newJsonParser().setPrettyPrint(false).encodeResourceToString(resource);
    }

    private static String uuid(String seed) {
        return UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8)).toString();
    }
}
