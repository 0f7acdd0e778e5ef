package org.caretrail.timeline.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.timeline.CareEventFixtures.T0;
import static org.caretrail.timeline.CareEventFixtures.admission;
import static org.caretrail.timeline.CareEventFixtures.appointment;
import static org.caretrail.timeline.CareEventFixtures.attendance;
import static org.caretrail.timeline.CareEventFixtures.discharge;
import static org.caretrail.timeline.CareEventFixtures.dmd;
import static org.caretrail.timeline.CareEventFixtures.header;
import static org.caretrail.timeline.CareEventFixtures.location;
import static org.caretrail.timeline.CareEventFixtures.nhs;
import static org.caretrail.timeline.CareEventFixtures.prescription;
import static org.caretrail.timeline.CareEventFixtures.referral;
import static org.caretrail.timeline.CareEventFixtures.registration;
import static org.caretrail.timeline.CareEventFixtures.transfer;

import ca.uhn.fhir.context.FhirContext;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.caretrail.events.access.Caller;
import org.caretrail.events.access.Role;
import org.caretrail.events.fhir.FhirSystems;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Coding;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.Prescription;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Referral;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.SocialCareEvent;
import org.caretrail.timeline.TimelineDriver;
import org.caretrail.timeline.query.TimelineQueries;
import org.hl7.fhir.r4.model.Appointment;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.EpisodeOfCare;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The FHIR read API over a timeline built by the real topology (TopologyTestDriver), asked over HTTP.
 * What each resource must say is worked out from the story and FHIR R4, not read from the code; every
 * resource served is validated with HAPI FHIR's validator (an error fails the test).
 *
 * <p>The story of one patient: registered with A81001 (T0-10d); an A&E attendance the day before
 * (T0-1d, four hours); admitted to AMU bay 2 bed 4 at T0 (emergency via A&E, general medicine 300), moved to Ward 12
 * at T0+1d, discharged home at T0+2d; a second admission at T0+3d that was cancelled; an open referral
 * to cardiology (T0+5d) and a RESTRICTED one (T0+6d); a repeat prescription of dm+d 42_ metformin at
 * T0+7d (no end) and an acute one that ended at T0+8d; an appointment at T0+10d; a social care package
 * started at T0+4d.
 */
class FhirReadApiTest {

    static final String PATIENT = nhs(701);
    static final String OTHER = nhs(702);
    static final String MERGED = nhs(703);
    static final FhirContext FHIR = FhirContext.forR4Cached();
    static final Caller CLINICIAN = new Caller("dr-a", "ehr", Caller.Verification.OIDC_TOKEN, Set.of(Role.CLINICIAN));
    static final Caller RESTRICTED_READER = new Caller("dr-b", "ehr", Caller.Verification.OIDC_TOKEN,
            Set.of(Role.CLINICIAN, Role.RESTRICTED_ACCESS));

    @TempDir
    Path stateDir;
    TimelineDriver t;
    HttpServer server;
    String base;
    volatile Caller caller = CLINICIAN;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        t = new TimelineDriver(stateDir);
        FhirReadApi api = new FhirReadApi(new TimelineQueries(t::reader), null, () -> true);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext(FhirReadApi.BASE, exchange -> {
            exchange.setAttribute(Caller.ATTRIBUTE, caller); // as the platform's access layer does
            api.handle(exchange);
        });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort() + FhirReadApi.BASE;
        Admission admitted = admission(PATIENT, "spell-1", Action.NEW, 1, T0, "AMU", "admit");
        admitted.setLocation(location("AMU", "Bay 2", "4", null));
        admitted.setAdmissionMethodCode(new Coding("https://fhir.hl7.org.uk/CodeSystem/UKCore-AdmissionMethodEngland",
                "21", "Emergency: via A&E"));
        admitted.setTreatmentFunctionCode(new Coding(
                "https://fhir.nhs.uk/CodeSystem/NHSDataModelAndDictionary-treatment-function", "300",
                "General internal medicine"));
        Discharge home = discharge(PATIENT, "dis-1", "spell-1", Action.NEW, 1, T0.plus(Duration.ofDays(2)), "HOME",
                "discharge");
        home.setDischargeDestinationCode(new Coding(
                "https://fhir.hl7.org.uk/CodeSystem/UKCore-DischargeDestinationEngland", "19",
                "Usual place of residence"));
        Referral restricted = referral(PATIENT, "ref-R", Action.NEW, 1, T0.plus(Duration.ofDays(6)), "OPEN", "refR");
        restricted.getHeader().setSensitivity(Sensitivity.RESTRICTED);
        Prescription repeat = prescription(PATIENT, "rx-1", Action.NEW, 1, T0.plus(Duration.ofDays(7)), null, "rx1");
        repeat.setMedicationCode(dmd("325278001", "Metformin 500mg tablets"));
        Prescription acute = prescription(PATIENT, "rx-2", Action.NEW, 1, T0.plus(Duration.ofDays(7)),
                T0.plus(Duration.ofDays(8)), "rx2");
        acute.setRepeat(false);
        t.publish(registration(PATIENT, "A81001", T0.minus(Duration.ofDays(10)), "REGISTERED", "reg"),
                departed(attendance(PATIENT, "ed-1", T0.minus(Duration.ofDays(1)), "att")),
                admitted,
                transfer(PATIENT, "tr-1", "spell-1", Action.NEW, 1, T0.plus(Duration.ofDays(1)), "AMU", "Ward 12",
                        "transfer"),
                home,
                admission(PATIENT, "spell-2", Action.NEW, 1, T0.plus(Duration.ofDays(3)), "AMU", "admit2"),
                admission(PATIENT, "spell-2", Action.CANCEL, 2, T0.plus(Duration.ofDays(3)), "AMU", "cancel2"),
                SocialCareEvent.newBuilder().setHeader(header(PATIENT, "Y00001", ProviderKind.SOCIAL_CARE, "pkg-1",
                        Action.NEW, 1, T0.plus(Duration.ofDays(4)), "pkg")).setKind("PACKAGE_START")
                        .setDescription("Reablement: two visits a day").setHoursPerWeek(7.0).build(),
                referral(PATIENT, "ref-1", Action.NEW, 1, T0.plus(Duration.ofDays(5)), "OPEN", "ref1"),
                restricted, repeat, acute,
                appointment(PATIENT, "A81001", ProviderKind.GP, "appt-1", Action.NEW, 1, T0.plus(Duration.ofDays(10)),
                        "appt"),
                registration(OTHER, "A81002", T0, "REGISTERED", "reg-other"),
                registration(MERGED, "A81001", T0, "REGISTERED", "reg-merged"),
                PatientIdentity.newBuilder().setHeader(header(OTHER, "RJ1", ProviderKind.ACUTE, "merge-" + MERGED,
                        Action.NEW, 1, T0.plus(Duration.ofDays(1)), "merge")).setKind(IdentityKind.MERGE)
                        .setNhsNumber(OTHER).setSupersededNhsNumber(MERGED).build());
    }

    static org.caretrail.events.model.Attendance departed(org.caretrail.events.model.Attendance a) {
        a.setDepartedAt(a.getHeader().getOccurredAt().plus(Duration.ofHours(4)));
        return a;
    }

    @AfterEach
    void stop() {
        server.stop(0);
        t.close();
    }

    HttpResponse<String> get(String pathAndQuery) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + pathAndQuery)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    <T extends Resource> T read(Class<T> type, String pathAndQuery) throws Exception {
        HttpResponse<String> response = get(pathAndQuery);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/fhir+json");
        T resource = FHIR.newJsonParser().parseResource(type, response.body());
        assertThat(FhirR4Validation.errors(resource)).as("FHIR R4 validation of " + pathAndQuery).isEmpty();
        return resource;
    }

    Bundle search(String pathAndQuery) throws Exception {
        Bundle bundle = read(Bundle.class, pathAndQuery);
        assertThat(bundle.getType()).isEqualTo(Bundle.BundleType.SEARCHSET);
        return bundle;
    }

    static String q(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    static <T extends Resource> List<T> of(Bundle bundle, Class<T> type) {
        return bundle.getEntry().stream().map(Bundle.BundleEntryComponent::getResource).filter(type::isInstance)
                .map(type::cast).toList();
    }

    @Test
    void everything_is_the_patient_and_each_care_item_once_and_all_validate() throws Exception {
        Bundle all = search("/Patient/" + PATIENT + "/$everything?_count=100");
        // 1 Patient; Encounters: the attendance, spell-1, the cancelled spell-2; 1 EpisodeOfCare; 1 referral
        // (the RESTRICTED one hidden); 2 prescriptions; 1 appointment
        assertThat(all.getTotal()).isEqualTo(9);
        assertThat(of(all, Patient.class)).hasSize(1);
        assertThat(of(all, Encounter.class)).hasSize(3);
        assertThat(of(all, EpisodeOfCare.class)).hasSize(1);
        assertThat(of(all, ServiceRequest.class)).hasSize(1);
        assertThat(of(all, MedicationRequest.class)).hasSize(2);
        assertThat(of(all, Appointment.class)).hasSize(1);
        for (Bundle.BundleEntryComponent entry : all.getEntry()) {
            Resource r = entry.getResource();
            assertThat(FhirR4Validation.errors(r)).as(r.fhirType() + "/" + r.getIdPart()).isEmpty();
            assertThat(entry.getFullUrl()).isEqualTo(base + "/" + r.fhirType() + "/" + r.getIdPart());
            // and each one reads back by its id, the same
            Resource again = read(r.getClass(), "/" + r.fhirType() + "/" + r.getIdPart());
            assertThat(again.getIdPart()).isEqualTo(r.getIdPart());
        }
    }

    @Test
    void a_hospital_spell_is_one_encounter_with_its_wards_and_a_cancelled_one_is_entered_in_error() throws Exception {
        Bundle encounters = search("/Encounter?patient=Patient/" + PATIENT);
        assertThat(encounters.getTotal()).isEqualTo(3);
        List<Encounter> list = of(encounters, Encounter.class);
        Encounter ae = list.get(0);
        assertThat(ae.getClass_().getCode()).isEqualTo("EMER");
        assertThat(ae.getReasonCodeFirstRep().getText()).isEqualTo("chest pain");

        Encounter spell = list.get(1);
        assertThat(spell.getStatus()).isEqualTo(Encounter.EncounterStatus.FINISHED);
        assertThat(spell.getClass_().getSystem()).isEqualTo("http://terminology.hl7.org/CodeSystem/v3-ActCode");
        assertThat(spell.getClass_().getCode()).isEqualTo("IMP");
        assertThat(spell.getPeriod().getStart().toInstant()).isEqualTo(T0);
        assertThat(spell.getPeriod().getEnd().toInstant()).isEqualTo(T0.plus(Duration.ofDays(2)));
        assertThat(spell.getSubject().getReference()).isEqualTo("Patient/" + PATIENT);
        assertThat(spell.getSubject().getIdentifier().getSystem()).isEqualTo(FhirSystems.NHS_NUMBER);
        assertThat(spell.getServiceProvider().getIdentifier().getSystem()).isEqualTo(FhirSystems.ODS_ORGANIZATION);
        assertThat(spell.getServiceProvider().getIdentifier().getValue()).isEqualTo("RJ1");
        assertThat(spell.getLocation()).hasSize(2);
        assertThat(spell.getLocation().get(0).getLocation().getDisplay()).isEqualTo("AMU Bay 2 bed 4, Main site");
        assertThat(spell.getLocation().get(0).getPeriod().getEnd().toInstant()).isEqualTo(T0.plus(Duration.ofDays(1)));
        assertThat(spell.getLocation().get(1).getLocation().getDisplay()).isEqualTo("Ward 12");
        assertThat(spell.getLocation().get(1).getStatus()).isEqualTo(Encounter.EncounterLocationStatus.COMPLETED);
        assertThat(spell.getServiceType().getCodingFirstRep().getCode()).isEqualTo("300");
        assertThat(spell.getHospitalization().getExtensionByUrl(FhirSystems.ADMISSION_METHOD_EXTENSION)).isNotNull();
        assertThat(spell.getHospitalization().getDischargeDisposition().getCodingFirstRep().getCode()).isEqualTo("19");

        Encounter cancelled = list.get(2);
        assertThat(cancelled.getStatus()).isEqualTo(Encounter.EncounterStatus.ENTEREDINERROR);
    }

    @Test
    void referrals_medications_social_care_and_appointments_say_what_their_events_said() throws Exception {
        ServiceRequest referral = of(search("/ServiceRequest?patient=" + PATIENT), ServiceRequest.class).get(0);
        assertThat(referral.getStatus()).isEqualTo(ServiceRequest.ServiceRequestStatus.ACTIVE);
        assertThat(referral.getIntent()).isEqualTo(ServiceRequest.ServiceRequestIntent.ORDER);
        assertThat(referral.getPriority()).isEqualTo(ServiceRequest.ServiceRequestPriority.ROUTINE);
        assertThat(referral.getCode().getText()).isEqualTo("Cardiology");
        assertThat(referral.getPerformerFirstRep().getIdentifier().getValue()).isEqualTo("RJ1");
        assertThat(referral.getRequester().getIdentifier().getValue()).isEqualTo("A81001");

        List<MedicationRequest> meds = of(search("/MedicationRequest?patient=" + PATIENT), MedicationRequest.class);
        MedicationRequest repeat = meds.stream().filter(m -> m.getMedicationCodeableConcept().hasCoding()).findFirst()
                .orElseThrow();
        assertThat(repeat.getMedicationCodeableConcept().getCodingFirstRep().getSystem()).isEqualTo("https://dmd.nhs.uk");
        assertThat(repeat.getMedicationCodeableConcept().getCodingFirstRep().getCode()).isEqualTo("325278001");
        assertThat(repeat.getStatus()).isEqualTo(MedicationRequest.MedicationRequestStatus.ACTIVE);
        assertThat(repeat.getCourseOfTherapyType().getCodingFirstRep().getCode()).isEqualTo("continuous");
        assertThat(repeat.getDosageInstructionFirstRep().getText()).isEqualTo("1 tablet twice daily");
        MedicationRequest acute = meds.stream().filter(m -> m != repeat).findFirst().orElseThrow();
        // ended at T0+8d, long before now
        assertThat(acute.getStatus()).isEqualTo(MedicationRequest.MedicationRequestStatus.COMPLETED);
        assertThat(acute.getCourseOfTherapyType().getCodingFirstRep().getCode()).isEqualTo("acute");

        EpisodeOfCare pkg = of(search("/EpisodeOfCare?patient=" + PATIENT), EpisodeOfCare.class).get(0);
        assertThat(pkg.getStatus()).isEqualTo(EpisodeOfCare.EpisodeOfCareStatus.ACTIVE);
        assertThat(pkg.getTypeFirstRep().getCodingFirstRep().getCode()).isEqualTo("PACKAGE_START");
        assertThat(pkg.getManagingOrganization().getIdentifier().getValue()).isEqualTo("Y00001");

        Appointment appt = of(search("/Appointment?patient=" + PATIENT), Appointment.class).get(0);
        assertThat(appt.getStatus()).isEqualTo(Appointment.AppointmentStatus.BOOKED);
        assertThat(appt.getStart().toInstant()).isEqualTo(T0.plus(Duration.ofDays(10)));
    }

    @Test
    void a_restricted_referral_is_served_only_to_a_caller_with_restricted_access() throws Exception {
        assertThat(search("/ServiceRequest?patient=" + PATIENT).getTotal()).isEqualTo(1);
        caller = RESTRICTED_READER;
        Bundle both = search("/ServiceRequest?patient=" + PATIENT);
        assertThat(both.getTotal()).isEqualTo(2);
        ServiceRequest restricted = of(both, ServiceRequest.class).get(1);
        assertThat(restricted.getMeta().getSecurity()).anyMatch(c -> c.getCode().equals("R"));
        String hiddenId = restricted.getIdPart();
        caller = CLINICIAN;
        HttpResponse<String> refused = get("/ServiceRequest/" + hiddenId);
        assertThat(refused.statusCode()).isEqualTo(404);
    }

    @Test
    void paging_follows_next_and_previous_links() throws Exception {
        Bundle first = search("/Encounter?patient=" + PATIENT + "&_count=2");
        assertThat(first.getTotal()).isEqualTo(3);
        assertThat(first.getEntry()).hasSize(2);
        assertThat(first.getLink("previous")).isNull();
        String next = first.getLink("next").getUrl();
        assertThat(next).startsWith(base + "/Encounter?");
        Bundle second = read(Bundle.class, next.substring(base.length()));
        assertThat(second.getEntry()).hasSize(1);
        assertThat(second.getLink("next")).isNull();
        assertThat(second.getLink("previous").getUrl()).contains("_page=0");
        assertThat(second.getEntryFirstRep().getResource().getIdPart())
                .isNotIn(first.getEntry().stream().map(e -> e.getResource().getIdPart()).toList());
    }

    @Test
    void date_and_last_updated_search_follow_fhir_prefixes() throws Exception {
        // only the A&E attendance (2026-10-31) has a part before 1 November
        assertThat(of(search("/Encounter?patient=" + PATIENT + "&date=lt2026-11-01"), Encounter.class))
                .extracting(e -> e.getClass_().getCode()).containsExactly("EMER");
        // spell-1 (1-3 Nov) reaches 3 November; the cancelled spell-2 (4 Nov, no end) too; the attendance does not
        assertThat(search("/Encounter?patient=" + PATIENT + "&date=ge2026-11-03").getTotal()).isEqualTo(2);
        // touching 1-2 November: spell-1 only (the attendance ended on 31 October, spell-2 began on the 4th)
        assertThat(search("/Encounter?patient=" + PATIENT + "&date=ge2026-11-01&date=le2026-11-02").getTotal())
                .isEqualTo(1);
        assertThat(search("/Encounter?patient=" + PATIENT + "&date=2026-11").getTotal()).isEqualTo(1);
        // prescriptions authored on 8 November
        assertThat(search("/MedicationRequest?patient=" + PATIENT + "&authoredon=2026-11-08").getTotal()).isEqualTo(2);
        assertThat(search("/MedicationRequest?patient=" + PATIENT + "&authoredon=2026-11-09").getTotal()).isZero();
        // recorded a minute after each event: the appointment's at T0+10d+1min
        Instant appt = T0.plus(Duration.ofDays(10)).plusSeconds(60);
        assertThat(search("/Appointment?patient=" + PATIENT + "&_lastUpdated=" + q("ge" + appt)).getTotal())
                .isEqualTo(1);
        assertThat(search("/Appointment?patient=" + PATIENT + "&_lastUpdated=" + q("gt" + appt)).getTotal()).isZero();
    }

    @Test
    void the_patient_by_nhs_number_by_identifier_and_a_merged_number() throws Exception {
        Patient patient = read(Patient.class, "/Patient/" + PATIENT);
        assertThat(patient.getIdentifierFirstRep().getSystem()).isEqualTo(FhirSystems.NHS_NUMBER);
        assertThat(patient.getIdentifierFirstRep().getValue()).isEqualTo(PATIENT);
        assertThat(patient.getGeneralPractitionerFirstRep().getIdentifier().getValue()).isEqualTo("A81001");
        assertThat(patient.getActive()).isTrue();

        Bundle byIdentifier = search("/Patient?identifier=" + q(FhirSystems.NHS_NUMBER + "|" + PATIENT));
        assertThat(byIdentifier.getTotal()).isEqualTo(1);
        assertThat(of(byIdentifier, Patient.class).get(0).getIdPart()).isEqualTo(PATIENT);

        Patient merged = read(Patient.class, "/Patient/" + MERGED);
        assertThat(merged.getActive()).isFalse();
        assertThat(merged.getLinkFirstRep().getType()).isEqualTo(Patient.LinkType.REPLACEDBY);
        assertThat(merged.getLinkFirstRep().getOther().getReference()).isEqualTo("Patient/" + OTHER);
        Patient survivor = read(Patient.class, "/Patient/" + OTHER);
        assertThat(survivor.getLink()).anyMatch(l -> l.getType() == Patient.LinkType.REPLACES
                && l.getOther().getReference().equals("Patient/" + MERGED));
        Bundle underOld = search("/Encounter?patient=" + MERGED);
        assertThat(underOld.getTotal()).isZero();
        assertThat(of(underOld, OperationOutcome.class).get(0).getIssueFirstRep().getDiagnostics()).contains(OTHER);
    }

    @Test
    void xml_when_asked_for() throws Exception {
        HttpResponse<String> response = get("/Encounter?patient=" + PATIENT + "&_format=xml");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/fhir+xml");
        Bundle bundle = FHIR.newXmlParser().parseResource(Bundle.class, response.body());
        assertThat(bundle.getTotal()).isEqualTo(3);
        assertThat(FhirR4Validation.errors(bundle)).isEmpty();
    }

    @Test
    void what_is_not_served_is_refused_with_an_operation_outcome() throws Exception {
        assertThat(get("/Encounter?patient=" + PATIENT + "&status=finished").statusCode()).isEqualTo(400);
        assertThat(get("/Encounter").statusCode()).isEqualTo(400);
        assertThat(get("/Encounter?patient=9990000019").statusCode()).isEqualTo(400);
        assertThat(get("/Encounter?patient=" + PATIENT + "&patient=" + OTHER).statusCode()).isEqualTo(400);
        assertThat(get("/Encounter?patient=" + PATIENT + "&date=yesterday").statusCode()).isEqualTo(400);
        assertThat(get("/Patient?identifier=" + q("https://other.example/id|123")).statusCode()).isEqualTo(400);
        assertThat(get("/Observation?patient=" + PATIENT).statusCode()).isEqualTo(404);
        assertThat(get("/Patient/" + nhs(799)).statusCode()).isEqualTo(404);
        HttpResponse<String> unknownId = get("/Encounter/" + PATIENT + "-0123456789abcdef0123456789abcdef");
        assertThat(unknownId.statusCode()).isEqualTo(404);
        OperationOutcome outcome = FHIR.newJsonParser().parseResource(OperationOutcome.class, unknownId.body());
        assertThat(outcome.getIssueFirstRep().getCode()).isEqualTo(OperationOutcome.IssueType.NOTFOUND);
        assertThat(get("/Encounter?patient=" + PATIENT + "&_format=text").statusCode()).isEqualTo(400);
    }

    @Test
    void the_audit_reads_the_patient_from_every_form_of_fhir_read() {
        assertThat(FhirReadApi.requestedPatient("/fhir/r4/Patient/" + PATIENT, null)).contains(PATIENT);
        assertThat(FhirReadApi.requestedPatient("/fhir/r4/Patient/" + PATIENT + "/$everything", null)).contains(PATIENT);
        assertThat(FhirReadApi.requestedPatient("/fhir/r4/Encounter/" + PATIENT + "-0123456789abcdef0123456789abcdef",
                null)).contains(PATIENT);
        assertThat(FhirReadApi.requestedPatient("/fhir/r4/Encounter", "patient=Patient%2F" + PATIENT)).contains(PATIENT);
        assertThat(FhirReadApi.requestedPatient("/fhir/r4/Patient", "identifier=" + q(FhirSystems.NHS_NUMBER + "|"
                + PATIENT))).contains(PATIENT);
        assertThat(FhirReadApi.requestedPatient("/fhir/r4/metadata", null)).isEmpty();
        assertThat(FhirReadApi.requestedPatient("/fhir/r4/Subscription/abc/$status", null)).isEmpty();
    }
}
