package org.caretrail.timeline.fhir;

import ca.uhn.fhir.model.api.TemporalPrecisionEnum;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TimeZone;
import org.caretrail.events.fhir.FhirSystems;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.timeline.domain.TimelineEntries;
import org.caretrail.timeline.query.VisibleTimeline;
import org.hl7.fhir.r4.model.Appointment;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DomainResource;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.EpisodeOfCare;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.InstantType;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Narrative;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;

/**
 * A patient's timeline as FHIR R4 resources: the one mapping of timeline entries to FHIR, used by the
 * FHIR read API and, for a notification's focus, by the FHIR subscriptions. Pure: no Kafka, no HTTP.
 *
 * <table>
 * <caption>What each care item becomes</caption>
 * <tr><th>timeline entries</th><th>resource</th><th>status</th></tr>
 * <tr><td>a hospital spell: its admission, transfers and discharge (same trust, same spell id)</td>
 *     <td>{@code Encounter}, class from the admission's patient class (IMP, SS day case, EMER, AMB), period
 *     admission to discharge, every ward with its period in {@code location}, admission method and discharge
 *     method as the UK Core extensions, discharge destination in {@code hospitalization.dischargeDisposition}
 *     </td><td>in-progress; finished once discharged; entered-in-error when the admission was cancelled</td></tr>
 * <tr><td>an A&amp;E attendance</td><td>{@code Encounter} class EMER, period arrival to departure, department
 *     and bay in {@code location}, coded chief complaint and diagnoses in {@code reasonCode}</td>
 *     <td>finished once departed, else in-progress; entered-in-error when cancelled</td></tr>
 * <tr><td>an ambulance conveyance</td><td>{@code Encounter} class FLD (field), period call to handover,
 *     destination in {@code location}</td><td>finished; entered-in-error when cancelled</td></tr>
 * <tr><td>a social care assessment, package start or package end</td><td>{@code EpisodeOfCare} (the local
 *     authority's responsibility for the person's care), {@code type} the kind</td><td>active for a package
 *     start, finished for an assessment or a package end; entered-in-error when cancelled</td></tr>
 * <tr><td>a referral</td><td>{@code ServiceRequest} (category: patient referral, SNOMED CT 3457005), the
 *     specialty (treatment function code) in {@code code}, the receiving organisation as {@code performer}</td>
 *     <td>active (open, accepted), completed, revoked (rejected); entered-in-error when cancelled</td></tr>
 * <tr><td>a prescription</td><td>{@code MedicationRequest} with the dm+d code when the source sent one,
 *     continuous (repeat) or acute</td><td>active; completed once its end date has passed; entered-in-error
 *     when cancelled</td></tr>
 * <tr><td>an appointment</td><td>{@code Appointment} (start and end both the start time: the contract has no
 *     duration)</td><td>booked, fulfilled (attended), noshow, cancelled; entered-in-error when withdrawn</td></tr>
 * <tr><td>GP registration, death, merges</td><td>the {@code Patient}: {@code generalPractitioner} (ODS code),
 *     {@code deceasedDateTime}, {@code link} replaces (numbers merged into this one)</td><td></td></tr>
 * </table>
 *
 * <p>Every resource names its patient by reference ({@code Patient/<NHS number>}) and NHS number, and
 * organisations by ODS code (NHS England's identifier systems); it carries the timeline entry id(s) as its
 * identifier, {@code meta.lastUpdated} = when its latest source recorded it, and {@code meta.security} R
 * (restricted) when its source marked it RESTRICTED (only callers allowed to see it get it at all). Codes are
 * kept exactly as their sources sent them (dm+d, SNOMED CT, NHS Data Dictionary).
 */
public final class TimelineResources {

    /** The resource types served, Patient first. */
    public static final List<String> TYPES = List.of("Patient", "Encounter", "EpisodeOfCare", "ServiceRequest",
            "MedicationRequest", "Appointment");
    static final String REFERRAL_CATEGORY = "3457005";
    private static final String COURSE_OF_THERAPY = "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy";
    private static final TimeZone UTC = TimeZone.getTimeZone("UTC");

    private TimelineResources() {
    }

    /** The FHIR resource type a timeline entry of {@code type} belongs to. */
    public static String typeOf(EventType type) {
        return switch (type) {
            case ADMISSION, TRANSFER, DISCHARGE, ATTENDANCE, AMBULANCE_CONVEYANCE -> "Encounter";
            case SOCIAL_CARE -> "EpisodeOfCare";
            case REFERRAL -> "ServiceRequest";
            case PRESCRIPTION -> "MedicationRequest";
            case APPOINTMENT -> "Appointment";
            case GP_REGISTRATION, DEATH -> "Patient";
        };
    }

    /** {@code Type/id} of the resource {@code entry} of patient {@code nhs} is part of (what a notification's focus names). */
    public static String referenceOf(String nhs, TimelineEntry entry) {
        String type = typeOf(entry.getType());
        return type + "/" + (type.equals("Patient") ? nhs : FhirIds.item(nhs, key(entry)));
    }

    /** The key of the item (or spell) an entry belongs to: what its resource id is made from. */
    static String key(TimelineEntry entry) {
        return switch (entry.getType()) {
            case ADMISSION -> spellKey(entry.getSource().getOdsCode(), entry.getSubjectId());
            case TRANSFER, DISCHARGE -> spellKey(entry.getSource().getOdsCode(),
                    entry.getDetails().getOrDefault("spellId", entry.getSubjectId()));
            default -> entry.getEntryId();
        };
    }

    private static String spellKey(String ods, String spellId) {
        return "SPELL|" + ods + "|" + spellId;
    }

    /** The Patient, then every other resource of the timeline in order of their first entry. */
    public static List<Resource> all(VisibleTimeline timeline) {
        List<Resource> all = new ArrayList<>();
        all.add(patient(timeline));
        Map<String, List<TimelineEntry>> items = new LinkedHashMap<>();
        for (TimelineEntry entry : timeline.entries()) {
            if (!typeOf(entry.getType()).equals("Patient")) {
                items.computeIfAbsent(key(entry), k -> new ArrayList<>()).add(entry);
            }
        }
        for (List<TimelineEntry> item : items.values()) {
            all.add(resource(timeline.nhsNumber(), item, timeline.at()));
        }
        return all;
    }

    /** The resources of one type ({@link #TYPES}), in order of their first entry. */
    public static List<Resource> ofType(VisibleTimeline timeline, String type) {
        if (type.equals("Patient")) {
            return List.of(patient(timeline));
        }
        return all(timeline).stream().filter(r -> r.fhirType().equals(type)).toList();
    }

    /** The patient as the timeline knows them: NHS number, registered practice, death, numbers merged into theirs. */
    public static Patient patient(VisibleTimeline timeline) {
        Patient p = new Patient();
        String nhs = timeline.nhsNumber();
        p.setId(nhs);
        p.addIdentifier(nhsNumber(nhs));
        p.setActive(true);
        var summary = timeline.summary();
        if (summary.getRegisteredPracticeOdsCode() != null) {
            p.addGeneralPractitioner(organisation(summary.getRegisteredPracticeOdsCode(),
                    summary.getRegisteredPracticeName()));
        }
        if (summary.getDeceased() && summary.getDiedAt() != null) {
            p.setDeceased(dateTime(summary.getDiedAt()));
        } else if (summary.getDeceased()) {
            p.setDeceased(new org.hl7.fhir.r4.model.BooleanType(true));
        }
        Set<String> mergedIn = new LinkedHashSet<>();
        Instant updated = null;
        boolean restricted = false;
        for (TimelineEntry e : timeline.entries()) {
            if (e.getOriginNhsNumber() != null && !e.getOriginNhsNumber().equals(nhs)) {
                mergedIn.add(e.getOriginNhsNumber());
            }
            if (e.getType() == EventType.GP_REGISTRATION || e.getType() == EventType.DEATH) {
                restricted |= e.getSensitivity() == Sensitivity.RESTRICTED && e.getStatus() == EntryStatus.CURRENT;
            }
            updated = updated == null || e.getRecordedAt().isAfter(updated) ? e.getRecordedAt() : updated;
        }
        for (String old : mergedIn) {
            p.addLink().setType(Patient.LinkType.REPLACES).setOther(patientReference(old));
        }
        meta(p, updated == null ? timeline.at() : updated, restricted);
        narrative(p, "NHS number " + nhs + (summary.getDeceased() ? ", deceased" : "")
                + (summary.getRegisteredPracticeOdsCode() == null ? "" : ", registered with "
                + (summary.getRegisteredPracticeName() == null ? summary.getRegisteredPracticeOdsCode()
                : summary.getRegisteredPracticeName())));
        return p;
    }

    /**
     * The Patient of an NHS number that was merged into {@code survivor}: no longer active, its
     * {@code link} (replaced-by) naming the patient to use instead (FHIR R4 Patient.link).
     */
    public static Patient mergedAway(String nhs, String survivor) {
        Patient p = new Patient();
        p.setId(nhs);
        p.addIdentifier(nhsNumber(nhs).setUse(Identifier.IdentifierUse.OLD));
        p.setActive(false);
        p.addLink().setType(Patient.LinkType.REPLACEDBY).setOther(patientReference(survivor));
        narrative(p, "NHS number " + nhs + " was merged into " + survivor + ": use Patient/" + survivor);
        return p;
    }

    /** The resource made from one item's (or one spell's) entries, all of patient {@code nhs}. */
    static Resource resource(String nhs, List<TimelineEntry> entries, Instant now) {
        TimelineEntry first = entries.get(0);
        String id = FhirIds.item(nhs, key(first));
        DomainResource r = switch (first.getType()) {
            case ADMISSION, TRANSFER, DISCHARGE -> spell(nhs, entries);
            case ATTENDANCE -> attendance(nhs, last(entries));
            case AMBULANCE_CONVEYANCE -> conveyance(nhs, last(entries));
            case SOCIAL_CARE -> socialCare(nhs, last(entries));
            case REFERRAL -> referral(nhs, last(entries));
            case PRESCRIPTION -> prescription(nhs, last(entries), now);
            case APPOINTMENT -> appointment(nhs, last(entries));
            default -> throw new IllegalArgumentException(first.getType() + " is part of the Patient");
        };
        r.setId(id);
        Instant updated = entries.stream().map(TimelineEntry::getRecordedAt).max(Comparator.naturalOrder())
                .orElseThrow();
        meta(r, updated, entries.stream().anyMatch(e -> e.getSensitivity() == Sensitivity.RESTRICTED));
        narrative(r, entries.stream().filter(e -> e.getStatus() == EntryStatus.CURRENT).map(TimelineEntry::getSummary)
                .reduce((a, b) -> a + "; " + b).orElse(last(entries).getSummary() + " (withdrawn)"));
        return r;
    }

    private static TimelineEntry last(List<TimelineEntry> entries) {
        return entries.get(entries.size() - 1);
    }

    // ------------------------------------------------------------------------------------------ Encounter

    private static Encounter spell(String nhs, List<TimelineEntry> entries) {
        TimelineEntry admission = null;
        TimelineEntry discharge = null;
        List<TimelineEntry> transfers = new ArrayList<>();
        for (TimelineEntry e : entries) {
            switch (e.getType()) {
                case ADMISSION -> admission = e;
                case TRANSFER -> {
                    if (e.getStatus() == EntryStatus.CURRENT) {
                        transfers.add(e);
                    }
                }
                case DISCHARGE -> {
                    if (e.getStatus() == EntryStatus.CURRENT) {
                        discharge = e;
                    }
                }
                default -> throw new IllegalArgumentException(e.getType() + " is not part of a spell");
            }
        }
        TimelineEntry opening = admission != null ? admission : entries.get(0);
        Encounter enc = new Encounter();
        String ods = opening.getSource().getOdsCode();
        String spellId = opening.getType() == EventType.ADMISSION ? opening.getSubjectId()
                : opening.getDetails().getOrDefault("spellId", opening.getSubjectId());
        enc.addIdentifier().setSystem(FhirSystems.SPELL + "/" + ods).setValue(spellId);
        entries.forEach(e -> enc.addIdentifier(entryIdentifier(e)));
        boolean cancelled = (admission != null && admission.getStatus() == EntryStatus.WITHDRAWN)
                || entries.stream().noneMatch(e -> e.getStatus() == EntryStatus.CURRENT);
        enc.setStatus(cancelled ? Encounter.EncounterStatus.ENTEREDINERROR
                : discharge != null ? Encounter.EncounterStatus.FINISHED : Encounter.EncounterStatus.INPROGRESS);
        Map<String, String> a = admission == null ? Map.of() : admission.getDetails();
        enc.setClass_(encounterClass(a.get("patientClass"), transfers));
        enc.setSubject(patientReference(nhs));
        enc.setServiceProvider(organisation(ods, opening.getSource().getName()));
        Period period = enc.getPeriod();
        period.setStartElement(dateTime(opening.getOccurredAt()));
        if (discharge != null && !cancelled) {
            period.setEndElement(dateTime(discharge.getOccurredAt()));
        }
        if (a.get("treatmentFunctionCode") != null || a.get("specialty") != null) {
            enc.setServiceType(concept(a.get("treatmentFunctionCode"), a.get("specialty")));
        }
        a.entrySet().stream().filter(d -> d.getKey().startsWith("diagnoses."))
                .forEach(d -> enc.addReasonCode(concept(d.getValue(), null)));
        if (a.get("consultant") != null) {
            enc.addParticipant().setIndividual(new Reference().setDisplay(a.get("consultant")));
        }
        if (a.get("admissionMethodCode") != null || a.get("admissionMethod") != null) {
            enc.getHospitalization().addExtension(FhirSystems.ADMISSION_METHOD_EXTENSION,
                    concept(a.get("admissionMethodCode"), a.get("admissionMethod")));
        }
        if (discharge != null) {
            Map<String, String> d = discharge.getDetails();
            if (d.get("dischargeMethodCode") != null || d.get("dischargeMethod") != null) {
                enc.getHospitalization().addExtension(FhirSystems.DISCHARGE_METHOD_EXTENSION,
                        concept(d.get("dischargeMethodCode"), d.get("dischargeMethod")));
            }
            if (d.get("dischargeDestinationCode") != null || d.get("destination") != null) {
                enc.getHospitalization().setDischargeDisposition(concept(d.get("dischargeDestinationCode"),
                        d.get("destination")));
            }
        }
        locations(enc, opening, admission, transfers, discharge, cancelled);
        return enc;
    }

    /** Every place of the spell with its period: where the patient was admitted, then each transfer's destination. */
    private static void locations(Encounter enc, TimelineEntry opening, TimelineEntry admission,
            List<TimelineEntry> transfers, TimelineEntry discharge, boolean cancelled) {
        record Stay(String place, Instant from) {
        }
        List<Stay> stays = new ArrayList<>();
        if (admission != null) {
            String place = where(admission.getDetails(), "location", "ward", "site");
            if (place != null) {
                stays.add(new Stay(place, admission.getOccurredAt()));
            }
        } else if (opening.getType() == EventType.TRANSFER) {
            String from = where(opening.getDetails(), "fromLocation", "fromWard", null);
            if (from != null) {
                stays.add(new Stay(from, opening.getOccurredAt()));
            }
        }
        transfers.sort(Comparator.comparing(TimelineEntry::getOccurredAt));
        for (TimelineEntry t : transfers) {
            String place = where(t.getDetails(), "toLocation", "toWard", "toSite");
            if (place != null) {
                stays.add(new Stay(place, t.getOccurredAt()));
            }
        }
        if (stays.isEmpty() && discharge != null) {
            String place = where(discharge.getDetails(), "location", "ward", null);
            if (place != null) {
                stays.add(new Stay(place, opening.getOccurredAt()));
            }
        }
        for (int i = 0; i < stays.size(); i++) {
            boolean lastStay = i == stays.size() - 1;
            Encounter.EncounterLocationComponent location = enc.addLocation()
                    .setLocation(new Reference().setDisplay(stays.get(i).place()));
            Period period = location.getPeriod().setStartElement(dateTime(stays.get(i).from()));
            if (!lastStay) {
                period.setEndElement(dateTime(stays.get(i + 1).from()));
            } else if (discharge != null && !cancelled) {
                period.setEndElement(dateTime(discharge.getOccurredAt()));
            }
            location.setStatus(lastStay && discharge == null && !cancelled
                    ? Encounter.EncounterLocationStatus.ACTIVE : Encounter.EncounterLocationStatus.COMPLETED);
        }
    }

    /** "AMU bay 2 bed 4, Riverside General": the place as people say it, and the site. */
    private static String where(Map<String, String> d, String prefix, String wardKey, String siteKey) {
        String place = TimelineEntries.place(d, prefix, d.get(wardKey));
        String site = d.get(prefix + ".site") != null ? d.get(prefix + ".site") : siteKey == null ? null : d.get(siteKey);
        if (place == null) {
            return site;
        }
        return site == null || place.equals(site) ? place : place + ", " + site;
    }

    private static Coding encounterClass(String patientClass, List<TimelineEntry> transfers) {
        String stated = patientClass;
        for (TimelineEntry t : transfers) {
            String reason = t.getDetails().get("reason");
            if ("CHANGED_TO_INPATIENT".equals(reason)) {
                stated = "INPATIENT";
            } else if ("CHANGED_TO_OUTPATIENT".equals(reason)) {
                stated = "OUTPATIENT";
            }
        }
        String upper = stated == null ? "" : stated.toUpperCase(Locale.ROOT);
        return switch (upper) {
            case "DAY_CASE" -> actCode("SS", "short stay");
            case "EMERGENCY" -> actCode("EMER", "emergency");
            case "OUTPATIENT" -> actCode("AMB", "ambulatory");
            default -> actCode("IMP", "inpatient encounter");
        };
    }

    private static Encounter attendance(String nhs, TimelineEntry e) {
        Map<String, String> d = e.getDetails();
        Encounter enc = new Encounter();
        enc.addIdentifier(entryIdentifier(e));
        boolean withdrawn = e.getStatus() == EntryStatus.WITHDRAWN;
        enc.setStatus(withdrawn ? Encounter.EncounterStatus.ENTEREDINERROR
                : d.get("departedAt") != null ? Encounter.EncounterStatus.FINISHED
                : Encounter.EncounterStatus.INPROGRESS);
        enc.setClass_(actCode("EMER", "emergency"));
        enc.setSubject(patientReference(nhs));
        enc.setServiceProvider(organisation(e.getSource().getOdsCode(), e.getSource().getName()));
        enc.getPeriod().setStartElement(dateTime(e.getOccurredAt()));
        if (d.get("departedAt") != null && !withdrawn) {
            enc.getPeriod().setEndElement(dateTime(Instant.parse(d.get("departedAt"))));
        }
        if (d.get("chiefComplaintCode") != null || d.get("chiefComplaint") != null) {
            enc.addReasonCode(concept(d.get("chiefComplaintCode"), d.get("chiefComplaint")));
        }
        d.entrySet().stream().filter(x -> x.getKey().startsWith("diagnoses."))
                .forEach(x -> enc.addReasonCode(concept(x.getValue(), null)));
        String place = where(d, "location", "department", null);
        if (place != null) {
            enc.addLocation().setLocation(new Reference().setDisplay(place)).setStatus(
                    enc.getStatus() == Encounter.EncounterStatus.INPROGRESS ? Encounter.EncounterLocationStatus.ACTIVE
                            : Encounter.EncounterLocationStatus.COMPLETED);
        }
        return enc;
    }

    private static Encounter conveyance(String nhs, TimelineEntry e) {
        Map<String, String> d = e.getDetails();
        Encounter enc = new Encounter();
        enc.addIdentifier(entryIdentifier(e));
        boolean withdrawn = e.getStatus() == EntryStatus.WITHDRAWN;
        enc.setStatus(withdrawn ? Encounter.EncounterStatus.ENTEREDINERROR : Encounter.EncounterStatus.FINISHED);
        enc.setClass_(actCode("FLD", "field"));
        enc.setSubject(patientReference(nhs));
        enc.setServiceProvider(organisation(e.getSource().getOdsCode(), e.getSource().getName()));
        enc.getPeriod().setStartElement(dateTime(e.getOccurredAt()));
        if (d.get("handoverAt") != null && !withdrawn) {
            enc.getPeriod().setEndElement(dateTime(Instant.parse(d.get("handoverAt"))));
        }
        if (d.get("category") != null) {
            enc.setPriority(new CodeableConcept().setText("Category " + d.get("category")));
        }
        if (d.get("destinationOdsCode") != null) {
            enc.getHospitalization().setDestination(organisation(d.get("destinationOdsCode"), null));
        }
        return enc;
    }

    // ------------------------------------------------------------------------------------------ others

    private static EpisodeOfCare socialCare(String nhs, TimelineEntry e) {
        Map<String, String> d = e.getDetails();
        EpisodeOfCare episode = new EpisodeOfCare();
        episode.addIdentifier(entryIdentifier(e));
        String kind = d.getOrDefault("kind", "");
        episode.setStatus(e.getStatus() == EntryStatus.WITHDRAWN ? EpisodeOfCare.EpisodeOfCareStatus.ENTEREDINERROR
                : kind.equals("PACKAGE_START") ? EpisodeOfCare.EpisodeOfCareStatus.ACTIVE
                : EpisodeOfCare.EpisodeOfCareStatus.FINISHED);
        episode.addType(new CodeableConcept().addCoding(new Coding(FhirSystems.SOCIAL_CARE_KIND, kind, kindName(kind)))
                .setText(d.get("description")));
        episode.setPatient(patientReference(nhs));
        episode.setManagingOrganization(organisation(e.getSource().getOdsCode(), e.getSource().getName()));
        if (kind.equals("PACKAGE_END")) {
            episode.getPeriod().setEndElement(dateTime(e.getOccurredAt()));
        } else {
            episode.getPeriod().setStartElement(dateTime(e.getOccurredAt()));
            if (kind.equals("ASSESSMENT")) {
                episode.getPeriod().setEndElement(dateTime(e.getOccurredAt()));
            }
        }
        return episode;
    }

    private static String kindName(String kind) {
        return switch (kind) {
            case "ASSESSMENT" -> "Assessment";
            case "PACKAGE_START" -> "Package of care started";
            case "PACKAGE_END" -> "Package of care ended";
            default -> null;
        };
    }

    private static ServiceRequest referral(String nhs, TimelineEntry e) {
        Map<String, String> d = e.getDetails();
        ServiceRequest sr = new ServiceRequest();
        sr.addIdentifier(entryIdentifier(e));
        String status = d.getOrDefault("status", "OPEN").toUpperCase(Locale.ROOT);
        sr.setStatus(e.getStatus() == EntryStatus.WITHDRAWN ? ServiceRequest.ServiceRequestStatus.ENTEREDINERROR
                : switch (status) {
                    case "COMPLETED" -> ServiceRequest.ServiceRequestStatus.COMPLETED;
                    case "REJECTED" -> ServiceRequest.ServiceRequestStatus.REVOKED;
                    default -> ServiceRequest.ServiceRequestStatus.ACTIVE;
                });
        sr.setIntent(ServiceRequest.ServiceRequestIntent.ORDER);
        sr.addCategory(new CodeableConcept().addCoding(new Coding(FhirSystems.SNOMED_CT, REFERRAL_CATEGORY,
                "Patient referral")));
        String priority = d.getOrDefault("priority", "").toUpperCase(Locale.ROOT);
        if (priority.equals("ROUTINE")) {
            sr.setPriority(ServiceRequest.ServiceRequestPriority.ROUTINE);
        } else if (priority.equals("URGENT") || priority.equals("TWO_WEEK_WAIT")) {
            sr.setPriority(ServiceRequest.ServiceRequestPriority.URGENT);
        }
        if (d.get("specialtyCode") != null || d.get("specialty") != null) {
            sr.setCode(concept(d.get("specialtyCode"), d.get("specialty")));
        }
        if (d.get("reasonCode") != null || d.get("reason") != null) {
            sr.addReasonCode(concept(d.get("reasonCode"), d.get("reason")));
        }
        sr.setSubject(patientReference(nhs));
        sr.setAuthoredOnElement(dateTime(e.getOccurredAt()));
        sr.setRequester(organisation(e.getSource().getOdsCode(), e.getSource().getName()));
        if (d.get("toOdsCode") != null) {
            sr.addPerformer(organisation(d.get("toOdsCode"), null));
        }
        return sr;
    }

    private static MedicationRequest prescription(String nhs, TimelineEntry e, Instant now) {
        Map<String, String> d = e.getDetails();
        MedicationRequest mr = new MedicationRequest();
        mr.addIdentifier(entryIdentifier(e));
        Instant endsAt = d.get("endsAt") == null ? null : Instant.parse(d.get("endsAt"));
        mr.setStatus(e.getStatus() == EntryStatus.WITHDRAWN ? MedicationRequest.MedicationRequestStatus.ENTEREDINERROR
                : endsAt != null && endsAt.isBefore(now) ? MedicationRequest.MedicationRequestStatus.COMPLETED
                : MedicationRequest.MedicationRequestStatus.ACTIVE);
        mr.setIntent(MedicationRequest.MedicationRequestIntent.ORDER);
        boolean repeat = Boolean.parseBoolean(d.get("repeat"));
        mr.setCourseOfTherapyType(new CodeableConcept().addCoding(new Coding(COURSE_OF_THERAPY,
                repeat ? "continuous" : "acute", repeat ? "Continuous long term therapy" : "Short course (acute) therapy")));
        mr.setMedication(concept(d.get("medicationCode"), d.get("medication")));
        mr.setSubject(patientReference(nhs));
        mr.setAuthoredOnElement(dateTime(e.getOccurredAt()));
        mr.setRequester(organisation(e.getSource().getOdsCode(), e.getSource().getName()));
        if (d.get("dose") != null || d.get("route") != null) {
            var dosage = mr.addDosageInstruction().setText(d.get("dose"));
            if (d.get("route") != null) {
                dosage.setRoute(new CodeableConcept().setText(d.get("route")));
            }
        }
        if (endsAt != null) {
            mr.getDispenseRequest().getValidityPeriod().setStartElement(dateTime(e.getOccurredAt()))
                    .setEndElement(dateTime(endsAt));
        }
        return mr;
    }

    private static Appointment appointment(String nhs, TimelineEntry e) {
        Map<String, String> d = e.getDetails();
        Appointment ap = new Appointment();
        ap.addIdentifier(entryIdentifier(e));
        String status = d.getOrDefault("status", "BOOKED").toUpperCase(Locale.ROOT);
        ap.setStatus(e.getStatus() == EntryStatus.WITHDRAWN ? Appointment.AppointmentStatus.ENTEREDINERROR
                : switch (status) {
                    case "ATTENDED" -> Appointment.AppointmentStatus.FULFILLED;
                    case "DID_NOT_ATTEND" -> Appointment.AppointmentStatus.NOSHOW;
                    case "CANCELLED" -> Appointment.AppointmentStatus.CANCELLED;
                    default -> Appointment.AppointmentStatus.BOOKED;
                });
        Instant start = d.get("startsAt") == null ? e.getOccurredAt() : Instant.parse(d.get("startsAt"));
        ap.setStartElement(instant(start));
        ap.setEndElement(instant(start)); // the contract has no duration; R4 wants both or neither (app-2, app-3)
        ap.setCreatedElement(dateTime(e.getRecordedAt()));
        if (d.get("service") != null) {
            ap.addServiceType(new CodeableConcept().setText(d.get("service")));
            ap.setDescription(d.get("service") + " at " + (e.getSource().getName() == null ? e.getSource().getOdsCode()
                    : e.getSource().getName()));
        }
        ap.addParticipant().setActor(patientReference(nhs)).setStatus(Appointment.ParticipationStatus.ACCEPTED);
        if (d.get("practitioner") != null) {
            ap.addParticipant().setActor(new Reference().setDisplay(d.get("practitioner")))
                    .setStatus(Appointment.ParticipationStatus.ACCEPTED);
        }
        return ap;
    }

    // ------------------------------------------------------------------------------------------ parts

    static Identifier nhsNumber(String nhs) {
        return new Identifier().setSystem(FhirSystems.NHS_NUMBER).setValue(nhs);
    }

    /** {@code Patient/<nhs>}, with the NHS number as its identifier too. */
    static Reference patientReference(String nhs) {
        return new Reference("Patient/" + nhs).setIdentifier(nhsNumber(nhs));
    }

    /** An organisation by its ODS code (a logical reference: CareTrail serves no Organization resources). */
    static Reference organisation(String ods, String name) {
        Reference ref = new Reference().setIdentifier(new Identifier().setSystem(FhirSystems.ODS_ORGANIZATION)
                .setValue(ods));
        return name == null ? ref : ref.setDisplay(name);
    }

    private static Identifier entryIdentifier(TimelineEntry e) {
        return new Identifier().setSystem(FhirSystems.TIMELINE_ENTRY).setValue(e.getEntryId());
    }

    private static Coding actCode(String code, String display) {
        return new Coding(FhirSystems.ACT_CODE, code, display);
    }

    /** A code as its source sent it ({@code system|code|display} in the details), with the text people read. */
    private static CodeableConcept concept(String coded, String text) {
        CodeableConcept concept = new CodeableConcept();
        if (coded != null) {
            var c = TimelineEntries.coding(coded);
            concept.addCoding(new Coding(c.getSystem(), c.getCode(), c.getDisplay()));
        }
        if (text != null) {
            concept.setText(text);
        } else if (coded != null && concept.getCodingFirstRep().getDisplay() != null) {
            concept.setText(concept.getCodingFirstRep().getDisplay());
        }
        return concept;
    }

    private static void meta(Resource r, Instant updated, boolean restricted) {
        r.getMeta().setLastUpdatedElement(new InstantType(Date.from(updated), TemporalPrecisionEnum.MILLI, UTC));
        if (restricted) {
            r.getMeta().addSecurity(new Coding(FhirSystems.CONFIDENTIALITY, "R", "restricted"));
        }
    }

    private static void narrative(DomainResource r, String text) {
        Narrative narrative = new Narrative().setStatus(Narrative.NarrativeStatus.GENERATED);
        narrative.setDivAsString("<div xmlns=\"http://www.w3.org/1999/xhtml\">" + escape(text) + "</div>");
        r.setText(narrative);
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    static DateTimeType dateTime(Instant instant) {
        return new DateTimeType(Date.from(instant), TemporalPrecisionEnum.SECOND, UTC);
    }

    private static InstantType instant(Instant instant) {
        return new InstantType(Date.from(instant), TemporalPrecisionEnum.SECOND, UTC);
    }
}
