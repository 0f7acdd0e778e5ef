package org.caretrail.producers.fhir;

import ca.uhn.fhir.context.FhirContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Date;
import java.util.concurrent.CompletableFuture;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.Prescription;
import org.caretrail.events.model.Referral;
import org.caretrail.events.model.Transfer;
import org.caretrail.producers.simulator.EventSink;
import org.hl7.fhir.r4.model.Appointment;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DomainResource;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;

/**
 * An {@link EventSink} that posts care events as FHIR R4 resources to a gateway
 * ({@link FhirGateway}), the way an EPR speaking FHIR would: Referral → ServiceRequest,
 * Prescription → MedicationRequest, Appointment → Appointment, Admission / Transfer / Discharge →
 * Encounter (class IMP), Attendance → Encounter (class EMER). A send completes on 200/201 and fails
 * with the OperationOutcome's diagnostics otherwise; a 503 with Retry-After is retried after the time it
 * says (up to {@value #RETRIES} times). For the simulator, so part of its traffic goes through the real
 * gateway.
 *
 * <p>The patient travels as a contained Patient with both identifiers; the organisation as an ODS
 * identifier; meta.lastUpdated = recordedAt (the gateway's version). Cancelling a transfer or a
 * discharge has no FHIR form here (an entered-in-error Encounter withdraws the admission): such
 * events fail; route them to Kafka or MLLP.
 */
public final class FhirEventSink implements EventSink {

    private static final FhirContext FHIR = FhirContext.forR4Cached();
    private static final String SUBJECT_SYSTEM = "urn:caretrail:subject";

    private final URI base;
    private final HttpClient http;
    private final String authorization;

    /** {@code base} is the gateway's root, e.g. {@code http://127.0.0.1:8080/fhir/r4}. */
    public FhirEventSink(URI base) {
        this(base, null);
    }

    /** As {@link #FhirEventSink(URI)}, sending {@code authorization} (e.g. {@code Bearer ...}) if not null. */
    public FhirEventSink(URI base, String authorization) {
        this.authorization = authorization;
        this.base = URI.create(base.toString().endsWith("/") ? base.toString() : base + "/");
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    @Override
    public CompletableFuture<Integer> send(SpecificRecord event) {
        Resource resource;
        try {
            resource = toFhir(event);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        HttpRequest.Builder builder = HttpRequest.newBuilder(base.resolve(resource.fhirType()))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/fhir+json")
                .POST(HttpRequest.BodyPublishers.ofString(FHIR.newJsonParser().encodeResourceToString(resource)));
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        return send(builder.build(), RETRIES);
    }

    /** A 503 with Retry-After (the gateway busy, or Kafka slow) is retried after it says, at most this often. */
    static final int RETRIES = 3;

    private CompletableFuture<Integer> send(HttpRequest request, int retriesLeft) {
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenCompose(response -> {
            if (response.statusCode() == 200 || response.statusCode() == 201) {
                return CompletableFuture.completedFuture(response.statusCode());
            }
            var retryAfter = response.headers().firstValue("Retry-After");
            if (response.statusCode() == 503 && retryAfter.isPresent() && retriesLeft > 0) {
                long seconds = Math.min(30, Math.max(1, parseSeconds(retryAfter.get())));
                return CompletableFuture.supplyAsync(() -> request,
                                CompletableFuture.delayedExecutor(seconds, java.util.concurrent.TimeUnit.SECONDS))
                        .thenCompose(again -> send(again, retriesLeft - 1));
            }
            return CompletableFuture.failedFuture(new IllegalStateException("FHIR gateway answered "
                    + response.statusCode() + ": " + diagnostics(response.body())));
        });
    }

    private static long parseSeconds(String retryAfter) {
        try {
            return Long.parseLong(retryAfter.trim());
        } catch (NumberFormatException e) {
            return 1; // an HTTP date: wait the least
        }
    }

    @Override
    public String name() {
        return "fhir";
    }

    private static String diagnostics(String body) {
        try {
            OperationOutcome outcome = FHIR.newJsonParser().parseResource(OperationOutcome.class, body);
            return String.join("; ", outcome.getIssue().stream()
                    .map(OperationOutcome.OperationOutcomeIssueComponent::getDiagnostics).toList());
        } catch (RuntimeException e) {
            return body;
        }
    }

    /** The FHIR resource an EPR would post for {@code event}. */
    public static Resource toFhir(SpecificRecord event) {
        EventHeader h = CareEvents.header(event);
        Action action = h.getAction();
        DomainResource resource;
        if (event instanceof Referral r) {
            ServiceRequest s = new ServiceRequest();
            s.addIdentifier().setSystem(SUBJECT_SYSTEM).setValue(h.getSubjectId());
            s.setStatus(action == Action.CANCEL ? ServiceRequest.ServiceRequestStatus.REVOKED
                    : "COMPLETED".equals(r.getStatus()) ? ServiceRequest.ServiceRequestStatus.COMPLETED
                    : ServiceRequest.ServiceRequestStatus.ACTIVE);
            s.setIntent(ServiceRequest.ServiceRequestIntent.ORDER);
            if (r.getPriority() != null) {
                s.setPriority("ROUTINE".equals(r.getPriority()) ? ServiceRequest.ServiceRequestPriority.ROUTINE
                        : ServiceRequest.ServiceRequestPriority.URGENT);
            }
            s.getCode().setText(r.getSpecialty());
            if (r.getReason() != null) {
                s.addReasonCode().setText(r.getReason());
            }
            s.setSubject(new Reference("#patient"));
            s.setRequester(ods(h.getSource().getOdsCode(), h.getSource().getName()));
            if (r.getToOdsCode() != null) {
                s.addPerformer(ods(r.getToOdsCode(), null));
            }
            s.setAuthoredOn(Date.from(h.getOccurredAt()));
            resource = s;
        } else if (event instanceof Prescription p) {
            MedicationRequest m = new MedicationRequest();
            m.addIdentifier().setSystem(SUBJECT_SYSTEM).setValue(h.getSubjectId());
            m.setStatus(action == Action.CANCEL ? MedicationRequest.MedicationRequestStatus.CANCELLED
                    : MedicationRequest.MedicationRequestStatus.ACTIVE);
            m.setIntent(MedicationRequest.MedicationRequestIntent.ORDER);
            m.getMedicationCodeableConcept().setText(p.getMedication());
            if (p.getDose() != null || p.getRoute() != null) {
                var dosage = m.addDosageInstruction().setText(p.getDose());
                if (p.getRoute() != null) {
                    dosage.getRoute().setText(p.getRoute());
                }
            }
            if (p.getRepeat()) {
                m.getCourseOfTherapyType().addCoding().setSystem(
                        "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy").setCode("continuous");
            }
            if (p.getEndsAt() != null) {
                m.getDispenseRequest().getValidityPeriod().setEnd(Date.from(p.getEndsAt()));
            }
            m.setSubject(new Reference("#patient"));
            m.setRequester(ods(h.getSource().getOdsCode(), h.getSource().getName()));
            m.setAuthoredOn(Date.from(h.getOccurredAt()));
            resource = m;
        } else if (event instanceof org.caretrail.events.model.Appointment a) {
            Appointment f = new Appointment();
            f.addIdentifier().setSystem(SUBJECT_SYSTEM).setValue(h.getSubjectId());
            f.setStatus(action == Action.CANCEL ? Appointment.AppointmentStatus.ENTEREDINERROR
                    : a.getStatus() == null ? Appointment.AppointmentStatus.BOOKED : switch (a.getStatus()) {
                        case "ATTENDED" -> Appointment.AppointmentStatus.FULFILLED;
                        case "DID_NOT_ATTEND" -> Appointment.AppointmentStatus.NOSHOW;
                        case "CANCELLED" -> Appointment.AppointmentStatus.CANCELLED;
                        default -> Appointment.AppointmentStatus.BOOKED;
                    });
            f.setStart(Date.from(a.getStartsAt()));
            f.setCreated(Date.from(h.getOccurredAt()));
            if (a.getService() != null) {
                f.addServiceType().setText(a.getService());
            }
            f.addParticipant().setActor(new Reference("#patient").setType("Patient"));
            f.addParticipant().setActor(ods(h.getSource().getOdsCode(), h.getSource().getName())
                    .setType("Organization"));
            if (a.getPractitioner() != null) {
                f.addParticipant().setActor(new Reference().setType("Practitioner").setDisplay(a.getPractitioner()));
            }
            resource = f;
        } else if (event instanceof Admission a) {
            Encounter e = encounter(h, "IMP", h.getSubjectId());
            e.setStatus(action == Action.CANCEL ? Encounter.EncounterStatus.ENTEREDINERROR
                    : Encounter.EncounterStatus.INPROGRESS);
            e.getPeriod().setStart(Date.from(h.getOccurredAt()));
            if (a.getWard() != null) {
                e.addLocation().setStatus(Encounter.EncounterLocationStatus.ACTIVE)
                        .setLocation(new Reference().setDisplay(a.getWard()));
            }
            if (a.getSpecialty() != null) {
                e.getServiceType().setText(a.getSpecialty());
            }
            if ("EMERGENCY".equals(a.getAdmissionMethod()) || "ELECTIVE".equals(a.getAdmissionMethod())) {
                e.getPriority().addCoding().setSystem("http://terminology.hl7.org/CodeSystem/v3-ActPriority")
                        .setCode("EMERGENCY".equals(a.getAdmissionMethod()) ? "EM" : "EL");
            }
            if (a.getConsultant() != null) {
                e.addParticipant().getIndividual().setDisplay(a.getConsultant());
            }
            resource = e;
        } else if (event instanceof Transfer t && action != Action.CANCEL) {
            Encounter e = encounter(h, "IMP", t.getSpellId());
            e.setStatus(Encounter.EncounterStatus.INPROGRESS);
            e.addLocation().setStatus(Encounter.EncounterLocationStatus.COMPLETED)
                    .setLocation(new Reference().setDisplay(t.getFromWard())).getPeriod()
                    .setEnd(Date.from(h.getOccurredAt()));
            e.addLocation().setStatus(Encounter.EncounterLocationStatus.ACTIVE)
                    .setLocation(new Reference().setDisplay(t.getToWard())).getPeriod()
                    .setStart(Date.from(h.getOccurredAt()));
            resource = e;
        } else if (event instanceof Discharge d && action != Action.CANCEL) {
            Encounter e = encounter(h, "IMP", d.getSpellId());
            e.setStatus(Encounter.EncounterStatus.FINISHED);
            e.getPeriod().setEnd(Date.from(h.getOccurredAt()));
            String code = d.getDestination() == null ? null : switch (d.getDestination()) {
                case "HOME" -> "home";
                case "CARE_HOME" -> "snf";
                case "OTHER_HOSPITAL" -> "other-hcf";
                case "DIED" -> "exp";
                default -> "oth";
            };
            if (code != null) {
                e.getHospitalization().getDischargeDisposition().addCoding()
                        .setSystem("http://terminology.hl7.org/CodeSystem/discharge-disposition").setCode(code);
            }
            if (d.getWard() != null) {
                e.addLocation().setStatus(Encounter.EncounterLocationStatus.ACTIVE)
                        .setLocation(new Reference().setDisplay(d.getWard()));
            }
            resource = e;
        } else if (event instanceof Attendance a) {
            Encounter e = encounter(h, "EMER", h.getSubjectId());
            e.setStatus(action == Action.CANCEL ? Encounter.EncounterStatus.ENTEREDINERROR
                    : a.getDepartedAt() != null ? Encounter.EncounterStatus.FINISHED
                    : Encounter.EncounterStatus.INPROGRESS);
            e.getPeriod().setStart(Date.from(h.getOccurredAt()));
            if (a.getDepartedAt() != null) {
                e.getPeriod().setEnd(Date.from(a.getDepartedAt()));
            }
            if (a.getDepartment() != null) {
                e.addLocation().setLocation(new Reference().setDisplay(a.getDepartment()));
            }
            if (a.getChiefComplaint() != null) {
                e.addReasonCode().setText(a.getChiefComplaint());
            }
            resource = e;
        } else {
            throw new IllegalArgumentException(event.getSchema().getName() + " " + action
                    + " is not sent over FHIR: route referrals, prescriptions, appointments, admissions, transfers, "
                    + "discharges and A&E attendances (not transfer or discharge cancellations) to the FHIR sink");
        }
        resource.addContained(patient(h.getPatient()));
        resource.getMeta().setLastUpdated(Date.from(h.getRecordedAt()));
        if (action == Action.UPDATE) {
            resource.getMeta().setVersionId("2");
        }
        return resource;
    }

    private static Encounter encounter(EventHeader h, String cls, String identifier) {
        Encounter e = new Encounter();
        e.addIdentifier().setSystem(SUBJECT_SYSTEM).setValue(identifier);
        e.setClass_(new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", cls, null));
        e.setSubject(new Reference("#patient"));
        e.setServiceProvider(ods(h.getSource().getOdsCode(), h.getSource().getName()));
        return e;
    }

    private static Patient patient(PatientRef ref) {
        Patient p = new Patient();
        p.setId("patient");
        if (ref.getNhsNumber() != null) {
            p.addIdentifier().setSystem(FhirMapper.NHS_NUMBER_SYSTEM).setValue(ref.getNhsNumber());
        }
        if (ref.getLocalId() != null) {
            p.addIdentifier().setSystem(ref.getLocalId().getSystem()).setValue(ref.getLocalId().getValue());
        }
        return p;
    }

    private static Reference ods(String code, String name) {
        return new Reference().setIdentifier(new Identifier().setSystem(FhirMapper.ODS_SYSTEM).setValue(code))
                .setDisplay(name);
    }
}
