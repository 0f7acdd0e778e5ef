package org.caretrail.producers.fhir;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.AvroTrust;
import org.caretrail.events.CareEventValidator;
import org.caretrail.events.CareEvents;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.OdsCode;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Appointment;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.Death;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.Location;
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
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DomainResource;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Medication;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Meta;
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
 *   <li><b>Encounter</b>, class IMP/ACUTE/NONAC (inpatient) or SS (short stay: a day case), subjectId =
 *       identifier value (the spell, as PV1-19 on HL7v2, so both routes describe the same item):
 *     <ul>
 *       <li>status entered-in-error or cancelled → Admission CANCEL of the spell, and CANCEL of its
 *           pre-admission ({@code spell/pre-admit}): an Encounter cancelled before it began was planned;</li>
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
 *       cancelled CANCELLED; entered-in-error → CANCEL).</li>
 *   <li><b>Patient</b>: with an NHS number and another identifier → PatientIdentity LINK. Deceased
 *       ({@code deceasedDateTime}, or {@code deceasedBoolean = true}) → Death NEW, subjectId
 *       {@code death/<patient key>} (the NHS number, else {@code system|value}: one death item per patient
 *       per source), at deceasedDateTime (else when the source recorded it: the UK Core death notification's
 *       systemEffectiveDate, else meta.lastUpdated, else the time received); verified when the UK Core
 *       death notification status is 2 (formal: from the Registrar of Deaths); recordedBy = meta.source
 *       (the system that recorded the resource) when given. A correction → Death CANCEL of that item: the
 *       death notification status U (removed), or {@code deceasedBoolean = false} on a later version of the
 *       resource (meta.versionId above 1). {@code deceasedBoolean = false} on a first version says nothing
 *       new and gives no event.</li>
 *   <li><b>Location, Organization, Condition, Medication, Practitioner, PractitionerRole</b> in a Bundle
 *       give no event of their own: they are what the other entries' references resolve to.</li>
 * </ul>
 *
 * <h2>Coded data</h2>
 * Read from the code systems of {@link FhirCodes}: dm+d medicines (medicationCodeableConcept, or the
 * referenced Medication's code) → Prescription.medicationCode; SNOMED CT and ICD-10 reasons and diagnoses
 * (Encounter.reasonCode, then each Encounter.diagnosis's Condition.code by rank) → diagnoses (an A&amp;E
 * attendance: reasonCode is its chief complaint, chiefComplaintCode); the UK Core admission method
 * extension → admissionMethodCode (and admissionMethod ELECTIVE/EMERGENCY/MATERNITY/TRANSFER_IN/OTHER;
 * without it, from Encounter.priority as before); UK Core discharge destination (dischargeDisposition) and
 * discharge method (extension) → dischargeDestinationCode, dischargeMethodCode (and their words);
 * treatment function in Encounter.serviceType → treatmentFunctionCode; ServiceRequest.reasonCode →
 * Referral.reasonCode, a treatment function in code/category/performerType → specialtyCode. Encounter.class
 * → Admission.patientClass (INPATIENT; DAY_CASE for SS). Source of admission (admitSource) has no field in
 * the contract and is not carried. Locations: {@link FhirLocations}.
 *
 * <h2>Header</h2>
 * <p>The patient: the referenced Patient (contained, in the same Bundle by fullUrl, or a logical
 * reference by identifier); the NHS number is the identifier with system {@value #NHS_NUMBER_SYSTEM}, in
 * any spelling {@link NhsNumber} accepts. The organisation: an identifier with system {@value #ODS_SYSTEM}
 * on the resource's organisation reference, else the gateway's configured organisation. Sensitivity:
 * RESTRICTED when the resource's (or its Bundle's) meta.security has a v3 Confidentiality label R or V
 * ({@link FhirCodes#sensitivity}). Version = meta.lastUpdated, else the time received, in epoch
 * milliseconds; eventId a name-based UUID of type, organisation, subjectId, version, action and
 * meta.versionId, so an identical re-post gives the same event. {@code supersedes} is set by the gateway
 * only when the same request holds the earlier version ({@link SameRequestVersions}).
 */
public final class FhirMapper {

    public static final String NHS_NUMBER_SYSTEM = org.caretrail.events.fhir.FhirSystems.NHS_NUMBER;
    public static final String ODS_SYSTEM = org.caretrail.events.fhir.FhirSystems.ODS_ORGANIZATION;
    /** Resource types taken in a Bundle only as the targets of other entries' references. */
    static final Set<String> SUPPORTING_TYPES = Set.of("Location", "Organization", "Condition", "Medication",
            "Practitioner", "PractitionerRole");

    static {
        AvroTrust.install(); // the generated builders copy record-typed defaults (Coding lists) through Avro
    }

    private final FhirSettings settings;
    private final CareEventValidator validator = new CareEventValidator();

    public FhirMapper(FhirSettings settings) {
        this.settings = settings;
    }

    /**
     * What a request's references may point at: contained resources and the other entries of a
     * Bundle; and the Bundle's own security labels, which apply to every entry.
     */
    public static final class Resolver {
        private final Map<String, Resource> byUrl = new HashMap<>();
        private final Meta bundleMeta;

        private Resolver(Meta bundleMeta) {
            this.bundleMeta = bundleMeta;
        }

        public static Resolver of(Bundle bundle) {
            Resolver resolver = new Resolver(bundle == null ? null : bundle.getMeta()); // getMeta() is never null
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

        /** The enclosing Bundle's meta, or null for a resource posted on its own. */
        Meta bundleMeta() {
            return bundleMeta;
        }

        boolean inBundle() {
            return bundleMeta != null;
        }
    }

    /**
     * The events for {@code resource} (path is its FHIRPath prefix in error messages, e.g.
     * {@code Bundle.entry[2].resource}), each checked against the contract; empty for a resource that
     * states nothing to publish.
     *
     * @throws FhirProblem 422 naming every element at fault
     */
    public List<SpecificRecord> map(Resource resource, Resolver resolver, Instant receivedAt, String path) {
        if (!(resource instanceof DomainResource domain)) {
            throw FhirProblem.unprocessable(path, resource.fhirType() + " is not accepted: post Encounter, "
                    + "ServiceRequest, MedicationRequest, Appointment or Patient");
        }
        Mapping m = new Mapping(domain, resolver, receivedAt, path);
        List<SpecificRecord> events;
        if (resource instanceof Encounter e) {
            events = m.encounter(e);
        } else if (resource instanceof ServiceRequest s) {
            events = List.of(m.referral(s));
        } else if (resource instanceof MedicationRequest r) {
            events = List.of(m.prescription(r));
        } else if (resource instanceof org.hl7.fhir.r4.model.Appointment a) {
            events = List.of(m.appointment(a));
        } else if (resource instanceof Patient p) {
            events = m.patient(p);
        } else if (resolver.inBundle() && SUPPORTING_TYPES.contains(resource.fhirType())) {
            events = List.of();
        } else {
            throw FhirProblem.unprocessable(path, resource.fhirType() + " is not accepted: post Encounter, "
                    + "ServiceRequest, MedicationRequest, Appointment or Patient (and, in a Bundle, the "
                    + String.join(", ", SUPPORTING_TYPES.stream().sorted().toList()) + " they refer to)");
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

    /** Whether {@code resource} is one of the types the gateway takes on its own. */
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
        private final Sensitivity sensitivity;

        Mapping(DomainResource resource, Resolver resolver, Instant receivedAt, String path) {
            this.resource = resource;
            this.resolver = resolver;
            this.receivedAt = receivedAt;
            this.path = path;
            Sensitivity own = FhirCodes.sensitivity(resource.getMeta(), path);
            Sensitivity bundle = FhirCodes.sensitivity(resolver.bundleMeta(), "Bundle");
            this.sensitivity = own == Sensitivity.RESTRICTED || bundle == Sensitivity.RESTRICTED
                    ? Sensitivity.RESTRICTED : Sensitivity.NORMAL;
        }

        // ------------------------------------------------------------ Encounter

        List<SpecificRecord> encounter(Encounter e) {
            String cls = e.getClass_().getCode();
            if (cls == null) {
                throw problem("class", "is required: IMP (inpatient), SS (day case) or EMER (A&E)");
            }
            String spell = subjectId(e.getIdentifier());
            Source source = source(e.getServiceProvider(), "serviceProvider");
            PatientRef patient = patient(e.getSubject(), "subject");
            String status = e.hasStatus() ? e.getStatus().toCode() : null;
            if (status == null) {
                throw problem("status", "is required");
            }
            boolean cancelled = status.equals("entered-in-error") || status.equals("cancelled");
            return switch (cls.toUpperCase(Locale.ROOT)) {
                case "EMER" -> List.of(attendance(e, spell, source, patient, status, cancelled));
                case "IMP", "ACUTE", "NONAC" -> inpatient(e, "INPATIENT", spell, source, patient, status, cancelled);
                case "SS" -> inpatient(e, "DAY_CASE", spell, source, patient, status, cancelled);
                default -> throw problem("class", "'" + cls + "' is not mapped: CareTrail takes IMP/ACUTE/NONAC "
                        + "(inpatient), SS (day case) and EMER (A&E) encounters; post outpatient visits as Appointment");
            };
        }

        private SpecificRecord attendance(Encounter e, String visit, Source source, PatientRef patient, String status,
                                          boolean cancelled) {
            Instant arrived = required(e.getPeriod().getStart(), "period.start", "(arrival in A&E)");
            Encounter.EncounterLocationComponent place = e.getLocation().isEmpty() ? null : current(e.getLocation());
            Location location = place == null ? null : FhirLocations.of(resource, place.getLocation(), resolver);
            Attendance.Builder a = Attendance.newBuilder()
                    .setDepartment(place == null ? null : FhirLocations.ward(location, place.getLocation()))
                    .setLocation(location)
                    .setChiefComplaint(text(e.getReasonCodeFirstRep()))
                    .setChiefComplaintCode(FhirCodes.first(e.getReasonCodeFirstRep(), FhirCodes.DIAGNOSIS_SYSTEMS))
                    .setDiagnoses(FhirCodes.all(conditions(e), FhirCodes.DIAGNOSIS_SYSTEMS));
            if (cancelled) {
                return a.setHeader(header("attendance", Action.CANCEL, visit, arrived, source, patient)).build();
            }
            if (status.equals("finished")) {
                Instant departed = required(e.getPeriod().getEnd(), "period.end",
                        "(departure) of a finished A&E Encounter");
                return a.setHeader(header("attendance", Action.UPDATE, visit, arrived, source, patient))
                        .setDepartedAt(departed)
                        .setOutcome(attendanceOutcome(e))
                        .build();
            }
            return a.setHeader(header("attendance", newOrUpdate(), visit, arrived, source, patient)).build();
        }

        private List<SpecificRecord> inpatient(Encounter e, String patientClass, String spell, Source source,
                                               PatientRef patient, String status, boolean cancelled) {
            if (cancelled) {
                Instant start = e.getPeriod().hasStart() ? e.getPeriod().getStart().toInstant() : recordedAt();
                // a planned admission cancelled before its day: the cancel happened now, not on that day
                Instant at = start.isAfter(recordedAt()) ? recordedAt() : start;
                return List.of(
                        Admission.newBuilder()
                                .setHeader(header("admission", Action.CANCEL, spell, at, source, patient))
                                .setPatientClass(patientClass).build(),
                        Appointment.newBuilder()
                                .setHeader(header("appointment", Action.CANCEL, spell + "/pre-admit", recordedAt(),
                                        source, patient))
                                .setStartsAt(start).setService("planned admission").setStatus("CANCELLED").build());
            }
            List<Encounter.EncounterLocationComponent> locations = e.getLocation();
            if (status.equals("planned")) {
                Instant expected = required(e.getPeriod().getStart(), "period.start",
                        "(expected admission time) of a planned inpatient Encounter");
                return List.of(Appointment.newBuilder()
                        .setHeader(header("appointment", newOrUpdate(), spell + "/pre-admit", recordedAt(), source,
                                patient))
                        .setStartsAt(expected)
                        .setService(text(e.getServiceType()) == null ? "planned admission"
                                : "planned admission: " + text(e.getServiceType()))
                        .setStatus("BOOKED")
                        .build());
            }
            if (status.equals("finished")) {
                Instant end = required(e.getPeriod().getEnd(), "period.end",
                        "(discharge time) of a finished inpatient Encounter");
                Encounter.EncounterLocationComponent place = locations.isEmpty() ? null : current(locations);
                Location location = place == null ? null : FhirLocations.of(resource, place.getLocation(), resolver);
                CodeableConcept disposition = e.getHospitalization().getDischargeDisposition();
                var destinationCode = FhirCodes.first(disposition, FhirCodes.DISCHARGE_DESTINATION);
                var methodCode = FhirCodes.first(FhirCodes.extensionConcept(e.getHospitalization().getExtension(),
                        FhirCodes.DISCHARGE_METHOD_EXTENSION), FhirCodes.DISCHARGE_METHOD);
                return List.of(Discharge.newBuilder()
                        .setHeader(header("discharge", Action.NEW, spell + "/discharge", end, source, patient))
                        .setSpellId(spell)
                        .setDestination(destination(disposition, destinationCode))
                        .setDischargeDestinationCode(destinationCode)
                        .setDischargeMethod(methodCode != null ? FhirCodes.dischargeMethod(methodCode.getCode())
                                : text(disposition))
                        .setDischargeMethodCode(methodCode)
                        .setWard(place == null ? null : FhirLocations.ward(location, place.getLocation()))
                        .setLocation(location)
                        .build());
            }
            if (locations.size() >= 2) {
                int to = locations.indexOf(current(locations));
                Encounter.EncounterLocationComponent toLoc = locations.get(to);
                Encounter.EncounterLocationComponent fromLoc = locations.get(to == 0 ? 1 : to - 1);
                Instant moved = required(toLoc.getPeriod().getStart(), "location[" + to + "].period.start",
                        "(the transfer time) when the Encounter has a location history");
                Location from = FhirLocations.of(resource, fromLoc.getLocation(), resolver);
                Location toPlace = FhirLocations.of(resource, toLoc.getLocation(), resolver);
                return List.of(Transfer.newBuilder()
                        .setHeader(header("transfer", Action.NEW, spell + "/transfer/" + moved, moved, source,
                                patient))
                        .setSpellId(spell)
                        .setFromWard(FhirLocations.ward(from, fromLoc.getLocation()))
                        .setToWard(FhirLocations.ward(toPlace, toLoc.getLocation()))
                        .setToSite(toPlace == null || from != null && java.util.Objects.equals(from.getSite(),
                                toPlace.getSite()) ? null : toPlace.getSite())
                        .setFromLocation(from)
                        .setToLocation(toPlace)
                        .build());
            }
            Instant start = required(e.getPeriod().getStart(), "period.start", "(admission time)");
            Reference where = locations.isEmpty() ? null : locations.get(0).getLocation();
            Location location = FhirLocations.of(resource, where, resolver);
            var methodCode = admissionMethodCode(e);
            return List.of(Admission.newBuilder()
                    .setHeader(header("admission", newOrUpdate(), spell, start, source, patient))
                    .setWard(FhirLocations.ward(location, where))
                    .setSite(location == null ? null : location.getSite())
                    .setLocation(location)
                    .setSpecialty(text(e.getServiceType()))
                    .setTreatmentFunctionCode(FhirCodes.first(e.getServiceType(), FhirCodes.TREATMENT_FUNCTION))
                    .setAdmissionMethod(methodCode != null ? FhirCodes.admissionMethod(methodCode.getCode())
                            : admissionMethod(e))
                    .setAdmissionMethodCode(methodCode)
                    .setDiagnoses(diagnoses(e))
                    .setPatientClass(patientClass)
                    .setConsultant(e.getParticipantFirstRep().getIndividual().getDisplay())
                    .build());
        }

        private Encounter.EncounterLocationComponent current(List<Encounter.EncounterLocationComponent> locations) {
            for (int i = locations.size() - 1; i >= 0; i--) {
                if (locations.get(i).getStatus() == Encounter.EncounterLocationStatus.ACTIVE) {
                    return locations.get(i);
                }
            }
            return locations.get(locations.size() - 1);
        }

        /** The UK Core admission method extension's code (or such a code misplaced in admitSource). */
        private org.caretrail.events.model.Coding admissionMethodCode(Encounter e) {
            var coded = FhirCodes.first(FhirCodes.extensionConcept(e.getHospitalization().getExtension(),
                    FhirCodes.ADMISSION_METHOD_EXTENSION), FhirCodes.ADMISSION_METHOD);
            return coded != null ? coded
                    : FhirCodes.first(e.getHospitalization().getAdmitSource(), FhirCodes.ADMISSION_METHOD);
        }

        /** Without a coded admission method: from Encounter.priority (v3 ActPriority), else admitSource emd. */
        private String admissionMethod(Encounter e) {
            String code = e.getPriority().getCodingFirstRep().getCode();
            if (code == null) {
                return "emd".equals(e.getHospitalization().getAdmitSource().getCodingFirstRep().getCode())
                        ? "EMERGENCY" : null;
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

        private String destination(CodeableConcept disposition, org.caretrail.events.model.Coding coded) {
            if (coded != null) {
                return FhirCodes.dischargeDestination(coded.getCode());
            }
            String code = disposition.getCodingFirstRep().getCode();
            return code == null ? null : FhirCodes.hl7DischargeDestination(code);
        }

        /** The Conditions the Encounter's diagnoses refer to, by rank (unranked last), as their codes. */
        private List<CodeableConcept> conditions(Encounter e) {
            List<Encounter.DiagnosisComponent> ranked = new ArrayList<>(e.getDiagnosis());
            ranked.sort(Comparator.comparingInt(d -> d.hasRank() ? d.getRank() : Integer.MAX_VALUE));
            List<CodeableConcept> codes = new ArrayList<>();
            for (Encounter.DiagnosisComponent d : ranked) {
                if (d.hasCondition() && resolver.resolve(resource, d.getCondition()) instanceof Condition c) {
                    codes.add(c.getCode());
                }
            }
            return codes;
        }

        /** An admission's diagnoses: the reasons for it, then the diagnoses by rank. */
        private List<org.caretrail.events.model.Coding> diagnoses(Encounter e) {
            List<CodeableConcept> concepts = new ArrayList<>(e.getReasonCode());
            concepts.addAll(conditions(e));
            return FhirCodes.all(concepts, FhirCodes.DIAGNOSIS_SYSTEMS);
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
            List<CodeableConcept> specialties = new ArrayList<>();
            specialties.add(s.getCode());
            specialties.addAll(s.getCategory());
            specialties.add(s.getPerformerType());
            List<org.caretrail.events.model.Coding> specialty = FhirCodes.all(specialties,
                    Set.of(FhirCodes.TREATMENT_FUNCTION));
            Instant at = s.hasAuthoredOn() ? s.getAuthoredOn().toInstant() : receivedAt;
            return Referral.newBuilder()
                    .setHeader(header("referral", action, subject, at, source, patient))
                    .setToOdsCode(to)
                    .setSpecialty(text(s.getCode()))
                    .setSpecialtyCode(specialty.isEmpty() ? null : specialty.get(0))
                    .setPriority(priority)
                    .setStatus(switch (status) {
                        case "completed" -> "COMPLETED";
                        case "revoked", "entered-in-error" -> "REJECTED";
                        default -> "OPEN";
                    })
                    .setReason(text(s.getReasonCodeFirstRep()))
                    .setReasonCode(FhirCodes.first(s.getReasonCodeFirstRep(), FhirCodes.SNOMED_CT))
                    .build();
        }

        Prescription prescription(MedicationRequest r) {
            String subject = subjectId(r.getIdentifier());
            Source source = source(r.getRequester(), "requester");
            PatientRef patient = patient(r.getSubject(), "subject");
            CodeableConcept code = null;
            String medication = null;
            if (r.hasMedicationCodeableConcept()) {
                code = r.getMedicationCodeableConcept();
                medication = text(code);
            } else if (r.hasMedicationReference()) {
                Reference ref = r.getMedicationReference();
                if (resolver.resolve(resource, ref) instanceof Medication m) {
                    code = m.getCode();
                }
                medication = ref.hasDisplay() ? ref.getDisplay() : text(code);
            }
            if (medication == null) {
                throw problem("medication[x]", "is required: a medicationCodeableConcept with text or a coding display"
                        + " (or a Medication reference with a display, or to a Medication with a code)");
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
                    .setMedicationCode(FhirCodes.first(code, FhirCodes.DMD))
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

        // ------------------------------------------------------------ Patient: identity and death

        List<SpecificRecord> patient(Patient p) {
            PatientRef ids = identifiers(p.getIdentifier(), "identifier");
            List<SpecificRecord> events = new ArrayList<>(2);
            if (ids.getNhsNumber() != null && ids.getLocalId() != null) {
                Source source = source(p.getManagingOrganization(), "managingOrganization");
                LocalIdentifier local = ids.getLocalId();
                String subject = "identity/" + local.getSystem() + "|" + local.getValue();
                events.add(PatientIdentity.newBuilder()
                        .setHeader(header("patient-identity", Action.NEW, subject, receivedAt, source, ids))
                        .setKind(IdentityKind.LINK)
                        .setNhsNumber(ids.getNhsNumber())
                        .setLocalId(local)
                        .setFamilyName(p.getNameFirstRep().getFamily())
                        .setGivenName(p.getNameFirstRep().getGivenAsSingleString().isBlank() ? null
                                : p.getNameFirstRep().getGivenAsSingleString())
                        .setBirthDate(p.hasBirthDate() ? p.getBirthDateElement().getValueAsCalendar()
                                .toZonedDateTime().toLocalDate() : null)
                        .setPostcode(p.getAddressFirstRep().getPostalCode())
                        .build());
            }
            SpecificRecord death = death(p, ids);
            if (death != null) {
                events.add(death);
            }
            return events;
        }

        /** The Death the Patient states, a CANCEL of one it corrects, or null. */
        private SpecificRecord death(Patient p, PatientRef ids) {
            Extension notification = p.getExtensionByUrl(FhirCodes.DEATH_NOTIFICATION_EXTENSION);
            String notificationStatus = null;
            Date effective = null;
            if (notification != null) {
                Extension status = notification.getExtensionByUrl("deathNotificationStatus");
                if (status != null && status.getValue() instanceof CodeableConcept concept) {
                    var coded = FhirCodes.first(concept, FhirCodes.DEATH_NOTIFICATION_STATUS);
                    notificationStatus = coded == null ? null : coded.getCode();
                }
                Extension when = notification.getExtensionByUrl("systemEffectiveDate");
                if (when != null && when.getValue() instanceof DateTimeType dt) {
                    effective = dt.getValue();
                }
            }
            boolean deceased = p.hasDeceasedDateTimeType() || p.hasDeceasedBooleanType()
                    && p.getDeceasedBooleanType().booleanValue();
            boolean removed = "U".equals(notificationStatus);
            boolean corrected = p.hasDeceasedBooleanType() && !p.getDeceasedBooleanType().booleanValue()
                    && isLaterVersion();
            if (!removed && !corrected && !deceased) {
                return null;
            }
            Source source = source(p.getManagingOrganization(), "managingOrganization");
            String subject = "death/" + CareEvents.patientKey(ids);
            Instant recorded = effective != null ? effective.toInstant() : recordedAt();
            Instant died = p.hasDeceasedDateTimeType() && p.getDeceasedDateTimeType().getValue() != null
                    ? p.getDeceasedDateTimeType().getValue().toInstant() : recorded;
            Action action = removed || corrected ? Action.CANCEL : newOrUpdate();
            return Death.newBuilder()
                    .setHeader(header("death", action, subject, died, source, ids))
                    .setVerified(!removed && !corrected && "2".equals(notificationStatus))
                    .setRecordedBy(p.getMeta().hasSource() ? p.getMeta().getSource() : null)
                    .build();
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

        /** The NHS number (canonical, by {@link NhsNumber}) and the first other identifier. */
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

        private boolean isLaterVersion() {
            String versionId = resource.getMeta().getVersionId();
            return versionId != null && !versionId.equals("1");
        }

        private Action newOrUpdate() {
            return isLaterVersion() ? Action.UPDATE : Action.NEW;
        }

        /** When the source recorded this version: meta.lastUpdated, else when it reached the gateway. */
        private Instant recordedAt() {
            return resource.getMeta().hasLastUpdated() ? resource.getMeta().getLastUpdated().toInstant() : receivedAt;
        }

        private EventHeader header(String type, Action action, String subjectId, Instant occurredAt, Source source,
                                   PatientRef patient) {
            Instant recorded = recordedAt();
            long version = recorded.toEpochMilli();
            String versionId = resource.getMeta().getVersionId();
            String seed = "fhir|" + type + "|" + source.getOdsCode() + "|" + subjectId + "|" + version + "|" + action
                    + (versionId == null ? "" : "|" + versionId);
            return EventHeader.newBuilder()
                    .setEventId(UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8)).toString())
                    .setAction(action)
                    .setSubjectId(subjectId)
                    .setVersion(version)
                    .setOccurredAt(occurredAt)
                    .setRecordedAt(recorded)
                    .setSource(source)
                    .setPatient(PatientRef.newBuilder(patient).build())
                    .setSensitivity(sensitivity)
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
