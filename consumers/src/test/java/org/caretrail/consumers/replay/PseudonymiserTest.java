package org.caretrail.consumers.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.caretrail.consumers.replay.ReplayFixtures.ALICE;
import static org.caretrail.consumers.replay.ReplayFixtures.BOB;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.PatientIdentity;
import org.junit.jupiter.api.Test;

class PseudonymiserTest {

    private static final byte[] KEY = "a-key-for-tests-only-0123456789".getBytes(StandardCharsets.UTF_8);
    private static final Instant AT = Instant.parse("2026-11-20T09:15:00Z");

    @Test
    void nhsNumbersBecomeStableKeyedPseudonyms() {
        Pseudonymiser one = new Pseudonymiser(KEY);
        Pseudonymiser again = new Pseudonymiser(KEY.clone());
        Pseudonymiser otherKey = new Pseudonymiser("another-key-for-tests-0123456789".getBytes(StandardCharsets.UTF_8));

        assertThat(one.nhsNumber(ALICE)).isEqualTo(again.nhsNumber(ALICE)).hasSize(32).doesNotContain(ALICE);
        assertThat(one.nhsNumber(ALICE)).isNotEqualTo(one.nhsNumber(BOB));
        assertThat(one.nhsNumber(ALICE)).isNotEqualTo(otherKey.nhsNumber(ALICE));
        assertThat(one.nhsNumber("999 000 0018".replace("0018", ALICE.substring(6))))
                .isEqualTo(one.nhsNumber(ALICE.substring(0, 3) + " " + ALICE.substring(3, 6) + " " + ALICE.substring(6)));
        assertThat(one.localId("RJ1-MRN", "12345")).isNotEqualTo(one.localId("RXH-MRN", "12345"));
    }

    @Test
    void eventsKeepTheirShapeButLoseIdentifiersAndNames() {
        Pseudonymiser pseudonymiser = new Pseudonymiser(KEY);
        Admission admission = ReplayFixtures.admission(ALICE, AT);

        Admission out = pseudonymiser.apply(admission);

        assertThat(out.getHeader().getPatient().getNhsNumber()).isEqualTo(pseudonymiser.nhsNumber(ALICE));
        assertThat(out.getHeader().getPatient().getLocalId().getValue())
                .isEqualTo(pseudonymiser.localId("RJ1-MRN", "MRN-" + ALICE));
        assertThat(out.getHeader().getPatient().getLocalId().getSystem()).isEqualTo("RJ1-MRN");
        assertThat(out.getWard()).isEqualTo("7B");
        assertThat(out.getHeader().getEventId()).isEqualTo(admission.getHeader().getEventId());
        assertThat(admission.getHeader().getPatient().getNhsNumber()).as("input unchanged").isEqualTo(ALICE);
        assertThat(CareEventJson.toEventJsonLine(out)).doesNotContain(ALICE);
    }

    @Test
    void identitiesLoseNamesAddressAndBirthDate() {
        Pseudonymiser pseudonymiser = new Pseudonymiser(KEY);
        PatientIdentity out = pseudonymiser.apply(ReplayFixtures.identity(ALICE, AT));

        assertThat(out.getFamilyName()).isNull();
        assertThat(out.getGivenName()).isNull();
        assertThat(out.getPostcode()).isNull();
        assertThat(out.getBirthDate()).isNull();
        assertThat(out.getNhsNumber()).isEqualTo(pseudonymiser.nhsNumber(ALICE));
        assertThat(out.getLocalId().getValue()).isEqualTo(pseudonymiser.localId("RJ1-MRN", "12345"));
        assertThat(CareEventJson.toEventJsonLine(out)).doesNotContain("Smith", "Alice", "SE1", ALICE, "12345");
    }

    @Test
    void shortKeysAreRefused() {
        assertThatThrownBy(() -> new Pseudonymiser("short".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("at least 16 bytes");
    }
}
