package org.caretrail.events.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import org.caretrail.events.CareEventType;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Sensitivity;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class CareEventJsonTest {

    @ParameterizedTest
    @EnumSource(CareEventType.class)
    void everyExampleRoundTripsThroughTheOneMapping(CareEventType type) throws Exception {
        CareEventJson.ParsedEvent parsed = ExampleEvents.parsed(type);
        assertThat(parsed.type()).isEqualTo(type);
        assertThat(parsed.event()).isInstanceOf(type.recordClass());

        ObjectNode written = CareEventJson.toEventJson(parsed.event());
        assertThat(CareEventJson.parseEvent(written.toString()).event()).isEqualTo(parsed.event());

        JsonNode example = CareEventJson.mapper().readTree(ExampleEvents.json(type));
        assertThat(written.get("type").asText()).isEqualTo(type.jsonName());
        assertThat(written.get("header").get("eventId")).isEqualTo(example.get("header").get("eventId"));
    }

    @Test
    void readsTypesTimestampsEnumsAndDefaults() {
        Admission a = (Admission) ExampleEvents.parsed(CareEventType.ADMISSION).event();
        assertThat(a.getHeader().getOccurredAt()).isEqualTo(Instant.parse("2026-10-20T09:15:00Z"));
        assertThat(a.getHeader().getAction()).isEqualTo(Action.NEW);
        assertThat(a.getHeader().getSource().getKind()).isEqualTo(ProviderKind.ACUTE);
        assertThat(a.getHeader().getSensitivity()).isEqualTo(Sensitivity.NORMAL); // default, omitted in the example
        assertThat(a.getWard()).isEqualTo("Ward 7 (Acute Medical Unit)");
    }

    @Test
    void acceptsAnOffsetTimestampAndWritesAnInstant() {
        String json = ExampleEvents.json(CareEventType.ADMISSION)
                .replace("2026-10-20T09:15:00Z", "2026-10-20T10:15:00+01:00");
        Admission a = (Admission) CareEventJson.parseEvent(json).event();
        assertThat(CareEventJson.toJson(a).get("header").get("occurredAt").asText()).isEqualTo("2026-10-20T09:15:00Z");
    }

    @Test
    void namesTheFieldThatIsWrong() {
        assertThatThrownBy(() -> CareEventJson.parseEvent(ExampleEvents.json(CareEventType.ADMISSION)
                .replace("\"2026-10-20T09:15:00Z\"", "\"20/10/2026\"")))
                .isInstanceOf(CareEventJsonException.class)
                .hasMessageContaining("header.occurredAt")
                .hasMessageContaining("20/10/2026");
        assertThatThrownBy(() -> CareEventJson.parseEvent(ExampleEvents.json(CareEventType.ADMISSION)
                .replace("\"kind\": \"ACUTE\"", "\"kind\": \"HOSPITAL\"")))
                .hasMessageContaining("header.source.kind")
                .hasMessageContaining("ACUTE");
        assertThatThrownBy(() -> CareEventJson.parseEvent(ExampleEvents.json(CareEventType.ADMISSION)
                .replace("\"ward\"", "\"wrad\"")))
                .hasMessageContaining("wrad is not a field of Admission");
        assertThatThrownBy(() -> CareEventJson.parseEvent(ExampleEvents.json(CareEventType.TRANSFER)
                .replace("\"spellId\": \"SPELL-2026-00042\",", "")))
                .hasMessageContaining("spellId is required");
    }

    @Test
    void namesAMissingOrUnknownType() {
        assertThatThrownBy(() -> CareEventJson.parseEvent("{\"header\":{}}")).hasMessageContaining("\"type\" is missing");
        assertThatThrownBy(() -> CareEventJson.parseEvent("{\"type\":\"admision\"}"))
                .hasMessageContaining("unknown type 'admision'").hasMessageContaining("admission");
        assertThatThrownBy(() -> CareEventJson.parseEvent("{not json")).hasMessageStartingWith("not JSON");
    }
}
