package org.caretrail.producers.simulator;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.AmbulanceConveyance;
import org.caretrail.events.model.Appointment;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.Death;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.GpRegistration;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.Prescription;
import org.caretrail.events.model.Referral;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.SocialCareEvent;
import org.caretrail.events.model.Transfer;

/**
 * Generates one patient's care over the simulated window, as the events the organisations involved
 * would send, each with the time it reaches CareTrail. Deterministic for the patient's random source.
 */
final class PathwayGenerator {

    /** How far back the simulated history reaches. */
    static final Duration WINDOW = Duration.ofDays(180);

    static {
        org.caretrail.events.AvroTrust.install(); // the builders check nested records (Coding) by class
    }

    /** One event and when it arrives (its recordedAt, or later for a resent duplicate). */
    record Scheduled(Instant arrival, int patientIndex, int sequence, SpecificRecord event, Instant happensAt) {
        static final Comparator<Scheduled> ARRIVAL_ORDER = Comparator.comparing(Scheduled::arrival)
                .thenComparingInt(Scheduled::patientIndex).thenComparingInt(Scheduled::sequence);
    }

    private record Complaint(String text, String specialty, String ward) {
    }

    /**
     * A medicine as GP and hospital systems send it; {@code dmd} is its NHS dm+d code where we could
     * check it against NHS England's published examples (the others go by name alone, as many
     * systems still send them: the timeline then groups them by name).
     */
    private record Medication(String name, String dose, String route, String dmd) {
        Medication(String name, String dose, String route) {
            this(name, dose, route, null);
        }

        org.caretrail.events.model.Coding code() {
            return dmd == null ? null : org.caretrail.events.model.Coding.newBuilder().setSystem(DMD).setCode(dmd)
                    .setDisplay(name).build();
        }
    }

    /** The dm+d code system (UK Core: Medication.code.coding.system). */
    static final String DMD = "https://dmd.nhs.uk";

    private record Specialty(String name, String reason, String priority, boolean dayCase) {
    }

    private static final List<Complaint> COMPLAINTS = List.of(
            new Complaint("Shortness of breath", "Respiratory medicine", "Ward 7 (Respiratory)"),
            new Complaint("Chest pain", "Cardiology", "Ward 3 (Cardiology)"),
            new Complaint("Fall with hip pain", "Trauma and orthopaedics", "Ward 21 (Orthopaedics)"),
            new Complaint("New confusion", "Geriatric medicine", "Ward 12 (Care of the Elderly)"),
            new Complaint("Abdominal pain", "General surgery", "Ward 9 (Surgical)"),
            new Complaint("Suspected sepsis", "General medicine", "Ward 14 (General Medicine)"),
            new Complaint("Stroke symptoms", "Stroke medicine", "Stroke Unit"));
    private static final List<Medication> REPEATS = List.of(
            new Medication("Amlodipine 5mg tablets", "5mg once daily", "ORAL", "319283006"),
            new Medication("Atorvastatin 20mg tablets", "20mg at night", "ORAL"),
            new Medication("Metformin 500mg tablets", "500mg twice daily", "ORAL"),
            new Medication("Ramipril 2.5mg capsules", "2.5mg once daily", "ORAL"),
            new Medication("Levothyroxine 50microgram tablets", "50micrograms each morning", "ORAL"),
            new Medication("Sertraline 50mg tablets", "50mg once daily", "ORAL"),
            new Medication("Salbutamol 100micrograms/dose inhaler", "2 puffs when required", "INHALED"),
            new Medication("Omeprazole 20mg capsules", "20mg once daily", "ORAL"));
    private static final List<Medication> DISCHARGE_MEDS = List.of(
            new Medication("Amoxicillin 500mg capsules", "500mg three times daily for 7 days", "ORAL",
                    "39732411000001106"),
            new Medication("Co-codamol 30mg/500mg tablets", "2 tablets four times daily when required", "ORAL"),
            new Medication("Furosemide 40mg tablets", "40mg each morning", "ORAL", "317972000"),
            new Medication("Apixaban 5mg tablets", "5mg twice daily", "ORAL"));
    private static final List<Specialty> SPECIALTIES = List.of(
            new Specialty("Dermatology", "Changing pigmented lesion", "TWO_WEEK_WAIT", false),
            new Specialty("Gastroenterology", "Change in bowel habit", "TWO_WEEK_WAIT", false),
            new Specialty("Cardiology", "Palpitations", "URGENT", false),
            new Specialty("Trauma and orthopaedics", "Knee osteoarthritis", "ROUTINE", true),
            new Specialty("Ophthalmology", "Cataract", "ROUTINE", true),
            new Specialty("ENT", "Hearing loss", "ROUTINE", false));
    private static final List<String> CONSULTANTS = List.of("Dr R Okafor", "Dr S Whitfield", "Dr A Chaudhry",
            "Dr M Lindqvist", "Dr J Mensah", "Dr E Kowalczyk", "Dr H Tanaka");
    private static final List<String> GPS = List.of("Dr L Hartley", "Dr N Osei", "Dr P Rahman", "Dr C Doyle");

    private final SyntheticPatient patient;
    private final SplittableRandom random;
    private final Instant now;
    private final SimulationProfile profile;
    private final List<Scheduled> out = new ArrayList<>();
    private final int age;
    private int subjectCounter;
    private int sequence;
    private Instant deathAt;
    private Instant lastHappensAt;
    private final java.util.Map<String, Instant> recordedBySubject = new java.util.HashMap<>();

    PathwayGenerator(SyntheticPatient patient, SplittableRandom random, Instant now, SimulationProfile profile) {
        this.patient = patient;
        this.random = random;
        this.now = now;
        this.profile = profile;
        this.age = (int) ChronoUnit.YEARS.between(patient.birthDate(), LocalDate.ofInstant(now, ZoneOffset.UTC));
    }

    /** The patient's events, sorted by arrival. */
    List<Scheduled> generate() {
        registration();
        Instant windowStart = now.minus(WINDOW);
        List<Runnable> episodes = new ArrayList<>();
        List<Instant> starts = new ArrayList<>();
        int emergencies = chance(age >= 75 ? 0.35 : 0.2) ? (chance(0.2) ? 2 : 1) : 0;
        for (int i = 0; i < emergencies; i++) {
            Instant start = randomTimeBetween(windowStart, now.minus(Duration.ofHours(1)));
            starts.add(start);
            episodes.add(() -> emergency(start));
        }
        if (chance(0.25)) {
            Instant start = randomTimeBetween(windowStart, now.minus(Duration.ofDays(1)));
            starts.add(start);
            episodes.add(() -> electiveReferral(start));
        }
        if (age >= 16 && age < 70 && chance(0.07)) {
            Instant start = randomTimeBetween(windowStart, now.minus(Duration.ofDays(1)));
            starts.add(start);
            episodes.add(() -> mentalHealth(start));
        }
        if (age >= 70 && chance(0.08)) {
            Instant start = randomTimeBetween(windowStart, now.minus(Duration.ofDays(1)));
            starts.add(start);
            String service = pick(List.of("District nursing: leg ulcer care", "District nursing: wound care",
                    "Community continence review"));
            episodes.add(() -> communityNursing(start, service));
        }
        // in start order, so an in-hospital death ends the story for later episodes
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < episodes.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparing(starts::get));
        for (int i : order) {
            if (deathAt == null || starts.get(i).isBefore(deathAt)) {
                episodes.get(i).run();
            }
        }
        if (chance(age >= 60 ? 0.6 : 0.25)) {
            repeatPrescription(randomTimeBetween(windowStart.minus(Duration.ofDays(365)), now.minus(Duration.ofDays(2))));
        }
        if (deathAt == null) {
            deathAtHome();
        }
        if (deathAt != null) {
            Instant death = deathAt;
            out.removeIf(s -> s.happensAt().isAfter(death));
        }
        linksArriveAfterTheEventsTheyLink();
        out.sort(Scheduled.ARRIVAL_ORDER);
        return out;
    }

    // ---- pathways ------------------------------------------------------------------------------

    private void registration() {
        CareProvider practice = patient.practice();
        Instant birth = patient.birthDate().atTime(9, 0).toInstant(ZoneOffset.UTC);
        // newborns are registered within weeks of birth; everyone else some time in the last 25 years
        Instant registeredAt = earlier(later(birth.plus(Duration.ofDays(20)),
                workingTime(now.minus(Duration.ofDays(random.nextLong(30, 365L * 25))))), now.minus(Duration.ofHours(1)));
        if (registeredAt.isBefore(birth)) {
            registeredAt = birth;
        }
        boolean moved = chance(0.08) && registeredAt.isBefore(now.minus(Duration.ofDays(4)));
        CareProvider first = moved ? other(CareProviders.GP_PRACTICES, practice) : practice;
        String firstSubject = subject(first, "REG");
        emit(GpRegistration.newBuilder()
                .setHeader(header(first, firstSubject, Action.NEW, 1, registeredAt, registeredAt, nhsRef(), minutes(5, 240)))
                .setPracticeOdsCode(first.odsCode()).setPracticeName(first.name()).setStatus("REGISTERED").build());
        if (moved) {
            Instant movedAt = randomTimeBetween(later(registeredAt.plus(Duration.ofDays(1)), now.minus(WINDOW)),
                    now.minus(Duration.ofDays(2)));
            emit(GpRegistration.newBuilder()
                    .setHeader(header(first, firstSubject, Action.UPDATE, 2, registeredAt, movedAt, nhsRef(),
                            minutes(60, 2880)))
                    .setPracticeOdsCode(first.odsCode()).setPracticeName(first.name()).setStatus("DEREGISTERED").build());
            emit(GpRegistration.newBuilder()
                    .setHeader(header(practice, subject(practice, "REG"), Action.NEW, 1, movedAt, movedAt, nhsRef(),
                            minutes(5, 240)))
                    .setPracticeOdsCode(practice.odsCode()).setPracticeName(practice.name()).setStatus("REGISTERED")
                    .build());
        }
    }

    /** 999 call or walk-in → A&E → maybe admission → transfers → discharge → what follows. */
    private void emergency(Instant callAt) {
        CareProvider trust = pick(CareProviders.ACUTE_TRUSTS);
        String site = pick(CareProviders.SITES.get(trust.odsCode()));
        Complaint complaint = pick(COMPLAINTS);
        boolean byAmbulance = chance(age >= 65 ? 0.8 : 0.5);
        LocalIdentifier mrn = hospitalNumber(trust);
        boolean localOnly = chance(profile.localOnlyRate);
        // some of those are registered under a temporary hospital number, later merged into the
        // patient's own (HL7 A40 whose MRG-1 carries only the retiring number, the usual NHS form)
        LocalIdentifier temporary = localOnly && chance(0.3) ? temporaryHospitalNumber(trust) : null;
        Instant arrivalAt = callAt;
        if (byAmbulance) {
            String incident = "INC" + String.format("%08d", random.nextInt(100_000_000));
            arrivalAt = callAt.plus(minutes(25, 90));
            Instant handoverAt = arrivalAt.plus(minutes(15, 180));
            if (!happened(handoverAt)) {
                return;
            }
            emit(AmbulanceConveyance.newBuilder()
                    .setHeader(header(CareProviders.AMBULANCE, subject(CareProviders.AMBULANCE, "INC"), Action.NEW, 1,
                            callAt, handoverAt, nhsRef(), minutes(5, 90)))
                    .setIncidentNumber(incident).setCategory(pick(List.of("C1", "C2", "C2", "C2", "C3", "C4")))
                    .setDestinationOdsCode(site).setHandoverAt(handoverAt).build());
        }
        // the hospital may not know the NHS number until it is traced (unconscious, no documents)
        Instant departedAt = arrivalAt.plus(minutes(90, 14 * 60));
        boolean admitted = chance(byAmbulance ? 0.55 : 0.2);
        int lengthOfStayHours = admitted ? random.nextInt(10, 24 * 14) : 0;
        Instant dischargeAt = departedAt.plus(Duration.ofHours(lengthOfStayHours));
        Instant linkAt = null;
        if (localOnly) {
            Instant latest = earlier(admitted ? dischargeAt : departedAt, now).minus(Duration.ofMinutes(1));
            linkAt = earlier(arrivalAt.plus(minutes(60, 30 * 60)), latest);
            if (linkAt.isBefore(arrivalAt)) {
                linkAt = arrivalAt;
            }
        }
        final Instant link = linkAt;
        LocalIdentifier before = temporary != null ? temporary : mrn;
        java.util.function.Function<Instant, PatientRef> ref = t -> link != null && t.isBefore(link)
                ? PatientRef.newBuilder().setNhsNumber(null).setLocalId(before).build()
                : bothRef(mrn);

        if (!happened(arrivalAt)) {
            return;
        }
        String attendanceId = subject(trust, "AE");
        Attendance.Builder attendance = Attendance.newBuilder().setDepartment("Emergency Department")
                .setArrivalMode(byAmbulance ? "AMBULANCE" : "WALK_IN").setChiefComplaint(complaint.text());
        emit(attendance.setHeader(header(trust, attendanceId, Action.NEW, 1, arrivalAt, arrivalAt, ref.apply(arrivalAt),
                minutes(1, 20))).build());
        if (link != null && temporary != null) {
            emitMerge(trust, temporary, mrn, link);
        } else if (link != null) {
            emitLink(trust, mrn, link);
        }
        if (!happened(departedAt)) {
            return;
        }
        emit(attendance.setHeader(header(trust, attendanceId, Action.UPDATE, 2, arrivalAt, departedAt,
                        ref.apply(departedAt), minutes(1, 30)))
                .setOutcome(admitted ? "ADMITTED" : "DISCHARGED").setDepartedAt(departedAt).build());
        if (!admitted) {
            if (chance(0.3)) {
                gpFollowUp(departedAt, "GP review after A&E attendance");
            }
            return;
        }

        String spellId = subject(trust, "SPELL");
        String ward = "Acute Medical Unit";
        Admission.Builder admission = Admission.newBuilder().setSite(site).setWard(ward)
                .setSpecialty(complaint.specialty()).setAdmissionMethod("EMERGENCY").setConsultant(pick(CONSULTANTS));
        emit(admission.setHeader(header(trust, spellId, Action.NEW, 1, departedAt, departedAt, ref.apply(departedAt),
                minutes(2, 45))).build());
        Instant correctedAt = departedAt.plus(minutes(120, 36 * 60));
        if (chance(0.1) && correctedAt.isBefore(dischargeAt) && happened(correctedAt)) {
            // consultant handover recorded as an update of the admission
            emit(admission.setHeader(header(trust, spellId, Action.UPDATE, 2, departedAt, correctedAt,
                    ref.apply(correctedAt), minutes(1, 30))).setConsultant(pick(CONSULTANTS)).build());
        }
        int transfers = lengthOfStayHours > 24 ? random.nextInt(0, 3) : 0;
        Instant at = departedAt;
        for (int i = 0; i < transfers; i++) {
            at = at.plus(Duration.ofHours(random.nextLong(4, Math.max(5, lengthOfStayHours / (transfers + 1)))));
            if (!at.isBefore(dischargeAt) || !happened(at)) {
                break;
            }
            String toWard = i == transfers - 1 ? complaint.ward() : "Ward 12 (Care of the Elderly)";
            if (toWard.equals(ward)) {
                continue;
            }
            String transferId = subject(trust, "TRF");
            Transfer.Builder transfer = Transfer.newBuilder().setSpellId(spellId).setFromWard(ward).setToWard(toWard)
                    .setToSite(site);
            emit(transfer.setHeader(header(trust, transferId, Action.NEW, 1, at, at, ref.apply(at), minutes(2, 60)))
                    .build());
            Instant cancelledAt = at.plus(minutes(10, 240));
            if (chance(profile.cancelRate) && happened(cancelledAt)) {
                // entered in error (HL7 A12): the patient never moved
                emit(transfer.setHeader(header(trust, transferId, Action.CANCEL, 2, at, cancelledAt,
                        ref.apply(cancelledAt), minutes(1, 10))).build());
            } else {
                ward = toWard;
            }
        }
        if (!happened(dischargeAt)) {
            return; // still in hospital now: an open spell
        }
        boolean dies = age >= 75 && chance(0.04);
        String destination = dies ? "DIED" : weighted(new String[] {"HOME", "CARE_HOME", "COMMUNITY"},
                age >= 75 ? new double[] {0.55, 0.15, 0.30} : new double[] {0.8, 0.02, 0.18});
        Discharge.Builder discharge = Discharge.newBuilder().setSpellId(spellId).setDestination(destination)
                .setDischargeMethod(dies ? "DIED" : "CLINICAL_ADVICE").setWard(ward);
        String dischargeId = subject(trust, "DIS");
        if (!dies && chance(profile.cancelRate)) {
            // discharge sent, then cancelled as entered in error (A03 then A13), then sent again
            Instant wrongAt = dischargeAt.minus(Duration.ofHours(random.nextLong(2, 20)));
            emit(discharge.setHeader(header(trust, dischargeId, Action.NEW, 1, wrongAt, wrongAt, bothRef(mrn),
                    minutes(1, 20))).build());
            emit(discharge.setHeader(header(trust, dischargeId, Action.CANCEL, 2, wrongAt, wrongAt.plus(minutes(20, 90)),
                    bothRef(mrn), minutes(1, 10))).build());
            dischargeId = subject(trust, "DIS");
        }
        emit(discharge.setHeader(header(trust, dischargeId, Action.NEW, 1, dischargeAt, dischargeAt, bothRef(mrn),
                minutes(2, 120))).build());
        if (dies) {
            deathAt = dischargeAt;
            emit(Death.newBuilder()
                    .setHeader(header(trust, subject(trust, "DEATH"), Action.NEW, 1, dischargeAt, dischargeAt,
                            bothRef(mrn), minutes(30, 600)))
                    .setPlaceOfDeath("HOSPITAL").setCause(complaint.text()).setVerified(true).build());
            return;
        }
        if (chance(0.7)) {
            Medication med = pick(DISCHARGE_MEDS);
            emit(Prescription.newBuilder()
                    .setHeader(header(trust, subject(trust, "TTO"), Action.NEW, 1, dischargeAt, dischargeAt,
                            bothRef(mrn), minutes(1, 30)))
                    .setMedication(med.name()).setMedicationCode(med.code()).setDose(med.dose()).setRoute(med.route())
                    .setRepeat(false)
                    .setEndsAt(dischargeAt.plus(Duration.ofDays(random.nextInt(5, 29)))).build());
        }
        switch (destination) {
            case "COMMUNITY" -> {
                communityReferral(trust, mrn, dischargeAt);
                socialCare(dischargeAt, false);
            }
            case "CARE_HOME" -> socialCare(dischargeAt, true);
            default -> {
            }
        }
        gpFollowUp(dischargeAt, "GP follow-up after hospital discharge");
    }

    private void communityReferral(CareProvider trust, LocalIdentifier mrn, Instant dischargeAt) {
        String referralId = subject(trust, "REF");
        Referral.Builder referral = Referral.newBuilder().setToOdsCode(CareProviders.COMMUNITY.odsCode())
                .setSpecialty("District nursing").setPriority("URGENT").setReason("Support at home after discharge");
        Instant referredAt = dischargeAt.minus(minutes(30, 300));
        emit(referral.setStatus("OPEN").setHeader(header(trust, referralId, Action.NEW, 1, referredAt, referredAt,
                bothRef(mrn), minutes(1, 30))).build());
        Instant acceptedAt = dischargeAt.plus(minutes(60, 48 * 60));
        if (!happened(acceptedAt)) {
            return;
        }
        emit(referral.setStatus("ACCEPTED").setHeader(header(trust, referralId, Action.UPDATE, 2, referredAt,
                acceptedAt, bothRef(mrn), minutes(1, 60))).build());
        Instant completedAt = communityNursing(acceptedAt, "Post-discharge district nursing visit");
        if (completedAt != null && happened(completedAt)) {
            emit(referral.setStatus("COMPLETED").setHeader(header(trust, referralId, Action.UPDATE, 3, referredAt,
                    completedAt, bothRef(mrn), minutes(60, 24 * 60))).build());
        }
    }

    /** District nursing visits; returns the time of the last one that took place, or null. */
    private Instant communityNursing(Instant from, String service) {
        CareProvider community = CareProviders.COMMUNITY;
        LocalIdentifier pid = localId(community, 3_000_000);
        int visits = random.nextInt(2, 6);
        Instant last = null;
        Instant visitAt = from;
        for (int i = 0; i < visits; i++) {
            visitAt = workingTime(visitAt.plus(Duration.ofDays(random.nextLong(1, 8))));
            Instant bookedAt = visitAt.minus(Duration.ofDays(1));
            if (!happened(bookedAt)) {
                break;
            }
            last = appointment(community, bookedAt, visitAt, service, "District Nurse " + pick(List.of("Team A",
                    "Team B", "Team C")), bothRef(pid), Sensitivity.NORMAL);
        }
        return last;
    }

    /** Discharge to assess: an assessment, then a package of care (or a care home placement). */
    private void socialCare(Instant dischargeAt, boolean careHome) {
        CareProvider council = patient.postcode().startsWith("QX1") ? CareProviders.COUNCILS.get(1)
                : CareProviders.COUNCILS.get(0);
        LocalIdentifier caseNumber = localId(council, 5_000_000);
        Instant assessedAt = workingTime(dischargeAt.plus(Duration.ofDays(random.nextLong(careHome ? 0 : 1, 6))));
        if (!happened(assessedAt)) {
            return;
        }
        emit(SocialCareEvent.newBuilder()
                .setHeader(header(council, subject(council, "ASMT"), Action.NEW, 1, assessedAt, assessedAt,
                        bothRef(caseNumber), Duration.ofHours(random.nextLong(2, 72))))
                .setKind("ASSESSMENT").setDescription(careHome ? "Care Act assessment: residential care needs"
                        : "Care Act assessment after hospital discharge").build());
        Instant startAt = assessedAt.plus(Duration.ofDays(random.nextLong(1, 8)));
        if (!happened(startAt)) {
            return;
        }
        String packageId = subject(council, "PKG");
        SocialCareEvent.Builder pkg = SocialCareEvent.newBuilder()
                .setDescription(careHome ? "Residential care home placement" : "Reablement home care, twice daily")
                .setHoursPerWeek(careHome ? null : (double) random.nextInt(7, 22));
        emit(pkg.setKind("PACKAGE_START").setHeader(header(council, packageId, Action.NEW, 1, startAt, startAt,
                bothRef(caseNumber), Duration.ofHours(random.nextLong(1, 48)))).build());
        Instant endAt = startAt.plus(Duration.ofDays(42));
        if (!careHome && happened(endAt)) {
            emit(pkg.setKind("PACKAGE_END").setHeader(header(council, subject(council, "PKG"), Action.NEW, 1, endAt,
                    endAt, bothRef(caseNumber), Duration.ofHours(random.nextLong(1, 96)))).build());
        }
    }

    private void gpFollowUp(Instant after, String service) {
        CareProvider practice = patient.practice();
        Instant bookedAt = workingTime(after.plus(Duration.ofDays(random.nextLong(1, 4))));
        Instant startsAt = workingTime(bookedAt.plus(Duration.ofDays(random.nextLong(5, 15))));
        if (happened(bookedAt)) {
            appointment(practice, bookedAt, startsAt, service, pick(GPS), nhsRef(), Sensitivity.NORMAL);
        }
    }

    /** GP referral → accepted → outpatient appointment after the wait → maybe a day case → completed. */
    private void electiveReferral(Instant referredAt) {
        CareProvider practice = patient.practice();
        CareProvider trust = pick(CareProviders.ACUTE_TRUSTS);
        Specialty specialty = pick(SPECIALTIES);
        referredAt = workingTime(referredAt);
        String referralId = subject(practice, "REF");
        Referral.Builder referral = Referral.newBuilder().setToOdsCode(trust.odsCode())
                .setSpecialty(specialty.name()).setPriority(specialty.priority()).setReason(specialty.reason());
        emit(referral.setStatus("OPEN").setHeader(header(practice, referralId, Action.NEW, 1, referredAt, referredAt,
                nhsRef(), minutes(5, 180))).build());
        Instant acceptedAt = referredAt.plus(Duration.ofHours(random.nextLong(4, 120)));
        if (!happened(acceptedAt)) {
            return;
        }
        emit(referral.setStatus("ACCEPTED").setHeader(header(practice, referralId, Action.UPDATE, 2, referredAt,
                acceptedAt, nhsRef(), minutes(5, 240))).build());
        long waitDays = switch (specialty.priority()) {
            case "TWO_WEEK_WAIT" -> random.nextLong(7, 15);
            case "URGENT" -> random.nextLong(14, 43);
            default -> random.nextLong(42, 127);
        };
        Instant clinicAt = workingTime(referredAt.plus(Duration.ofDays(waitDays)));
        LocalIdentifier mrn = hospitalNumber(trust);
        Instant attendedAt = appointment(trust, acceptedAt.plus(minutes(30, 48 * 60)), clinicAt,
                specialty.name() + " outpatient clinic", pick(CONSULTANTS), bothRef(mrn), Sensitivity.NORMAL);
        if (attendedAt == null) {
            return; // still waiting, or did not attend
        }
        Instant completedAt = attendedAt;
        if (specialty.dayCase() && chance(0.6)) {
            Instant admittedAt = workingTime(attendedAt.plus(Duration.ofDays(random.nextLong(28, 90))));
            Instant cancelledAt = admittedAt.plus(minutes(5, 90));
            if (happened(cancelledAt) && chance(profile.cancelRate * 2)) {
                // admitted onto the wrong record, then cancelled (HL7 A11): never a spell
                String wrongSpell = subject(trust, "SPELL");
                Admission.Builder wrong = Admission.newBuilder()
                        .setSite(pick(CareProviders.SITES.get(trust.odsCode()))).setWard("Day Surgery Unit")
                        .setSpecialty(specialty.name()).setAdmissionMethod("ELECTIVE").setConsultant(pick(CONSULTANTS));
                emit(wrong.setHeader(header(trust, wrongSpell, Action.NEW, 1, admittedAt, admittedAt, bothRef(mrn),
                        minutes(1, 5))).build());
                emit(wrong.setHeader(header(trust, wrongSpell, Action.CANCEL, 2, admittedAt, cancelledAt, bothRef(mrn),
                        minutes(1, 5))).build());
            }
            if (happened(admittedAt)) {
                String spellId = subject(trust, "SPELL");
                emit(Admission.newBuilder()
                        .setHeader(header(trust, spellId, Action.NEW, 1, admittedAt, admittedAt, bothRef(mrn),
                                minutes(1, 30)))
                        .setSite(pick(CareProviders.SITES.get(trust.odsCode()))).setWard("Day Surgery Unit")
                        .setSpecialty(specialty.name()).setAdmissionMethod("ELECTIVE").setConsultant(pick(CONSULTANTS))
                        .build());
                Instant homeAt = admittedAt.plus(minutes(4 * 60, 9 * 60));
                if (happened(homeAt)) {
                    emit(Discharge.newBuilder()
                            .setHeader(header(trust, subject(trust, "DIS"), Action.NEW, 1, homeAt, homeAt, bothRef(mrn),
                                    minutes(1, 60)))
                            .setSpellId(spellId).setDestination("HOME").setDischargeMethod("CLINICAL_ADVICE")
                            .setWard("Day Surgery Unit").build());
                    completedAt = homeAt;
                }
            }
        }
        Instant closedAt = completedAt.plus(Duration.ofDays(random.nextLong(1, 15)));
        if (happened(closedAt)) {
            emit(referral.setStatus("COMPLETED").setHeader(header(practice, referralId, Action.UPDATE, 3, referredAt,
                    closedAt, nhsRef(), minutes(5, 240))).build());
        }
    }

    /** GP referral to the community mental health team; its activity is RESTRICTED. */
    private void mentalHealth(Instant referredAt) {
        CareProvider practice = patient.practice();
        CareProvider trust = CareProviders.MENTAL_HEALTH;
        referredAt = workingTime(referredAt);
        String referralId = subject(practice, "REF");
        Referral.Builder referral = Referral.newBuilder().setToOdsCode(trust.odsCode())
                .setSpecialty("Community mental health team").setPriority(chance(0.3) ? "URGENT" : "ROUTINE")
                .setReason("Low mood and anxiety");
        emit(referral.setStatus("OPEN").setHeader(header(practice, referralId, Action.NEW, 1, referredAt, referredAt,
                nhsRef(), minutes(5, 180), Sensitivity.RESTRICTED)).build());
        Instant acceptedAt = referredAt.plus(Duration.ofDays(random.nextLong(1, 10)));
        if (!happened(acceptedAt)) {
            return;
        }
        emit(referral.setStatus("ACCEPTED").setHeader(header(practice, referralId, Action.UPDATE, 2, referredAt,
                acceptedAt, nhsRef(), minutes(5, 180), Sensitivity.RESTRICTED)).build());
        LocalIdentifier pid = localId(trust, 6_000_000);
        Instant sessionAt = acceptedAt;
        int sessions = random.nextInt(1, 5);
        for (int i = 0; i < sessions; i++) {
            sessionAt = workingTime(sessionAt.plus(Duration.ofDays(random.nextLong(7, 29))));
            Instant bookedAt = sessionAt.minus(Duration.ofDays(random.nextLong(3, 8)));
            if (!happened(bookedAt)) {
                return;
            }
            appointment(trust, bookedAt, sessionAt, i == 0 ? "Mental health initial assessment"
                    : "Mental health follow-up", "Care coordinator", bothRef(pid), Sensitivity.RESTRICTED);
        }
    }

    /** A repeat medication from the GP, dispensed monthly by a community pharmacy. */
    private void repeatPrescription(Instant startedAt) {
        CareProvider practice = patient.practice();
        CareProvider pharmacy = pick(CareProviders.PHARMACIES);
        Medication med = pick(REPEATS);
        startedAt = workingTime(startedAt);
        String rxId = subject(practice, "RX");
        Prescription.Builder repeat = Prescription.newBuilder().setMedication(med.name())
                .setMedicationCode(med.code()).setDose(med.dose())
                .setRoute(med.route()).setRepeat(true);
        emit(repeat.setHeader(header(practice, rxId, Action.NEW, 1, startedAt, startedAt, nhsRef(), minutes(1, 30)))
                .build());
        Instant reviewedAt = randomTimeBetween(startedAt, now);
        boolean changed = chance(0.1) && happened(reviewedAt);
        Instant issue = later(startedAt, now.minus(Duration.ofDays(random.nextLong(60, 150))));
        while (!issue.isAfter(now.minus(Duration.ofHours(1)))) {
            emit(Prescription.newBuilder()
                    .setHeader(header(pharmacy, subject(pharmacy, "DISP"), Action.NEW, 1, issue, issue, nhsRef(),
                            minutes(1, 20)))
                    .setMedication(med.name()).setMedicationCode(med.code())
                    .setDose(changed && issue.isAfter(reviewedAt) ? "dose as amended"
                            : med.dose())
                    .setRoute(med.route()).setRepeat(true).setEndsAt(issue.plus(Duration.ofDays(28))).build());
            issue = workingTime(issue.plus(Duration.ofDays(28)));
        }
        if (changed) {
            // medication review: dose changed, recorded as an update of the repeat
            emit(repeat.setDose("dose as amended").setHeader(header(practice, rxId, Action.UPDATE, 2, startedAt,
                    reviewedAt, nhsRef(), minutes(1, 30))).build());
        }
    }

    private void deathAtHome() {
        double p = age >= 85 ? 0.05 : age >= 70 ? 0.015 : 0.002;
        if (!chance(p)) {
            return;
        }
        Instant last = out.stream().map(Scheduled::happensAt).max(Comparator.naturalOrder()).orElse(now.minus(WINDOW));
        Instant diedAt = last.plus(Duration.ofDays(random.nextLong(1, 60)));
        if (!happened(diedAt)) {
            return;
        }
        deathAt = diedAt;
        CareProvider practice = patient.practice();
        emit(Death.newBuilder()
                .setHeader(header(practice, subject(practice, "DEATH"), Action.NEW, 1, diedAt, diedAt, nhsRef(),
                        Duration.ofHours(random.nextLong(2, 72))))
                .setPlaceOfDeath(chance(0.3) ? "CARE_HOME" : "HOME").setCause("Old age and frailty").setVerified(true)
                .build());
    }

    /** Booked, then attended or not; returns when it was attended (null if not, or not yet). */
    private Instant appointment(CareProvider provider, Instant bookedAt, Instant startsAt, String service,
                                String practitioner, PatientRef ref, Sensitivity sensitivity) {
        if (!happened(bookedAt)) {
            return null;
        }
        String id = subject(provider, "APPT");
        Appointment.Builder appointment = Appointment.newBuilder().setStartsAt(startsAt).setService(service)
                .setPractitioner(practitioner);
        emit(appointment.setStatus("BOOKED").setHeader(header(provider, id, Action.NEW, 1, bookedAt, bookedAt, ref,
                minutes(1, 15), sensitivity)).build());
        Instant endedAt = startsAt.plus(Duration.ofMinutes(20));
        if (!happened(endedAt)) {
            return null;
        }
        String status = weighted(new String[] {"ATTENDED", "DID_NOT_ATTEND", "CANCELLED"},
                new double[] {0.86, 0.08, 0.06});
        Instant statusAt = status.equals("CANCELLED") ? startsAt.minus(Duration.ofDays(1)) : endedAt;
        if (statusAt.isBefore(bookedAt)) {
            statusAt = bookedAt.plus(Duration.ofMinutes(5));
        }
        emit(appointment.setStatus(status).setHeader(header(provider, id, Action.UPDATE, 2, bookedAt, statusAt, ref,
                minutes(1, 120), sensitivity)).build());
        return status.equals("ATTENDED") ? endedAt : null;
    }

    private void emitLink(CareProvider trust, LocalIdentifier mrn, Instant linkAt) {
        emit(PatientIdentity.newBuilder()
                .setHeader(header(trust, "LINK-" + mrn.getValue(), Action.NEW, 1, linkAt, linkAt, bothRef(mrn),
                        minutes(1, 10)))
                .setKind(IdentityKind.LINK).setNhsNumber(patient.nhsNumber().value()).setLocalId(mrn)
                .setFamilyName(patient.familyName()).setGivenName(patient.givenName())
                .setBirthDate(patient.birthDate()).setPostcode(patient.postcode()).build());
    }

    /** The temporary hospital number merged into the patient's own: MERGE with only the retiring local id. */
    private void emitMerge(CareProvider trust, LocalIdentifier retired, LocalIdentifier survivor, Instant mergedAt) {
        emit(PatientIdentity.newBuilder()
                .setHeader(header(trust, "MERGE-" + retired.getValue(), Action.NEW, 1, mergedAt, mergedAt,
                        bothRef(survivor), minutes(1, 10)))
                .setKind(IdentityKind.MERGE).setNhsNumber(patient.nhsNumber().value()).setLocalId(retired)
                .setFamilyName(patient.familyName()).setGivenName(patient.givenName())
                .setBirthDate(patient.birthDate()).setPostcode(patient.postcode()).build());
    }

    /**
     * A trace to the NHS number is sent after the hospital's first messages; with recording delays
     * and late messages a LINK could otherwise overtake an event it links. Such a LINK is delivered
     * just after the last local-only event (its recordedAt stays as recorded).
     */
    private void linksArriveAfterTheEventsTheyLink() {
        java.util.Map<String, Instant> lastLocalOnly = new java.util.HashMap<>();
        for (Scheduled s : out) {
            PatientRef ref = CareEvents.header(s.event()).getPatient();
            if (ref.getNhsNumber() == null && ref.getLocalId() != null) {
                lastLocalOnly.merge(CareEvents.localKey(ref.getLocalId()), s.arrival(), PathwayGenerator::later);
            }
        }
        for (int i = 0; i < out.size(); i++) {
            Scheduled s = out.get(i);
            if (s.event() instanceof PatientIdentity id && id.getLocalId() != null) {
                Instant last = lastLocalOnly.get(CareEvents.localKey(id.getLocalId()));
                if (last != null && !s.arrival().isAfter(last)) {
                    out.set(i, new Scheduled(last.plusSeconds(30), s.patientIndex(), s.sequence(), s.event(),
                            s.happensAt()));
                }
            }
        }
    }

    // ---- building blocks -----------------------------------------------------------------------

    private EventHeader header(CareProvider source, String subjectId, Action action, long version, Instant occurredAt,
                               Instant happensAt, PatientRef patientRef, Duration recordDelay) {
        return header(source, subjectId, action, version, occurredAt, happensAt, patientRef, recordDelay,
                Sensitivity.NORMAL);
    }

    /**
     * The header of an event about something that happened at {@code occurredAt} (clinical time of
     * the item) and was entered at {@code happensAt} (later for updates), recorded after a delay,
     * sometimes days late, never after now.
     */
    private EventHeader header(CareProvider source, String subjectId, Action action, long version, Instant occurredAt,
                               Instant happensAt, PatientRef patientRef, Duration recordDelay, Sensitivity sensitivity) {
        Instant recordedAt = happensAt.plus(recordDelay);
        boolean late = chance(profile.lateRate);
        if (late) {
            recordedAt = recordedAt.plus(Duration.ofHours(random.nextLong(12, 120)));
        }
        // a correction is entered after what it corrects, unless it is one of the deliberately late ones
        Instant previous = recordedBySubject.get(subjectId);
        if (!late && previous != null && !recordedAt.isAfter(previous)) {
            recordedAt = previous.plus(Duration.ofMinutes(1));
        }
        recordedAt = earlier(recordedAt, now);
        lastHappensAt = happensAt;
        if (recordedAt.isBefore(occurredAt)) {
            recordedAt = occurredAt;
        }
        recordedBySubject.merge(subjectId, recordedAt, (a, b) -> a.isAfter(b) ? a : b);
        return EventHeader.newBuilder().setEventId(uuid()).setAction(action).setSubjectId(subjectId)
                .setVersion(version).setOccurredAt(occurredAt).setRecordedAt(recordedAt).setSource(source.source())
                .setPatient(patientRef).setSensitivity(sensitivity).build();
    }

    private void emit(SpecificRecord event) {
        EventHeader header = CareEvents.header(event);
        Instant acted = lastHappensAt;
        out.add(new Scheduled(header.getRecordedAt(), patient.index(), sequence++, event, acted));
        if (chance(profile.duplicateRate)) {
            // the interface engine resends the same message (same eventId) after a timeout
            out.add(new Scheduled(header.getRecordedAt().plus(minutes(1, 180)), patient.index(), sequence++, event,
                    acted));
        }
    }

    private boolean happened(Instant t) {
        return !t.isAfter(now) && (deathAt == null || !t.isAfter(deathAt));
    }

    private PatientRef nhsRef() {
        return PatientRef.newBuilder().setNhsNumber(patient.nhsNumber().value()).setLocalId(null).build();
    }

    private PatientRef bothRef(LocalIdentifier local) {
        return PatientRef.newBuilder().setNhsNumber(patient.nhsNumber().value()).setLocalId(local).build();
    }

    private LocalIdentifier hospitalNumber(CareProvider trust) {
        int base = trust.odsCode().equals("R9A") ? 40_000_000 : 70_000_000;
        return localId(trust, base);
    }

    private LocalIdentifier temporaryHospitalNumber(CareProvider trust) {
        int base = trust.odsCode().equals("R9A") ? 48_000_000 : 78_000_000;
        return localId(trust, base);
    }

    private LocalIdentifier localId(CareProvider provider, int base) {
        return LocalIdentifier.newBuilder().setSystem(provider.localIdSystem())
                .setValue(Integer.toString(base + patient.index())).build();
    }

    private String subject(CareProvider provider, String kind) {
        return provider.odsCode() + "-" + kind + "-" + patient.index() + "-" + (++subjectCounter);
    }

    private String uuid() {
        long msb = (random.nextLong() & ~0xF000L) | 0x4000L;
        long lsb = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(msb, lsb).toString();
    }

    private Duration minutes(int from, int to) {
        return Duration.ofMinutes(random.nextLong(from, to + 1L));
    }

    private boolean chance(double p) {
        return p > 0 && random.nextDouble() < p;
    }

    private <T> T pick(List<T> items) {
        return items.get(random.nextInt(items.size()));
    }

    private <T> T other(List<T> items, T not) {
        T item;
        do {
            item = pick(items);
        } while (item.equals(not));
        return item;
    }

    private String weighted(String[] items, double[] weights) {
        double r = random.nextDouble();
        for (int i = 0; i < items.length; i++) {
            r -= weights[i];
            if (r < 0) {
                return items[i];
            }
        }
        return items[items.length - 1];
    }

    private Instant randomTimeBetween(Instant from, Instant to) {
        long span = Duration.between(from, to).toSeconds();
        return span <= 0 ? from : from.plusSeconds(random.nextLong(span)).truncatedTo(ChronoUnit.MINUTES);
    }

    /** Moves a time into the working day (08:00–18:00 UTC) of the same day, keeping the minutes. */
    private Instant workingTime(Instant t) {
        int hour = t.atZone(ZoneOffset.UTC).getHour();
        Instant moved = hour >= 8 && hour < 18 ? t : t.truncatedTo(ChronoUnit.DAYS)
                .plus(Duration.ofHours(8 + random.nextInt(10))).plus(Duration.ofMinutes(random.nextInt(60)));
        return moved.isAfter(now) && !t.isAfter(now) ? t : moved;
    }

    private static Instant earlier(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
