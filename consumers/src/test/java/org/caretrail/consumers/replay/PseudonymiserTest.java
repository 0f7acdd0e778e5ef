package org.caretrail.consumers.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.caretrail.consumers.replay.ReplayFixtures.ALICE;
import static org.caretrail.consumers.replay.ReplayFixtures.BOB;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.ChangeKind;
import org.caretrail.events.model.Coding;
import org.caretrail.events.model.Death;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.Location;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.Transfer;
import org.junit.jupiter.api.Test;

class PseudonymiserTest {

    static final byte[] KEY = new byte[32];
    private static final Instant AT = Instant.parse("2026-11-20T09:15:00Z");

    static {
        new SecureRandom().nextBytes(KEY);
    }

    private static ObjectNode pseudonymised(Pseudonymiser p, SpecificRecord record) {
        return p.apply(ReplayRow.line(record), record.getSchema());
    }

    @Test
    void nhsNumbersBecomeStableKeyedPseudonymsWhateverTheirSpelling() {
        Pseudonymiser one = new Pseudonymiser(KEY);
        Pseudonymiser again = new Pseudonymiser(KEY.clone());
        byte[] otherKey = KEY.clone();
        otherKey[0] ^= 1;
        Pseudonymiser other = new Pseudonymiser(otherKey);

        assertThat(one.nhsNumber(ALICE)).isEqualTo(again.nhsNumber(ALICE)).hasSize(32).doesNotContain(ALICE);
        assertThat(one.nhsNumber(ALICE)).isNotEqualTo(one.nhsNumber(BOB)).isNotEqualTo(other.nhsNumber(ALICE));
        String spaced = ALICE.substring(0, 3) + " " + ALICE.substring(3, 6) + " " + ALICE.substring(6);
        String hyphened = ALICE.substring(0, 3) + "-" + ALICE.substring(3, 6) + "-" + ALICE.substring(6);
        assertThat(one.nhsNumber(spaced)).isEqualTo(one.nhsNumber(ALICE)).isEqualTo(one.nhsNumber(hyphened));
        assertThat(one.localId("RJ1-MRN", "12345")).isNotEqualTo(one.localId("RXH-MRN", "12345"));
        // each kind of identifier in its own space: a subject id equal to an NHS number does not give it away
        assertThat(one.subjectId(ALICE)).isNotEqualTo(one.nhsNumber(ALICE));
    }

    /** The case: the identity event's subject id carried the hospital number in clear. */
    @Test
    void anIdentityEventKeepsNoIdentifierNameBirthDateOrFullPostcode() {
        Pseudonymiser p = new Pseudonymiser(KEY);
        PatientIdentity identity = PatientIdentity.newBuilder(ReplayFixtures.identity(ALICE, AT))
                .setHeader(ReplayFixtures.header(ALICE, ProviderKind.ACUTE, "RX1", AT))
                .setKind(IdentityKind.MERGE)
                .setLocalId(LocalIdentifier.newBuilder().setSystem("RX1-MRN").setValue("MRN-SECRET-4711").build())
                .setSupersededNhsNumber(BOB)
                .setVisit("VISIT-RX1-0099")
                .setBirthDate(LocalDate.of(1948, 2, 29))
                .setPostcode("se1 7eh")
                .build();
        identity.getHeader().setSubjectId("identity/RX1-MRN|MRN-SECRET-4711");
        identity.getHeader().getPatient().setLocalId(
                LocalIdentifier.newBuilder().setSystem("RX1-MRN").setValue("MRN-SECRET-4711").build());

        ObjectNode out = pseudonymised(p, identity);
        String text = out.toString();

        assertThat(text).doesNotContain("MRN-SECRET-4711", ALICE, BOB, "Smith", "Alice", "1948", "7EH", "VISIT-RX1-0099");
        assertThat(out.at("/header/subjectId").asText()).isEqualTo(p.subjectId("identity/RX1-MRN|MRN-SECRET-4711"));
        assertThat(out.get("nhsNumber").asText()).isEqualTo(p.nhsNumber(ALICE));
        assertThat(out.get("supersededNhsNumber").asText()).isEqualTo(p.nhsNumber(BOB));
        assertThat(out.at("/localId/value").asText()).isEqualTo(p.localId("RX1-MRN", "MRN-SECRET-4711"));
        assertThat(out.at("/localId/system").asText()).isEqualTo("RX1-MRN");
        assertThat(out.at("/header/patient/localId/value").asText()).isEqualTo(p.localId("RX1-MRN", "MRN-SECRET-4711"));
        assertThat(out.has("birthDate")).isFalse();
        assertThat(out.get("ageBand").asText()).as("78 at the event").isEqualTo("75-79");
        assertThat(out.get("postcode").asText()).isEqualTo("SE1");
        assertThat(out.get("familyName").isNull()).isTrue();
        assertThat(out.get("givenName").isNull()).isTrue();
        assertThat(out.get("visit").asText()).isEqualTo(p.subjectId("VISIT-RX1-0099"));
        assertThat(out.get("type").asText()).isEqualTo("patient-identity");
        assertThat(identity.getNhsNumber()).as("the input is not changed").isEqualTo(ALICE);
    }

    @Test
    void careStaysFreeTextAndPeopleGoAndRecordsStillJoin() {
        Pseudonymiser p = new Pseudonymiser(KEY);
        Admission admission = Admission.newBuilder(ReplayFixtures.admission(ALICE, AT))
                .setLocation(Location.newBuilder().setPointOfCare("Ward 7").setRoom("Bay 2").setBed("Bed 4")
                        .setSite("RX1-GEN").build())
                .setDiagnoses(java.util.List.of(Coding.newBuilder().setSystem("http://snomed.info/sct")
                        .setCode("29857009").setDisplay("Chest pain, per Mrs Alice Smith's daughter").build()))
                .build();
        admission.getHeader().setSubjectId("SPELL-MRN-40800000");
        Transfer transfer = Transfer.newBuilder()
                .setHeader(ReplayFixtures.header(ALICE, ProviderKind.ACUTE, "RJ1", AT.plusSeconds(3600)))
                .setSpellId("SPELL-MRN-40800000").setFromWard("Ward 7").setToWard("CCU").setReason("CHANGED_TO_INPATIENT")
                .build();
        transfer.getHeader().setSupersedes(admission.getHeader().getEventId());
        Death death = Death.newBuilder().setHeader(ReplayFixtures.header(ALICE, ProviderKind.GP, "A81001", AT))
                .setPlaceOfDeath("12 Synthetic Road, London").setCause("Fell at home").setVerified(true)
                .setRecordedBy("Dr B Example").build();

        ObjectNode a = pseudonymised(p, admission);
        ObjectNode t = pseudonymised(p, transfer);
        ObjectNode d = pseudonymised(p, death);

        assertThat(a.get("ward").asText()).isEqualTo("7B");
        assertThat(a.get("specialty").asText()).isEqualTo("Cardiology");
        assertThat(a.get("consultant").isNull()).as("a person's name").isTrue();
        assertThat(a.at("/location/pointOfCare").asText()).isEqualTo("Ward 7");
        assertThat(a.at("/location/site").asText()).isEqualTo("RX1-GEN");
        assertThat(a.at("/location/room").isNull()).isTrue();
        assertThat(a.at("/location/bed").isNull()).isTrue();
        assertThat(a.at("/diagnoses/0/code").asText()).isEqualTo("29857009");
        assertThat(a.at("/diagnoses/0/display").isNull()).isTrue();
        assertThat(a.at("/header/source/odsCode").asText()).isEqualTo("RJ1");
        assertThat(a.at("/header/occurredAt").asText()).isEqualTo(AT.toString());
        // the transfer still finds its spell, and the correction the event it corrects
        assertThat(t.get("spellId").asText()).isEqualTo(a.at("/header/subjectId").asText())
                .isNotEqualTo("SPELL-MRN-40800000");
        assertThat(t.at("/header/supersedes").asText()).isEqualTo(a.at("/header/eventId").asText())
                .isEqualTo(p.eventId(admission.getHeader().getEventId()));
        assertThat(t.get("reason").asText()).isEqualTo("CHANGED_TO_INPATIENT");
        assertThat(d.toString()).doesNotContain("Synthetic Road", "Fell at home", "Dr B Example");
        assertThat(d.get("verified").asBoolean()).isTrue();
        assertThat((a.toString() + t + d)).doesNotContain(ALICE, "MRN-" + ALICE, "40800000", "Alice Smith", "Dr Who");
    }

    @Test
    void aTimelineChangesDetailsFollowTheirEventTypesRules() {
        Pseudonymiser p = new Pseudonymiser(KEY);
        Location location = Location.newBuilder().setPointOfCare("Ward 7").setRoom("Bay 2").setBed("Bed 4").build();
        TimelineEntry entry = TimelineEntry.newBuilder()
                .setEntryId("ADMISSION|RJ1|SPELL-MRN-40800000").setEventId("e-1").setType(EventType.ADMISSION)
                .setAction(Action.NEW).setSubjectId("SPELL-MRN-40800000").setVersion(1).setOccurredAt(AT)
                .setRecordedAt(AT).setSource(ReplayFixtures.header(ALICE, ProviderKind.ACUTE, "RJ1", AT).getSource())
                .setSensitivity(Sensitivity.NORMAL).setStatus(EntryStatus.CURRENT)
                .setSummary("Admitted to ward Ward 7 under Dr Who - RJ1")
                .setDetails(Map.of("ward", "Ward 7", "consultant", "Dr Who", "location", location.toString(),
                        "unknownField", "MRN-SECRET"))
                .setLocalId(LocalIdentifier.newBuilder().setSystem("RJ1-MRN").setValue("40800000").build())
                .setOriginNhsNumber(BOB)
                .build();
        TimelineChange change = TimelineChange.newBuilder().setChangeId("e-1:ADDED").setNhsNumber(ALICE)
                .setKind(ChangeKind.ADDED).setEntry(entry).setChangedAt(AT).setRegisteredPracticeOdsCode("A81001")
                .build();

        ObjectNode out = pseudonymised(p, change);

        assertThat(out.toString()).doesNotContain(ALICE, BOB, "Dr Who", "40800000", "Bay 2", "Bed 4", "MRN-SECRET");
        assertThat(out.get("changeId").asText()).isEqualTo(p.eventId("e-1") + ":ADDED");
        assertThat(out.at("/entry/entryId").asText()).isEqualTo("ADMISSION|RJ1|" + p.subjectId("SPELL-MRN-40800000"));
        assertThat(out.at("/entry/summary").isNull()).isTrue();
        assertThat(out.at("/entry/details/ward").asText()).isEqualTo("Ward 7");
        assertThat(out.at("/entry/details").has("consultant")).isFalse();
        assertThat(out.at("/entry/details/location").asText()).contains("Ward 7");
        assertThat(out.at("/entry/originNhsNumber").asText()).isEqualTo(p.nhsNumber(BOB));
        assertThat(out.get("registeredPracticeOdsCode").asText()).isEqualTo("A81001");
    }

    @Test
    void ageBandsAndPostcodeDistricts() {
        Instant at = Instant.parse("2026-06-01T00:00:00Z");
        assertThat(Pseudonymiser.ageBand("2026-05-31", at)).isEqualTo("0-4");
        assertThat(Pseudonymiser.ageBand("1976-06-01", at)).isEqualTo("50-54");
        assertThat(Pseudonymiser.ageBand("1976-06-02", at)).isEqualTo("45-49");
        assertThat(Pseudonymiser.ageBand("1936-06-01", at)).isEqualTo("90+");
        assertThat(Pseudonymiser.ageBand("1920-01-01", at)).isEqualTo("90+");
        assertThat(Pseudonymiser.ageBand("2027-01-01", at)).isNull();
        assertThat(Pseudonymiser.postcodeDistrict("SE1 7EH")).isEqualTo("SE1");
        assertThat(Pseudonymiser.postcodeDistrict("sw1a1aa")).isEqualTo("SW1A");
        assertThat(Pseudonymiser.postcodeDistrict("M1 1AE")).isEqualTo("M1");
        assertThat(Pseudonymiser.postcodeDistrict("ZZ99 3AZ")).isEqualTo("ZZ99");
        assertThat(Pseudonymiser.postcodeDistrict("12 Synthetic Road")).isNull();
    }

    @Test
    void shortOrPatternedKeysAreRefused() {
        assertThatThrownBy(() -> new Pseudonymiser("a-key-for-tests-only-0123456789".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("at least 32");
        assertThatThrownBy(() -> new Pseudonymiser(new byte[64])).hasMessageContaining("does not look random");
        assertThatThrownBy(() -> new Pseudonymiser("abababababababababababababababababababab"
                .getBytes(StandardCharsets.UTF_8))).hasMessageContaining("does not look random");
    }

    static String nhs(String nine) {
        return NhsNumber.withCheckDigit(nine).orElseThrow().value();
    }

    static PatientRef patient(String nhsNumber) {
        return PatientRef.newBuilder().setNhsNumber(nhsNumber).setLocalId(null).build();
    }
}
