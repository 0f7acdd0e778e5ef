package org.caretrail.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.caretrail.events.json.ExampleEvents;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.IdentityKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CareEventValidatorTest {

    private final CareEventValidator validator = new CareEventValidator(
            Clock.fixed(Instant.parse("2026-11-22T12:00:00Z"), ZoneOffset.UTC), Duration.ofHours(24));

    @ParameterizedTest
    @EnumSource(CareEventType.class)
    void everyDocumentedExampleIsValid(CareEventType type) {
        assertThat(validator.problems(ExampleEvents.parsed(type).event())).isEmpty();
    }

    private Admission admission() {
        return (Admission) ExampleEvents.parsed(CareEventType.ADMISSION).event();
    }

    @Test
    void namesABadNhsNumber() {
        Admission a = admission();
        a.getHeader().getPatient().setNhsNumber("9409401122");
        assertThat(validator.problems(a)).singleElement().asString()
                .startsWith("header.patient.nhsNumber:").contains("Modulus 11");
    }

    @Test
    void needsSomeIdentifierForThePatient() {
        Admission a = admission();
        a.getHeader().getPatient().setNhsNumber(null);
        a.getHeader().getPatient().setLocalId(null);
        assertThat(validator.problems(a)).containsExactly("header.patient needs an NHS number or a local identifier");
    }

    @Test
    void rejectsClinicalTimeFarInTheFuture() {
        Admission a = admission();
        a.getHeader().setOccurredAt(Instant.parse("2026-11-25T00:00:00Z"));
        assertThat(validator.problems(a)).singleElement().asString().contains("in the future");
        a.getHeader().setOccurredAt(Instant.parse("2026-11-23T06:00:00Z"));
        assertThat(validator.problems(a)).isEmpty();
    }

    @Test
    void listsEveryProblemAtOnce() {
        Admission a = admission();
        a.getHeader().setEventId("not-a-uuid");
        a.getHeader().getSource().setOdsCode("rx 1");
        a.getHeader().setSubjectId(" ");
        assertThat(validator.problems(a)).hasSize(3);
    }

    @Test
    void aLinkNeedsTheLocalIdItLinks() {
        PatientIdentity id = (PatientIdentity) ExampleEvents.parsed(CareEventType.PATIENT_IDENTITY).event();
        id.setKind(IdentityKind.LINK);
        id.setLocalId(null);
        assertThat(validator.problems(id)).containsExactly("a LINK needs localId");
    }

    @Test
    void aFieldOverItsLimitIsNamedWithItsSizeAndTheLimit() {
        Admission a = admission();
        a.setWard("W".repeat(460_000));
        assertThat(validator.problems(a)).singleElement().asString()
                .isEqualTo("ward is 460000 characters long; the limit is " + CareEventLimits.MAX_TEXT_CHARS);
        a.setWard("W".repeat(CareEventLimits.MAX_TEXT_CHARS));
        assertThat(validator.problems(a)).isEmpty();
    }

    @Test
    void identifiersHaveTheirOwnSmallerLimit() {
        Admission a = admission();
        a.getHeader().setSubjectId("S".repeat(CareEventLimits.MAX_IDENTIFIER_CHARS + 1));
        assertThat(validator.problems(a)).singleElement().asString().startsWith("header.subjectId is 129 characters");
    }

    @Test
    void listsHaveAnItemLimitAndTheWholeEventAByteLimit() {
        Admission a = admission();
        java.util.List<org.caretrail.events.model.Coding> many = new java.util.ArrayList<>();
        for (int i = 0; i <= CareEventLimits.MAX_ITEMS; i++) {
            many.add(new org.caretrail.events.model.Coding("http://snomed.info/sct", "1234" + i, null));
        }
        a.setDiagnoses(many);
        assertThat(validator.problems(a)).singleElement().asString()
                .isEqualTo("diagnoses has 51 items; the limit is " + CareEventLimits.MAX_ITEMS);
        // every field within its limit, but together over the event's byte limit
        java.util.List<org.caretrail.events.model.Coding> large = new java.util.ArrayList<>();
        for (int i = 0; i < CareEventLimits.MAX_ITEMS; i++) {
            large.add(new org.caretrail.events.model.Coding("http://snomed.info/sct", "1234" + i,
                    "D".repeat(CareEventLimits.MAX_TEXT_CHARS)));
        }
        a.setDiagnoses(large);
        assertThat(validator.problems(a)).singleElement().asString().startsWith("the event is ")
                .endsWith("bytes encoded; the limit is " + CareEventLimits.MAX_EVENT_BYTES);
    }

    @Test
    void canonicalFormOfEveryNhsNumberAnEventCarries() {
        Admission a = admission();
        a.getHeader().getPatient().setNhsNumber("991-200-3888");
        assertThat(CareEvents.patientKey(a)).isEqualTo("9912003888");
        CareEvents.canonical(a);
        assertThat(a.getHeader().getPatient().getNhsNumber()).isEqualTo("9912003888");
        PatientIdentity merge = (PatientIdentity) ExampleEvents.parsed(CareEventType.PATIENT_IDENTITY).event();
        merge.setNhsNumber(" 991 200 3888");
        merge.setSupersededNhsNumber("999-000-1006");
        CareEvents.canonical(merge);
        assertThat(merge.getNhsNumber()).isEqualTo("9912003888");
        assertThat(merge.getSupersededNhsNumber()).isEqualTo("9990001006");
    }
}
