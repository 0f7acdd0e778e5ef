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
}
