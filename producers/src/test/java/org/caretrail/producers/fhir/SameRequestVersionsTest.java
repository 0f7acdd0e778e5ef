package org.caretrail.producers.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.producers.fhir.FhirResources.T0;

import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.EventHeader;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Encounter;
import org.junit.jupiter.api.Test;

/** header.supersedes when one request holds two versions of the same care item. */
class SameRequestVersionsTest {

    private final FhirMapper mapper = new FhirMapper(FhirSettings.defaults());

    private List<SameRequestVersions.Entry> map(Encounter... versions) {
        Bundle bundle = new Bundle().setType(Bundle.BundleType.BATCH);
        for (Encounter e : versions) {
            bundle.addEntry().setResource(e);
        }
        FhirMapper.Resolver resolver = FhirMapper.Resolver.of(bundle);
        return java.util.Arrays.stream(versions).map(e -> new SameRequestVersions.Entry(
                mapper.map(e, resolver, T0, "Bundle.entry"), e.getMeta().getVersionId())).toList();
    }

    private static EventHeader header(SameRequestVersions.Entry entry, int event) {
        return CareEvents.header(entry.events().get(event));
    }

    @Test
    void a_cancel_in_the_same_request_names_the_admission_it_withdraws_even_when_its_clock_is_behind() {
        Encounter admitted = FhirResources.inpatient("V-SUP", T0);
        admitted.getMeta().setVersionId("1").setLastUpdated(Date.from(T0.plusSeconds(60)));
        Encounter inError = FhirResources.inpatient("V-SUP", T0).setStatus(Encounter.EncounterStatus.ENTEREDINERROR);
        // a skewed clock: the later version is stamped earlier than the one it corrects
        inError.getMeta().setVersionId("2").setLastUpdated(Date.from(T0.plusSeconds(30)));

        List<SameRequestVersions.Entry> entries = map(inError, admitted); // and in either order in the Bundle
        SameRequestVersions.link(entries);

        EventHeader cancel = header(entries.get(0), 0);
        EventHeader admission = header(entries.get(1), 0);
        assertThat(cancel.getAction()).isEqualTo(Action.CANCEL);
        assertThat(cancel.getSupersedes()).isEqualTo(admission.getEventId());
        assertThat(admission.getSupersedes()).as("version 1 follows nothing").isNull();
        assertThat(header(entries.get(0), 1).getSupersedes()).as("no earlier pre-admission in the request").isNull();
    }

    @Test
    void without_version_ids_the_later_last_updated_follows_the_earlier_and_different_items_are_not_linked() {
        Instant t = T0.plusSeconds(100);
        Encounter first = FhirResources.inpatient("V-A", T0);
        first.getMeta().setLastUpdated(Date.from(t));
        Encounter second = FhirResources.inpatient("V-A", T0);
        second.getMeta().setLastUpdated(Date.from(t.plusSeconds(10)));
        second.getParticipantFirstRep().getIndividual().setDisplay("Dr Later");
        Encounter other = FhirResources.inpatient("V-B", T0);
        other.getMeta().setLastUpdated(Date.from(t.plusSeconds(20)));

        List<SameRequestVersions.Entry> entries = map(second, first, other);
        SameRequestVersions.link(entries);

        assertThat(header(entries.get(0), 0).getSupersedes()).isEqualTo(header(entries.get(1), 0).getEventId());
        assertThat(header(entries.get(1), 0).getSupersedes()).isNull();
        assertThat(header(entries.get(2), 0).getSupersedes()).isNull();
    }

    @Test
    void the_same_version_twice_is_a_duplicate_not_a_correction() {
        Encounter once = FhirResources.inpatient("V-DUP", T0);
        once.getMeta().setVersionId("1").setLastUpdated(Date.from(T0));
        List<SameRequestVersions.Entry> entries = map(once, once.copy());
        SameRequestVersions.link(entries);
        assertThat(header(entries.get(0), 0).getEventId()).isEqualTo(header(entries.get(1), 0).getEventId());
        assertThat(header(entries.get(1), 0).getSupersedes()).isNull();
    }
}
