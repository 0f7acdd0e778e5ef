package org.caretrail.producers.fhir;

import java.util.List;

/**
 * Why a FHIR request is refused: the HTTP status (400 unreadable, 404 unknown type, 413 over a limit,
 * 422 readable but not acceptable, 503 busy or Kafka away) and every issue, each with the FHIRPath of
 * the element at fault.
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
    private final int retryAfterSeconds;
    private final boolean throttled;

    public FhirProblem(int status, List<Issue> issues) {
        this(status, issues, 0, false);
    }

    /** A refusal the sender should retry after {@code retryAfterSeconds} (a 503 because Kafka did not answer). */
    public FhirProblem(int status, List<Issue> issues, int retryAfterSeconds) {
        this(status, issues, retryAfterSeconds, false);
    }

    private FhirProblem(int status, List<Issue> issues, int retryAfterSeconds, boolean throttled) {
        super(String.join("; ", issues.stream().map(Issue::toString).toList()));
        this.status = status;
        this.issues = List.copyOf(issues);
        this.retryAfterSeconds = retryAfterSeconds;
        this.throttled = throttled;
    }

    /** 503 because the gateway is at capacity: retry after {@code retryAfterSeconds}. */
    public static FhirProblem busy(String message, int retryAfterSeconds) {
        return new FhirProblem(503, List.of(new Issue(null, message)), retryAfterSeconds, true);
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

    /** Seconds for the {@code Retry-After} header; 0 for none. */
    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** Refused because the gateway is at capacity (FHIR issue type throttled), not because of the request. */
    public boolean throttled() {
        return throttled;
    }
}
