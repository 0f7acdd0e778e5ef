package org.caretrail.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEventValidator;
import org.caretrail.events.json.CareEventJson;
import org.junit.jupiter.api.Test;

/** The README's JSON examples are the real thing: every line parses, is valid, and every type is shown. */
class ReadmeExamplesTest {

    @Test
    void everyJsonLineInTheReadmeIsAValidEventAndEveryTypeIsThere() throws Exception {
        String readme = Files.readString(Path.of("../README.md"));
        int start = readme.indexOf("```jsonl\n");
        assertThat(start).as("README has a ```jsonl block").isPositive();
        int end = readme.indexOf("```", start + 9);
        List<String> lines = readme.substring(start + 9, end).lines().filter(l -> !l.isBlank()).toList();
        Set<CareEventType> seen = EnumSet.noneOf(CareEventType.class);
        CareEventValidator validator = new CareEventValidator();
        for (String line : lines) {
            CareEventJson.ParsedEvent parsed = CareEventJson.parseEvent(line);
            assertThat(validator.problems(parsed.event())).as(line).isEmpty();
            seen.add(parsed.type());
        }
        assertThat(seen).containsExactlyInAnyOrder(CareEventType.values());
        assertThat(lines).isEqualTo(Files.readAllLines(Path.of("../examples/care-events.jsonl")));
    }
}
