package org.caretrail.events;

import java.util.List;

/** A care event that breaks the contract; the message lists every problem. */
public class InvalidCareEventException extends IllegalArgumentException {

    private final List<String> problems;

    public InvalidCareEventException(List<String> problems) {
        super(String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
