package org.caretrail.producers.fhir;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEventValidator;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.OdsCode;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Appointment;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.Prescription;
import org.caretrail.events.model.Referral;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;
import org.caretrail.events.model.Transfer;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DomainResource;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;

/**
 * Maps FHIR R4 resources to care events. Pure apart from {@code receivedAt}, the time used where
 * a resource carries none.
 *
 * <h2>Mapping</h2>
 * <ul>
 *   <li><b>Encounter</b>, class IMP/ACUTE/NONAC (inpatient), subjectId = identifier value (the spell,
 *       as PV1-19 on HL7v2, so both routes describe the same item):
 *     <ul>
 *       <li>status entered-in-error or cancelled → Admission CANCEL;</li>
 *       <li>status planned → Appointment BOOKED at period.start, subjectId {@code spell/pre-admit} (as
 *           HL7 A05: a planned admission is not yet a spell);</li>
 *       <li>status finished → Discharge NEW, subjectId {@code spell/discharge}, at period.end;</li>
 *       <li>two or more locations (the location history) → Transfer NEW from the previous location to
 *           the active (else last) one, subjectId {@code spell/transfer/<that location's period.start>};</li>
 *       <li>otherwise → Admission (NEW; UPDATE when meta.versionId is above 1), at period.start.</li>
 *     </ul></li>
 *   <li><b>Encounter</b>, class EMER → Attendance (A&amp;E): NEW; finished → UPDATE with departedAt =
 *       period.end; entered-in-error or cancelled → CANCEL.</li>
 *   <li><b>ServiceRequest</b> → Referral (status active/on-hold OPEN, completed COMPLETED; revoked or
 *       entered-in-error → CANCEL). <b>MedicationRequest</b> → Prescription (cancelled or
 *       entered-in-error → CANCEL; stopped/completed → UPDATE). <b>Appointment</b> → Appointment
 *       (booked/pending/proposed BOOKED, arrived/checked-in/fulfilled ATTENDED, noshow DID_NOT_ATTEND,
 *       cancelled CANCELLED; entered-in-error → CANCEL). <b>Patient</b> with an NHS number and
 *       another identifier → PatientIdentity LINK (otherwise only used to resolve references).</li>
 * </ul>
 * <p>The patient: the referenced Patient (contained, in the same Bundle by fullUrl, or a logical
 * reference by identifier); the NHS number is the identifier with system {@value #NHS_NUMBER_SYSTEM}.
 * The organisation: an identifier with system {@value #ODS_SYSTEM} on the resource's organisation
 * reference, else the gateway's configured organisation. Version = meta.lastUpdated, else the time
 * received, in epoch milliseconds; eventId a name-based UUID of type, organisation, subjectId,
 * version and action, so an identical re-post gives the same event.
 */
public final class FhirMapper {

    public static final String NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number";
    public static final String ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code";

    private final FhirSettings settings;
    private final CareEventValidator validator = new CareEventValidator();

    public FhirMapper(FhirSettings settings) {
        this.settings = settings;
    }

    /** Resources a reference may point at: contained ones and the other entries of a Bundle. */
    public static final class Resolver {
        private final Map<String, Resource> byUrl = new HashMap<>();

        public static Resolver of(Bundle bundle) {
            Resolver resolver = new Resolver();
            if (bundle != null) {
                for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
                    Resource r = entry.getResource();
                    if (r == null) {
                        continue;
                    }
                    if (entry.hasFullUrl()) {
                        resolver.byUrl.put(entry.getFullUrl(), r);
                    }
                    if (r.hasIdElement() && r.getIdElement().hasIdPart()) {
                        resolver.byUrl.put(r.fhirType() + "/" + r.getIdElement().getIdPart(), r);
                    }
                }
            }
            return resolver;
        }

        Resource resolve(DomainResource from, Reference reference) {
            if (reference.getResource() instanceof Resource r) {
                return r;
            }
            String ref = reference.getReference();
            if (ref == null) {
                return null;
            }
            if (ref.startsWith("#")) {
                for (Resource contained : from.getContained()) {
                    String id = contained.getIdElement().getIdPart();
                    if (id != null && ref.substring(1).equals(id.startsWith("#") ? id.substring(1) : id)) {
                        return contained;
                    }
                }
                return null;
            }
            return byUrl.get(ref);
        }
    }

    /**
     * The events for {@code resource} (path is its FHIRPath prefix in error messages, e.g.
     * {@code Bundle.entry[2].resource}), each checked against the contract.
     *
     * @throws FhirProblem 422 naming every element at fault
     */
    public List<SpecificRecord> map(Resource resource, Resolver resolver, Instant receivedAt, String path) {
        Mapping m = new Mapping((DomainResource) resource, resolver, receivedAt, path);
        List<SpecificRecord> events;
        if (resource instanceof Encounter e) {
            events = List.of(m.encounter(e));
        } else if (resource instanceof ServiceRequest s) {
            events = List.of(m.referral(s));
        } else if (resource instanceof MedicationRequest r) {
            events = List.of(m.prescription(r));
        } else if (resource instanceof org.hl7.fhir.r4.model.Appointment a) {
            events = List.of(m.appointment(a));
        } else if (resource instanceof Patient p) {
            events = m.patientLink(p);
        } else {
            throw FhirProblem.unprocessable(path, resource.fhirType()
                    + " is not accepted: post Encounter, ServiceRequest, MedicationRequest, Appointment or Patient");
        }
        List<FhirProblem.Issue> issues = new ArrayList<>();
        for (SpecificRecord event : events) {
            for (String problem : validator.problems(event)) {
                issues.add(new FhirProblem.Issue(path, "the " + event.getSchema().getName() + " it maps to breaks "
                        + "the care event contract: " + problem));
            }
        }
        if (!issues.isEmpty()) {
            throw new FhirProblem(422, issues);
        }
        return events;
    }

    /** Whether {@code resource} is one of the types the gateway takes. */
    public static boolean accepts(String resourceType) {
        return switch (resourceType) {
            case "Encounter", "ServiceRequest", "MedicationRequest", "Appointment", "Patient" -> true;
            default -> false;
        };
    }

    private final class Mapping {
        private final DomainResource resource;
        private final Resolver resolver;
        private final Instant receivedAt;
        private final String path;

        Mapping(DomainResource resource, Resolver resolver, Instant receivedAt, String path) {
            this.resource = resource;
            this.resolver = resolver;
            this.receivedAt = receivedAt;
            this.path = path;
        }

        // ------------------------------------------------------------ Encounter

        SpecificRecord encounter(Encounter e) {
            String cls = e.getClass_().getCode();
            if (cls == null) {
                throw problem("class", "is required: IMP (inpatient) or EMER (A&E)");
            }
            String spell = subjectId(e.getIdentifier());
            Source source = source(e.getServiceProvider(), "serviceProvider");
            PatientRef patient = patient(e.getSubject(), "subject");
            String status = e.hasStatus() ? e.getStatus().toCode() : null;
            if (status == null) {
                throw problem("status", "is required");
            }
            boolean cancelled = status.equals("entered-in-error") || status.equals("cancelled");
            switch (cls.toUpperCase(Locale.ROOT)) {
                case "EMER" -> {
                    Instant arrived = required(e.getPeriod().getStart(), "period.start", "(arrival in A&E)");
                    Attendance.Builder a = Attendance.newBuilder()
                            .setDepartment(e.getLocationFirstRep().getLocation().getDisplay())
                            .setChiefComplaint(text(e.getReasonCodeFirstRep()));
                    if (cancelled) {
                        return a.setHeader(header("attendance", Action.CANCEL, spell, arrived, source, patient)).build();
                    }
                    if (status.equals("finished")) {
                        Instant departed = required(e.getPeriod().getEnd(), "period.end",
                                "(departure) of a finished A&E Encounter");
                        return a.setHeader(header("attendance", Action.UPDATE, spell, arrived, source, patient))
                                .setDepartedAt(departed)
                                .setOutcome(attendanceOutcome(e))
                                .build();
                    }
                    return a.setHeader(header("attendance", newOrUpdate(), spell, arrived, source, patient)).build();
                }
                case "IMP", "ACUTE", "NONAC" -> {
                    if (cancelled) {
                        Instant at = e.getPeriod().hasStart() ? e.getPeriod().getStart().toInstant() : receivedAt;
                        return Admission.newBuilder()
                                .setHeader(header("admission", Action.CANCEL, spell, at, source, patient)).build();
                    }
                    List<Encounter.EncounterLocationComponent> locations = e.getLocation();
                    if (status.equals("planned")) {
                        Instant expected = required(e.getPeriod().getStart(), "period.start",
                                "(expected admission time) of a planned inpatient Encounter");
                        Instant booked = resource.getMeta().hasLastUpdated()
                                ? resource.getMeta().getLastUpdated().toInstant() : receivedAt;
                        return Appointment.newBuilder()
                                .setHeader(header("appointment", newOrUpdate(), spell + "/pre-admit", booked, source,
                                        patient))
                                .setStartsAt(expected)
                                .setService(text(e.getServiceType()) == null ? "planned admission"
                                        : "planned admission: " + text(e.getServiceType()))
                                .setStatus("BOOKED")
                                .build();
                    }
                    if (status.equals("finished")) {
                        Instant end = required(e.getPeriod().getEnd(), "period.end",
                                "(discharge time) of a finished inpatient Encounter");
                        return Discharge.newBuilder()
                                .setHeader(header("discharge", Action.NEW, spell + "/discharge", end, source, patient))
                                .setSpellId(spell)
                                .setDestination(destination(e.getHospitalization().getDischargeDisposition()))
                                .setDischargeMethod(text(e.getHospitalization().getDischargeDisposition()))
                                .setWard(locations.isEmpty() ? null : current(locations).getLocation().getDisplay())
                                .build();
                    }
                    if (locations.size() >= 2) {
                        int to = locations.indexOf(current(locations));
                        Encounter.EncounterLocationComponent toLoc = locations.get(to);
                        Encounter.EncounterLocationComponent fromLoc = locations.get(to == 0 ? 1 : to - 1);
                        Instant moved = required(toLoc.getPeriod().getStart(), "location[" + to + "].period.start",
                                "(the transfer time) when the Encounter has a location history");
                        return Transfer.newBuilder()
                                .setHeader(header("transfer", Action.NEW, spell + "/transfer/" + moved, moved, source,
                                        patient))
                                .setSpellId(spell)
                                .setFromWard(fromLoc.getLocation().getDisplay())
                                .setToWard(toLoc.getLocation().getDisplay())
                                .build();
                    }
                    Instant start = required(e.getPeriod().getStart(), "period.start", "(admission time)");
                    return Admission.newBuilder()
                            .setHeader(header("admission", newOrUpdate(), spell, start, source, patient))
                            .setWard(locations.isEmpty() ? null : locations.get(0).getLocation().getDisplay())
                            .setSpecialty(text(e.getServiceType()))
                            .setAdmissionMethod(admissionMethod(e))
                            .setConsultant(e.getParticipantFirstRep().getIndividual().getDisplay())
                            .build();
                }
                default -> throw problem("class", "'" + cls + "' is not mapped: CareTrail takes IMP/ACUTE/NONAC "
                        + "(inpatient) and EMER (A&E) encounters; post outpatient visits as Appointment");
            }
        }

        private Encounter.EncounterLocationComponent current(List<Encounter.EncounterLocationComponent> locations) {
            for (int i = locations.size() - 1; i >= 0; i--) {
                if (locations.get(i).getStatus() == Encounter.EncounterLocationStatus.ACTIVE) {
                    return locations.get(i);
                }
            }
            return locations.get(locations.size() - 1);
        }

        private String admissionMethod(Encounter e) {
            String code = e.getPriority().getCodingFirstRep().getCode();
            if (code == null) {
                return null;
            }
            return switch (code.toUpperCase(Locale.ROOT)) {
                case "EM", "UR", "S", "A", "CR" -> "EMERGENCY";
                case "EL", "R", "P" -> "ELECTIVE";
                default -> "OTHER";
            };
        }

        private String attendanceOutcome(Encounter e) {
            String code = e.getHospitalization().getDischargeDisposition().getCodingFirstRep().getCode();
            if (code == null) {
                return "DISCHARGED";
            }
            return switch (code) {
                case "hosp", "other-hcf" -> "REFERRED";
                case "aadvice" -> "LEFT";
                default -> "DISCHARGED";
            };
        }

        private String destination(CodeableConcept disposition) {
            String code = disposition.getCodingFirstRep().getCode();
            if (code == null) {
                return null;
            }
            return switch (code) {
                case "home", "alt-home" -> "HOME";
                case "snf", "long", "rehab" -> "CARE_HOME";
                case "hosp", "other-hcf", "psy" -> "OTHER_HOSPITAL";
                case "exp" -> "DIED";
                default -> "OTHER";
            };
        }

        // ------------------------------------------------------------ other resources

        Referral referral(ServiceRequest s) {
            String subject = subjectId(s.getIdentifier());
            Source source = source(s.getRequester(), "requester");
            PatientRef patient = patient(s.getSubject(), "subject");
            String status = s.hasStatus() ? s.getStatus().toCode() : "active";
            Action action = status.equals("revoked") || status.equals("entered-in-error") ? Action.CANCEL
                    : newOrUpdate();
            String priority = s.hasPriority() ? switch (s.getPriority().toCode()) {
                case "urgent", "asap", "stat" -> "URGENT";
                default -> "ROUTINE";
            } : null;
            String to = null;
            for (Reference performer : s.getPerformer()) {
                to = odsOf(performer);
                if (to != null) {
                    break;
                }
            }
            Instant at = s.hasAuthoredOn() ? s.getAuthoredOn().toInstant() : receivedAt;
            return Referral.newBuilder()
                    .setHeader(header("referral", action, subject, at, source, patient))
                    .setToOdsCode(to)
                    .setSpecialty(text(s.getCode()))
                    .setPriority(priority)
                    .setStatus(switch (status) {
                        case "completed" -> "COMPLETED";
                        case "revoked", "entered-in-error" -> "REJECTED";
                        default -> "OPEN";
                    })
                    .setReason(text(s.getReasonCodeFirstRep()))
                    .build();
        }

        Prescription prescription(MedicationRequest r) {
            String subject = subjectId(r.getIdentifier());
            Source source = source(r.getRequester(), "requester");
            PatientRef patient = patient(r.getSubject(), "subject");
            String medication = r.hasMedicationCodeableConcept() ? text(r.getMedicationCodeableConcept())
                    : r.hasMedicationReference() ? r.getMedicationReference().getDisplay() : null;
            if (medication == null) {
                throw problem("medication[x]", "is required: a medicationCodeableConcept with text or a coding display");
            }
            String status = r.hasStatus() ? r.getStatus().toCode() : "active";
            Action action = switch (status) {
                case "cancelled", "entered-in-error" -> Action.CANCEL;
                case "stopped", "completed" -> Action.UPDATE;
                default -> newOrUpdate();
            };
            boolean repeat = "continuous".equals(r.getCourseOfTherapyType().getCodingFirstRep().getCode())
                    || r.getDispenseRequest().getNumberOfRepeatsAllowed() > 0;
            Date ends = r.getDispenseRequest().getValidityPeriod().getEnd();
            Instant at = r.hasAuthoredOn() ? r.getAuthoredOn().toInstant() : receivedAt;
            return Prescription.newBuilder()
                    .setHeader(header("prescription", action, subject, at, source, patient))
                    .setMedication(medication)
                    .setDose(r.getDosageInstructionFirstRep().getText())
                    .setRoute(text(r.getDosageInstructionFirstRep().getRoute()))
                    .setRepeat(repeat)
                    .setEndsAt(ends == null ? null : ends.toInstant())
                    .build();
        }

        Appointment appointment(org.hl7.fhir.r4.model.Appointment a) {
            String subject = subjectId(a.getIdentifier());
            Reference patientRef = null;
            Reference orgRef = null;
            String practitioner = null;
            for (var participant : a.getParticipant()) {
                Reference actor = participant.getActor();
                String type = actorType(actor);
                if ("Patient".equals(type) && patientRef == null) {
                    patientRef = actor;
                } else if ("Organization".equals(type) && orgRef == null) {
                    orgRef = actor;
                } else if ("Practitioner".equals(type) && practitioner == null) {
                    practitioner = actor.getDisplay();
                }
            }
            if (patientRef == null) {
                throw problem("participant", "needs an actor that is the Patient (a reference to Patient, or an "
                        + "identifier with system " + NHS_NUMBER_SYSTEM + ")");
            }
            Source source = source(orgRef, "participant.actor(Organization)");
            PatientRef patient = patient(patientRef, "participant.actor");
            Instant start = required(a.getStart(), "start", "(when the appointment is)");
            String status = a.hasStatus() ? a.getStatus().toCode() : "booked";
            Action action = status.equals("entered-in-error") ? Action.CANCEL : newOrUpdate();
            Instant at = a.hasCreated() ? a.getCreated().toInstant() : receivedAt;
            return Appointment.newBuilder()
                    .setHeader(header("appointment", action, subject, at, source, patient))
                    .setStartsAt(start)
                    .setService(text(a.getServiceTypeFirstRep()))
                    .setPractitioner(practitioner)
                    .setStatus(switch (status) {
                        case "arrived", "checked-in", "fulfilled" -> "ATTENDED";
                        case "noshow" -> "DID_NOT_ATTEND";
                        case "cancelled", "entered-in-error" -> "CANCELLED";
                        default -> "BOOKED";
                    })
                    .build();
        }

        List<SpecificRecord> patientLink(Patient p) {
            PatientRef ids = identifiers(p.getIdentifier(), "identifier");
            if (ids.getNhsNumber() == null || ids.getLocalId() == null) {
                return List.of();
            }
            Source source = source(p.getManagingOrganization(), "managingOrganization");
            Instant at = receivedAt;
            LocalIdentifier local = ids.getLocalId();
            String subject = "identity/" + local.getSystem() + "|" + local.getValue();
            return List.of(PatientIdentity.newBuilder()
                    .setHeader(header("patient-identity", Action.NEW, subject, at, source, ids))
                    .setKind(IdentityKind.LINK)
                    .setNhsNumber(ids.getNhsNumber())
                    .setLocalId(local)
                    .setFamilyName(p.getNameFirstRep().getFamily())
                    .setGivenName(p.getNameFirstRep().getGivenAsSingleString().isBlank() ? null
                            : p.getNameFirstRep().getGivenAsSingleString())
                    .setBirthDate(p.hasBirthDate() ? p.getBirthDateElement().getValueAsCalendar().toZonedDateTime()
                            .toLocalDate() : null)
                    .setPostcode(p.getAddressFirstRep().getPostalCode())
                    .build());
        }

        // ------------------------------------------------------------ common parts

        private String subjectId(List<Identifier> identifiers) {
            for (Identifier id : identifiers) {
                if (id.hasValue() && !id.getValue().isBlank()) {
                    return id.getValue().trim();
                }
            }
            if (resource.hasIdElement() && resource.getIdElement().hasIdPart()
                    && !resource.getIdElement().getIdPart().startsWith("urn:")) {
                return resource.getIdElement().getIdPart();
            }
            throw problem("identifier", "is required: the provider's own id for this "
                    + resource.fhirType() + " (every later update or cancellation names the same id)");
        }

        private Source source(Reference organisation, String element) {
            String ods = organisation == null ? null : odsOf(organisation);
            if (ods != null) {
                String problem = OdsCode.problem(ods);
                if (problem != null) {
                    throw problem(element + ".identifier.value", problem);
                }
            } else if (settings.defaultOdsCode().isPresent()) {
                ods = settings.defaultOdsCode().get().value();
            } else {
                throw problem(element, "must identify the organisation by an identifier with system " + ODS_SYSTEM
                        + " (no default organisation is configured)");
            }
            String name = organisation != null && organisation.hasDisplay() ? organisation.getDisplay()
                    : settings.organisationName();
            return Source.newBuilder().setOdsCode(ods).setName(name).setKind(settings.providerKind())
                    .setSystem("fhir-r4").build();
        }

        private String odsOf(Reference reference) {
            if (reference.hasIdentifier() && ODS_SYSTEM.equals(reference.getIdentifier().getSystem())) {
                return reference.getIdentifier().getValue();
            }
            Resource target = resolver.resolve(resource, reference);
            if (target instanceof Organization org) {
                for (Identifier id : org.getIdentifier()) {
                    if (ODS_SYSTEM.equals(id.getSystem())) {
                        return id.getValue();
                    }
                }
            }
            return null;
        }

        private String actorType(Reference actor) {
            if (actor.hasType()) {
                return actor.getType();
            }
            if (actor.hasReference()) {
                Resource target = resolver.resolve(resource, actor);
                if (target != null) {
                    return target.fhirType();
                }
                String ref = actor.getReference();
                int slash = ref.indexOf('/');
                return slash > 0 ? ref.substring(0, slash) : null;
            }
            if (actor.hasIdentifier()) {
                String system = actor.getIdentifier().getSystem();
                if (NHS_NUMBER_SYSTEM.equals(system)) {
                    return "Patient";
                }
                if (ODS_SYSTEM.equals(system)) {
                    return "Organization";
                }
            }
            return null;
        }

        private PatientRef patient(Reference subject, String element) {
            if (subject == null || subject.isEmpty()) {
                throw problem(element, "is required: the Patient, with an NHS number (identifier system "
                        + NHS_NUMBER_SYSTEM + ") or a local identifier");
            }
            if (subject.hasIdentifier()) {
                return identifiers(List.of(subject.getIdentifier()), element + ".identifier");
            }
            Resource target = resolver.resolve(resource, subject);
            if (target instanceof Patient p) {
                return identifiers(p.getIdentifier(), element + ".resolve().identifier");
            }
            throw problem(element, "'" + subject.getReference() + "' cannot be resolved: reference a contained "
                    + "Patient, a Patient entry of the same Bundle, or give subject.identifier with the NHS number");
        }

        private PatientRef identifiers(List<Identifier> identifiers, String element) {
            String nhs = null;
            LocalIdentifier local = null;
            for (int i = 0; i < identifiers.size(); i++) {
                Identifier id = identifiers.get(i);
                if (!id.hasValue()) {
                    continue;
                }
                String where = identifiers.size() > 1 ? element + "[" + i + "]" : element;
                if (NHS_NUMBER_SYSTEM.equals(id.getSystem())) {
                    String problem = NhsNumber.problem(id.getValue());
                    if (problem != null) {
                        throw problem(where + ".value", problem);
                    }
                    nhs = nhs == null ? NhsNumber.of(id.getValue()).value() : nhs;
                } else if (local == null) {
                    if (!id.hasSystem()) {
                        throw problem(where + ".system", "is required for identifier '" + id.getValue()
                                + "': whose identifier is it?");
                    }
                    local = new LocalIdentifier(id.getSystem(), id.getValue());
                }
            }
            if (nhs == null && local == null) {
                throw problem(element, "has neither an NHS number (system " + NHS_NUMBER_SYSTEM
                        + ") nor another identifier with a system and value");
            }
            return new PatientRef(nhs, local);
        }

        private Action newOrUpdate() {
            String versionId = resource.getMeta().getVersionId();
            return versionId == null || versionId.equals("1") ? Action.NEW : Action.UPDATE;
        }

        private EventHeader header(String type, Action action, String subjectId, Instant occurredAt, Source source,
                                   PatientRef patient) {
            Instant recorded = resource.getMeta().hasLastUpdated() ? resource.getMeta().getLastUpdated().toInstant()
                    : receivedAt;
            long version = recorded.toEpochMilli();
            String seed = "fhir|" + type + "|" + source.getOdsCode() + "|" + subjectId + "|" + version + "|" + action;
            return EventHeader.newBuilder()
                    .setEventId(UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8)).toString())
                    .setAction(action)
                    .setSubjectId(subjectId)
                    .setVersion(version)
                    .setOccurredAt(occurredAt)
                    .setRecordedAt(recorded)
                    .setSource(source)
                    .setPatient(patient)
                    .setSensitivity(Sensitivity.NORMAL)
                    .build();
        }

        private Instant required(Date value, String element, String what) {
            if (value == null) {
                throw problem(element, "is required " + what);
            }
            return value.toInstant();
        }

        private FhirProblem problem(String element, String message) {
            return FhirProblem.unprocessable(path + "." + element, message);
        }
    }

    private static String text(CodeableConcept concept) {
        if (concept == null || concept.isEmpty()) {
            return null;
        }
        if (concept.hasText()) {
            return concept.getText();
        }
        for (Coding coding : concept.getCoding()) {
            if (coding.hasDisplay()) {
                return coding.getDisplay();
            }
        }
        return concept.getCodingFirstRep().getCode();
    }
}
