package org.caretrail.consumers.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import org.apache.avro.Schema;
import org.caretrail.events.CareEventType;
import org.caretrail.events.model.TimelineChange;
import org.junit.jupiter.api.Test;

/** Every field of every record replay can write has a decided rule: a new field fails here until someone decides. */
class PseudonymisationRulesTest {

    @Test
    void everyFieldOfTheContractHasARule() {
        Set<String> fields = new TreeSet<>();
        Set<String> seen = new HashSet<>();
        Deque<Schema> todo = new ArrayDeque<>();
        for (CareEventType type : CareEventType.values()) {
            todo.add(type.schema());
        }
        todo.add(TimelineChange.getClassSchema());
        while (!todo.isEmpty()) {
            Schema schema = todo.pop();
            switch (schema.getType()) {
                case RECORD -> {
                    if (seen.add(schema.getFullName())) {
                        for (Schema.Field field : schema.getFields()) {
                            fields.add(schema.getName() + "." + field.name());
                            todo.add(field.schema());
                        }
                    }
                }
                case UNION -> todo.addAll(schema.getTypes());
                case ARRAY -> todo.add(schema.getElementType());
                case MAP -> todo.add(schema.getValueType());
                default -> { }
            }
        }
        Set<String> undecided = new TreeSet<>(fields);
        undecided.removeIf(f -> PseudonymisationRules.of(f.substring(0, f.indexOf('.')),
                f.substring(f.indexOf('.') + 1)).isPresent());
        assertThat(undecided).as("fields without a pseudonymisation rule (decide and add them to "
                + "PseudonymisationRules and the README's table)").isEmpty();
        assertThat(fields).hasSizeGreaterThan(100);
        assertThat(PseudonymisationRules.all().keySet()).as("no rule for a field that does not exist")
                .isSubsetOf(fields);
    }
}
