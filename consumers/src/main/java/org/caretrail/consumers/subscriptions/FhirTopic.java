package org.caretrail.consumers.subscriptions;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import org.caretrail.events.fhir.FhirSystems;
import org.caretrail.events.model.EventType;
import org.hl7.fhir.r4.model.Basic;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.MarkdownType;
import org.hl7.fhir.r4.model.Narrative;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.UriType;

/**
 * The SubscriptionTopics CareTrail publishes (R4 Subscriptions Backport IG, topic-based subscriptions):
 * what a FHIR Subscription's {@code criteria} names, each a canonical URL CareTrail owns, and the
 * timeline entries whose changes (added, updated, withdrawn) it reports. R4 has no SubscriptionTopic
 * resource: each is served as a {@code Basic} resource carrying R5's SubscriptionTopic elements as
 * cross-version extensions ({@code GET /fhir/r4/Basic?code=SubscriptionTopic}), and listed in the
 * CapabilityStatement with the IG's {@code capabilitystatement-subscriptiontopic-canonical} extension.
 *
 * <p>Filters every topic takes ({@code Subscription.criteria} extension {@code backport-filter-criteria}):
 * {@code patient} (one patient, by NHS number) and {@code general-practitioner} (the patient's registered
 * GP practice when the change was made, by ODS code).
 */
public enum FhirTopic {
    ADMISSION("admission", "Admission", "A hospital admission was recorded, corrected or cancelled "
            + "(the Encounter of the spell)", "Encounter", EnumSet.of(EventType.ADMISSION)),
    DISCHARGE("discharge", "Discharge", "A discharge from hospital was recorded, corrected or cancelled "
            + "(the Encounter of the spell)", "Encounter", EnumSet.of(EventType.DISCHARGE)),
    DEATH("death", "Death", "A death was recorded or withdrawn (the Patient, deceasedDateTime)", "Patient",
            EnumSet.of(EventType.DEATH)),
    REFERRAL("referral", "Referral", "A referral was made, changed or withdrawn (the ServiceRequest)",
            "ServiceRequest", EnumSet.of(EventType.REFERRAL)),
    TIMELINE_CHANGE("timeline-change", "Any timeline change", "Any entry of a patient's timeline was added, "
            + "updated or withdrawn (the resource of the FHIR read API it belongs to)", "Resource",
            EnumSet.allOf(EventType.class));

    /** The cross-version extensions that carry R5 SubscriptionTopic elements on an R4 Basic. */
    static final String XVER = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.";
    /** The IG's extension listing a topic's canonical URL in a CapabilityStatement. */
    public static final String CAPABILITY_EXTENSION =
            "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/capabilitystatement-subscriptiontopic-canonical";
    /** The filters every topic takes. */
    public static final Set<String> FILTERS = Set.of("patient", "general-practitioner");

    private final String code;
    private final String title;
    private final String description;
    private final String resource;
    private final Set<EventType> eventTypes;

    FhirTopic(String code, String title, String description, String resource, Set<EventType> eventTypes) {
        this.code = code;
        this.title = title;
        this.description = description;
        this.resource = resource;
        this.eventTypes = eventTypes;
    }

    /** Its canonical URL, e.g. {@code https://caretrail.example/SubscriptionTopic/admission}. */
    public String url() {
        return FhirSystems.CARETRAIL + "/SubscriptionTopic/" + code;
    }

    public String code() {
        return code;
    }

    public String title() {
        return title;
    }

    /** The timeline entry types whose changes it reports (what the subscription's filter keeps). */
    public Set<EventType> eventTypes() {
        return eventTypes;
    }

    public static Optional<FhirTopic> byUrl(String url) {
        return Arrays.stream(values()).filter(t -> t.url().equals(url)).findFirst();
    }

    public static Optional<FhirTopic> byCode(String code) {
        return Arrays.stream(values()).filter(t -> t.code.equals(code)).findFirst();
    }

    /** The topic as an R4 Basic resource, id = its code. */
    public Basic toBasic() {
        Basic basic = new Basic();
        basic.setId(code);
        basic.setCode(new CodeableConcept().addCoding(new Coding("http://hl7.org/fhir/fhir-types", "SubscriptionTopic",
                "SubscriptionTopic")));
        basic.addExtension(XVER + "url", new UriType(url()));
        basic.addExtension(XVER + "title", new StringType(title));
        basic.addExtension(XVER + "status", new CodeType("active"));
        basic.addExtension(XVER + "description", new MarkdownType(description));
        Extension trigger = basic.addExtension().setUrl(XVER + "resourceTrigger");
        trigger.addExtension("description", new MarkdownType(description));
        trigger.addExtension("resource", new UriType("http://hl7.org/fhir/StructureDefinition/" + resource));
        for (String filter : new String[] {"patient", "general-practitioner"}) {
            Extension canFilterBy = basic.addExtension().setUrl(XVER + "canFilterBy");
            canFilterBy.addExtension("description", new MarkdownType(filter.equals("patient")
                    ? "One patient: Patient/{NHS number}" : "Patients registered at this GP practice (ODS code)"));
            canFilterBy.addExtension("filterParameter", new StringType(filter));
        }
        Narrative text = new Narrative().setStatus(Narrative.NarrativeStatus.GENERATED);
        text.setDivAsString("<div xmlns=\"http://www.w3.org/1999/xhtml\">SubscriptionTopic " + title + ": "
                + url() + "</div>");
        basic.setText(text);
        return basic;
    }
}
