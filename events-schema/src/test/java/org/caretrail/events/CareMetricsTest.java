package org.caretrail.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.caretrail.events.metrics.CareMetrics;
import org.junit.jupiter.api.Test;

/** The label rules: every label value comes from a small fixed set, whatever a sender writes. */
class CareMetricsTest {

    @Test
    void http_statuses_become_their_class() {
        assertThat(CareMetrics.statusClass(200)).isEqualTo("2xx");
        assertThat(CareMetrics.statusClass(201)).isEqualTo("2xx");
        assertThat(CareMetrics.statusClass(422)).isEqualTo("4xx");
        assertThat(CareMetrics.statusClass(503)).isEqualTo("5xx");
        assertThat(CareMetrics.statusClass(-1)).isEqualTo("other");
        assertThat(CareMetrics.statusClass(999)).isEqualTo("other");
    }

    @Test
    void hl7_triggers_are_adt_a00_to_a99_or_other() {
        assertThat(CareMetrics.hl7Trigger("ADT", "A01")).isEqualTo("ADT_A01");
        assertThat(CareMetrics.hl7Trigger("ADT", "A1")).isEqualTo("other");
        assertThat(CareMetrics.hl7Trigger("ADT", "9990000018")).isEqualTo("other");
        assertThat(CareMetrics.hl7Trigger("ORU", "R01")).isEqualTo("other");
        assertThat(CareMetrics.hl7Trigger(null, null)).isEqualTo("unparsed");
        assertThat(CareMetrics.ackCode("AE")).isEqualTo("AE");
        assertThat(CareMetrics.ackCode("CA")).isEqualTo("other");
        assertThat(CareMetrics.method("get")).isEqualTo("GET");
        assertThat(CareMetrics.method("BREW")).isEqualTo("other");
    }

    @Test
    void dead_letter_reasons_fall_into_a_few_categories_and_never_carry_the_text() {
        assertThat(CareMetrics.deadLetterReason("AE: Admission x: NHS number 9990000019 fails the Modulus 11 check"))
                .isEqualTo("invalid-event");
        assertThat(CareMetrics.deadLetterReason("AR: message cannot be parsed as HL7v2: ...")).isEqualTo("refused-message");
        assertThat(CareMetrics.deadLetterReason("invalid admission event: header.patient: no identifier"))
                .isEqualTo("invalid-event");
        assertThat(CareMetrics.deadLetterReason("cannot decode admission event: unknown schema id 7"))
                .isEqualTo("undecodable");
        assertThat(CareMetrics.deadLetterReason("the record key is 5000 bytes; the limit is 1024"))
                .isEqualTo("oversized");
        assertThat(CareMetrics.deadLetterReason("unresolved identity: no link from local identifier MRN|1"))
                .isEqualTo("unresolved-identity");
        assertThat(CareMetrics.deadLetterReason("413: the request body is over 1 MiB")).isEqualTo("oversized");
        assertThat(CareMetrics.deadLetterReason("422: Encounter.subject must name a patient")).isEqualTo("invalid-event");
        assertThat(CareMetrics.deadLetterReason("400: not JSON")).isEqualTo("refused-message");
        assertThat(CareMetrics.deadLetterReason("processing failed in timeline-processor: NPE"))
                .isEqualTo("processing-error");
        assertThat(CareMetrics.deadLetterReason("a third party's own words")).isEqualTo("other");
        assertThat(CareMetrics.deadLetterReason(null)).isEqualTo("other");

        // whatever the text, the category is one of the declared few
        Set<String> seen = new HashSet<>();
        for (String reason : new String[] {"AE: 9990000018", "AR:", "x", "413: y", "cannot write to care.timelines",
                "empty record (no value) on care.admissions", "the output for t was not written: too large"}) {
            seen.add(CareMetrics.deadLetterReason(reason));
        }
        assertThat(CareMetrics.DEAD_LETTER_REASONS).containsAll(seen);
        assertThat(CareMetrics.deadLetterOrigin("hl7v2-mllp")).isEqualTo("mllp");
        assertThat(CareMetrics.deadLetterOrigin("fhir:/fhir/r4/Encounter")).isEqualTo("fhir");
        assertThat(CareMetrics.deadLetterOrigin("care.admissions")).isEqualTo("timeline");
        assertThat(CareMetrics.deadLetterOrigin("https://evil.example/9990000018")).isEqualTo("other");
    }
}
