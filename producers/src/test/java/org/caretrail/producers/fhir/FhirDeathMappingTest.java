package org.caretrail.producers.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.producers.fhir.FhirResources.NHS;
import static org.caretrail.producers.fhir.FhirResources.T0;

import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Death;
import org.caretrail.events.model.PatientIdentity;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.Test;

/**
 * FHIR R4 Patient.deceased[x] (boolean or dateTime) and the UK Core death notification status
 * (https://fhir.hl7.org.uk/CodeSystem/UKCore-DeathNotificationStatus: 1 informal, 2 formal from the
 * Registrar of Deaths, U removed) as Death events.
 */
class FhirDeathMappingTest {

    private final FhirMapper mapper = new FhirMapper(FhirSettings.defaults());
    private final Instant received = T0.plusSeconds(3600);
    private static final Instant DIED = Instant.parse("2026-11-19T23:40:00Z");

    private List<SpecificRecord> map(Patient p) {
        return mapper.map(p, FhirMapper.Resolver.of(null), received, "Patient");
    }

    private static Patient gpPatient() {
        Patient p = new Patient();
        p.addIdentifier().setSystem(FhirMapper.NHS_NUMBER_SYSTEM).setValue(NHS);
        p.setManagingOrganization(FhirResources.ods("A81001"));
        return p;
    }

    private static Extension notification(String code) {
        Extension status = new Extension("deathNotificationStatus", new CodeableConcept().addCoding(
                new org.hl7.fhir.r4.model.Coding(FhirCodes.DEATH_NOTIFICATION_STATUS, code, null)));
        Extension ext = new Extension(FhirCodes.DEATH_NOTIFICATION_EXTENSION);
        ext.addExtension(status);
        ext.addExtension(new Extension("systemEffectiveDate", new DateTimeType(Date.from(DIED.plusSeconds(7200)))));
        return ext;
    }

    @Test
    void deceased_date_time_is_a_death_at_that_time_recorded_by_the_managing_organisation() {
        Patient p = gpPatient().setDeceased(new DateTimeType(Date.from(DIED)));
        p.getMeta().setSource("https://a81001.example/emis#dr-b-example");

        Death death = (Death) map(p).get(0);

        assertThat(death.getHeader().getAction()).isEqualTo(Action.NEW);
        assertThat(death.getHeader().getOccurredAt()).as("time of death").isEqualTo(DIED);
        assertThat(death.getHeader().getSubjectId()).isEqualTo("death/" + NHS);
        assertThat(death.getHeader().getSource().getOdsCode()).as("who recorded it: the source").isEqualTo("A81001");
        assertThat(death.getRecordedBy()).as("the system meta.source names").isEqualTo(
                "https://a81001.example/emis#dr-b-example");
        assertThat(death.getVerified()).as("no formal notification from the Registrar").isFalse();
    }

    @Test
    void deceased_true_without_a_time_is_a_death_at_the_time_it_was_recorded_and_formal_notification_verifies_it() {
        Patient p = gpPatient().setDeceased(new BooleanType(true));
        p.addExtension(notification("2"));

        Death death = (Death) map(p).get(0);

        assertThat(death.getHeader().getOccurredAt()).as("the notification's system effective date")
                .isEqualTo(DIED.plusSeconds(7200));
        assertThat(death.getVerified()).as("2 = formal, from the Registrar of Deaths").isTrue();
        assertThat(death.getRecordedBy()).isNull();

        Patient noNotification = gpPatient().setDeceased(new BooleanType(true));
        noNotification.getMeta().setLastUpdated(Date.from(T0));
        assertThat(((Death) map(noNotification).get(0)).getHeader().getOccurredAt()).as("meta.lastUpdated")
                .isEqualTo(T0);
    }

    @Test
    void deceased_false_on_a_first_version_says_nothing_and_on_a_later_version_withdraws_the_death() {
        Patient alive = gpPatient().setDeceased(new BooleanType(false));
        assertThat(map(alive)).isEmpty();
        alive.getMeta().setVersionId("1");
        assertThat(map(alive)).isEmpty();

        Patient died = gpPatient().setDeceased(new DateTimeType(Date.from(DIED)));
        died.getMeta().setVersionId("3").setLastUpdated(Date.from(T0));
        Death recorded = (Death) map(died).get(0);

        Patient corrected = gpPatient().setDeceased(new BooleanType(false));
        corrected.getMeta().setVersionId("4").setLastUpdated(Date.from(T0.plusSeconds(600)));
        Death withdrawn = (Death) map(corrected).get(0);

        assertThat(withdrawn.getHeader().getAction()).isEqualTo(Action.CANCEL);
        assertThat(withdrawn.getHeader().getSubjectId()).as("the same item").isEqualTo(recorded.getHeader().getSubjectId());
        assertThat(withdrawn.getHeader().getSource().getOdsCode()).isEqualTo(recorded.getHeader().getSource().getOdsCode());
        assertThat(withdrawn.getHeader().getVersion()).as("later, so it wins")
                .isGreaterThan(recorded.getHeader().getVersion());
    }

    @Test
    void a_removed_death_notification_withdraws_the_death() {
        Patient p = gpPatient().setDeceased(new BooleanType(true));
        p.addExtension(notification("U"));
        Death death = (Death) map(p).get(0);
        assertThat(death.getHeader().getAction()).as("U = removed").isEqualTo(Action.CANCEL);
        assertThat(death.getHeader().getSubjectId()).isEqualTo("death/" + NHS);
        assertThat(death.getVerified()).isFalse();
    }

    @Test
    void a_hospital_patient_with_both_identifiers_who_died_gives_the_link_and_the_death_on_one_canonical_number() {
        Patient p = FhirResources.patient("999 000 1006", "40800000").setDeceased(new DateTimeType(Date.from(DIED)));

        List<SpecificRecord> events = map(p);

        assertThat(events).extracting(e -> e.getSchema().getName()).containsExactly("PatientIdentity", "Death");
        assertThat(((PatientIdentity) events.get(0)).getNhsNumber()).isEqualTo("9990001006");
        Death death = (Death) events.get(1);
        assertThat(death.getHeader().getPatient().getNhsNumber()).isEqualTo("9990001006");
        assertThat(death.getHeader().getSubjectId()).as("keyed by the canonical number, whatever the spelling")
                .isEqualTo("death/9990001006");
    }

    @Test
    void a_death_with_only_a_local_identifier_is_keyed_by_it() {
        Patient p = new Patient().setDeceased(new BooleanType(true));
        p.addIdentifier().setSystem("https://rj1.example/mrn").setValue("40800009");
        p.setManagingOrganization(FhirResources.ods("RJ1"));
        Death death = (Death) map(p).get(0);
        assertThat(death.getHeader().getSubjectId()).isEqualTo("death/https://rj1.example/mrn|40800009");
        assertThat(death.getHeader().getPatient().getNhsNumber()).isNull();
    }
}
