package org.caretrail.consumers.subscriptions;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import org.caretrail.events.model.ChangeKind;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.Source;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.model.TimelineEntry;

/**
 * A timeline change as a FHIR R4 notification Bundle, shaped as the Subscriptions R5 Backport IG
 * (R4) has it: {@code Bundle.type = history}, first entry a {@code Parameters} SubscriptionStatus
 * ({@code event-notification}), then the focus resource. Mapping, deliberately small:
 * admissions, transfers, discharges, A&amp;E attendances and ambulance conveyances are an
 * {@code Encounter}; referrals a {@code ServiceRequest}; prescriptions a {@code MedicationRequest};
 * appointments an {@code Appointment}; social care and GP registration an {@code EpisodeOfCare};
 * a death the {@code Patient} with {@code deceasedDateTime}. The patient is referenced by NHS number
 * and organisations by ODS code (the NHS England identifier systems); a withdrawn entry is
 * {@code entered-in-error} (or cancelled/revoked where that is the resource's word).
 */
public final class FhirNotification {

    public static final String CONTENT_TYPE = "application/fhir+json";
    public static final String NHS_NUMBER_SYSTEM = org.caretrail.events.fhir.FhirSystems.NHS_NUMBER;
    public static final String ODS_SYSTEM = org.caretrail.events.fhir.FhirSystems.ODS_ORGANIZATION;
    public static final String ENTRY_SYSTEM = "https://caretrail.org/Id/timeline-entry";
    public static final String TOPIC = "https://caretrail.org/fhir/SubscriptionTopic/timeline-change";
    public static final String PROFILE =
            "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-notification-r4";

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private FhirNotification() {
    }

    public static ObjectNode bundle(Subscription subscription, TimelineChange change, String eventNumber) {
        String deliveryId = WebhookPayload.deliveryId(subscription, change);
        String focusUrl = "urn:uuid:" + uuid("focus|" + change.getEntry().getEntryId() + "|" + change.getChangeId());
        ObjectNode bundle = NODES.objectNode();
        bundle.put("resourceType", "Bundle");
        bundle.put("id", uuid(deliveryId));
        bundle.putObject("meta").putArray("profile").add(PROFILE);
        bundle.put("type", "history");
        bundle.put("timestamp", change.getChangedAt().toString());
        ArrayNode entries = bundle.putArray("entry");

        ObjectNode status = entries.addObject();
        status.put("fullUrl", "urn:uuid:" + uuid("status|" + deliveryId));
        ObjectNode parameters = status.putObject("resource");
        parameters.put("resourceType", "Parameters");
        ArrayNode params = parameters.putArray("parameter");
        params.addObject().put("name", "subscription").putObject("valueReference")
                .put("reference", "Subscription/" + subscription.id());
        params.addObject().put("name", "topic").put("valueCanonical", TOPIC);
        params.addObject().put("name", "status").put("valueCode", "active");
        params.addObject().put("name", "type").put("valueCode", "event-notification");
        ObjectNode event = params.addObject().put("name", "notification-event");
        ArrayNode parts = event.putArray("part");
        parts.addObject().put("name", "event-number").put("valueString", eventNumber);
        parts.addObject().put("name", "timestamp").put("valueInstant", change.getChangedAt().toString());
        parts.addObject().put("name", "focus").putObject("valueReference").put("reference", focusUrl);
        status.putObject("request").put("method", "GET").put("url", "Subscription/" + subscription.id() + "/$status");
        status.putObject("response").put("status", "200");

        ObjectNode focus = entries.addObject();
        focus.put("fullUrl", focusUrl);
        ObjectNode resource = resource(change);
        focus.set("resource", resource);
        boolean added = change.getKind() == ChangeKind.ADDED;
        focus.putObject("request").put("method", added ? "POST" : "PUT")
                .put("url", resource.get("resourceType").asText());
        focus.putObject("response").put("status", added ? "201" : "200");
        return bundle;
    }

    static ObjectNode resource(TimelineChange change) {
        TimelineEntry entry = change.getEntry();
        boolean withdrawn = entry.getStatus() == EntryStatus.WITHDRAWN || change.getKind() == ChangeKind.WITHDRAWN;
        Map<String, String> details = entry.getDetails();
        ObjectNode r = NODES.objectNode();
        switch (entry.getType()) {
            case ADMISSION, TRANSFER, DISCHARGE, ATTENDANCE, AMBULANCE_CONVEYANCE -> {
                r.put("resourceType", "Encounter");
                common(r, entry);
                r.put("status", withdrawn ? "entered-in-error" : switch (entry.getType()) {
                    case DISCHARGE -> "finished";
                    case AMBULANCE_CONVEYANCE -> "finished";
                    default -> "in-progress";
                });
                ObjectNode coding = r.putObject("class");
                coding.put("system", "http://terminology.hl7.org/CodeSystem/v3-ActCode");
                switch (entry.getType()) {
                    case ATTENDANCE -> coding.put("code", "EMER").put("display", "emergency");
                    case AMBULANCE_CONVEYANCE -> coding.put("code", "FLD").put("display", "field");
                    default -> coding.put("code", "IMP").put("display", "inpatient encounter");
                }
                r.set("subject", patient(change));
                ObjectNode period = r.putObject("period");
                period.put(entry.getType() == org.caretrail.events.model.EventType.DISCHARGE ? "end" : "start",
                        entry.getOccurredAt().toString());
                r.set("serviceProvider", organisation(entry.getSource()));
            }
            case REFERRAL -> {
                r.put("resourceType", "ServiceRequest");
                common(r, entry);
                r.put("status", withdrawn ? "revoked" : "active");
                r.put("intent", "order");
                r.set("subject", patient(change));
                r.put("authoredOn", entry.getOccurredAt().toString());
                r.set("requester", organisation(entry.getSource()));
            }
            case PRESCRIPTION -> {
                r.put("resourceType", "MedicationRequest");
                common(r, entry);
                r.put("status", withdrawn ? "cancelled" : "active");
                r.put("intent", "order");
                r.putObject("medicationCodeableConcept").put("text",
                        details.getOrDefault("medication", entry.getSummary()));
                r.set("subject", patient(change));
                r.put("authoredOn", entry.getOccurredAt().toString());
                r.set("requester", organisation(entry.getSource()));
            }
            case APPOINTMENT -> {
                r.put("resourceType", "Appointment");
                common(r, entry);
                r.put("status", withdrawn ? "cancelled" : "booked");
                r.put("start", details.getOrDefault("startsAt", entry.getOccurredAt().toString()));
                ArrayNode participants = r.putArray("participant");
                ObjectNode who = participants.addObject();
                who.set("actor", patient(change));
                who.put("status", "accepted");
                ObjectNode where = participants.addObject();
                where.set("actor", organisation(entry.getSource()));
                where.put("status", "accepted");
            }
            case SOCIAL_CARE, GP_REGISTRATION -> {
                r.put("resourceType", "EpisodeOfCare");
                common(r, entry);
                r.put("status", withdrawn ? "entered-in-error" : "active");
                r.set("patient", patient(change));
                r.set("managingOrganization", organisation(entry.getSource()));
                r.putObject("period").put("start", entry.getOccurredAt().toString());
            }
            case DEATH -> {
                r.put("resourceType", "Patient");
                r.putArray("identifier").addObject().put("system", NHS_NUMBER_SYSTEM).put("value", change.getNhsNumber());
                if (withdrawn) {
                    r.put("deceasedBoolean", false);
                } else {
                    r.put("deceasedDateTime", entry.getOccurredAt().toString());
                }
            }
            default -> throw new IllegalArgumentException("no FHIR mapping for " + entry.getType());
        }
        return r;
    }

    private static void common(ObjectNode r, TimelineEntry entry) {
        r.putArray("identifier").addObject().put("system", ENTRY_SYSTEM).put("value", entry.getEntryId());
        r.putObject("text").put("status", "generated")
                .put("div", "<div xmlns=\"http://www.w3.org/1999/xhtml\">" + escape(entry.getSummary()) + "</div>");
    }

    private static ObjectNode patient(TimelineChange change) {
        ObjectNode ref = NODES.objectNode();
        ref.putObject("identifier").put("system", NHS_NUMBER_SYSTEM).put("value", change.getNhsNumber());
        return ref;
    }

    private static ObjectNode organisation(Source source) {
        ObjectNode ref = NODES.objectNode();
        ref.putObject("identifier").put("system", ODS_SYSTEM).put("value", source.getOdsCode());
        if (source.getName() != null) {
            ref.put("display", source.getName());
        }
        return ref;
    }

    private static String uuid(String seed) {
        return UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8)).toString();
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
