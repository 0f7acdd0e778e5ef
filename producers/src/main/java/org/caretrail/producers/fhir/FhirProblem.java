package org.caretrail.producers.fhir;

import java.util.List;

/**
 * Why a FHIR request is refused: the HTTP status (400 unreadable, 404 unknown type, 422 readable
 * but not acceptable) and every issue, each with the FHIRPath of the element at fault.
 */
public final class FhirProblem extends RuntimeException {

    /** One thing wrong, at {@code expression} (a FHIRPath such as {@code Encounter.subject}). */
    public record Issue(String expression, String message) {
        @Override
        public String toString() {
            return expression == null ? message : expression + ": " + message;
        }
    }

    private final int status;
    private final List<Issue> issues;

    public FhirProblem(int status, List<Issue> issues) {
        super(String.join("; ", issues.stream().map(Issue::toString).toList()));
        this.status = status;
        this.issues = List.copyOf(issues);
    }

    public static FhirProblem unprocessable(String expression, String message) {
        return new FhirProblem(422, List.of(new Issue(expression, message)));
    }

    public static FhirProblem badRequest(String expression, String message) {
        return new FhirProblem(400, List.of(new Issue(expression, message)));
    }

    public int status() {
        return status;
    }

    public List<Issue> issues() {
        return issues;
    }
}
