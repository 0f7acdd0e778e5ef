package org.caretrail.producers.fhir;

import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.EventHeader;
import org.hl7.fhir.r4.model.OperationOutcome;

/**
 * The OperationOutcomes the gateway answers with, each of bounded size whatever the request held: at
 * most {@value #MAX_ISSUES} issues (the last says how many more there were) and
 * {@value #MAX_DIAGNOSTICS_CHARS} characters of diagnostics per issue (a sender's own text quoted back,
 * such as an over-long identifier, is cut).
 */
final class FhirOutcomes {

    static final int MAX_ISSUES = 100;
    static final int MAX_DIAGNOSTICS_CHARS = 500;

    private FhirOutcomes() {
    }

    /** The outcome of a refusal: one error issue per problem, typed by the HTTP status. */
    static OperationOutcome of(FhirProblem problem) {
        OperationOutcome outcome = new OperationOutcome();
        OperationOutcome.IssueType type = problem.throttled() ? OperationOutcome.IssueType.THROTTLED
                : issueType(problem.status());
        List<FhirProblem.Issue> issues = problem.issues();
        int shown = Math.min(issues.size(), issues.size() > MAX_ISSUES ? MAX_ISSUES - 1 : MAX_ISSUES);
        for (int i = 0; i < shown; i++) {
            FhirProblem.Issue issue = issues.get(i);
            OperationOutcome.OperationOutcomeIssueComponent c = outcome.addIssue()
                    .setSeverity(OperationOutcome.IssueSeverity.ERROR)
                    .setCode(type)
                    .setDiagnostics(cut(issue.toString()));
            if (issue.expression() != null) {
                c.addExpression(cut(issue.expression()));
            }
        }
        if (shown < issues.size()) {
            outcome.addIssue().setSeverity(OperationOutcome.IssueSeverity.ERROR).setCode(type)
                    .setDiagnostics("... and " + (issues.size() - shown) + " more issues");
        }
        return outcome;
    }

    static OperationOutcome.IssueType issueType(int status) {
        return switch (status) {
            case 400 -> OperationOutcome.IssueType.STRUCTURE;
            case 404, 405 -> OperationOutcome.IssueType.NOTSUPPORTED;
            case 413 -> OperationOutcome.IssueType.TOOCOSTLY;
            case 429 -> OperationOutcome.IssueType.THROTTLED;
            case 500 -> OperationOutcome.IssueType.EXCEPTION;
            case 503 -> OperationOutcome.IssueType.TRANSIENT;
            default -> OperationOutcome.IssueType.INVALID;
        };
    }

    /** The outcome of a create: one informational issue naming each event published and where it is. */
    static OperationOutcome published(List<SpecificRecord> events, List<RecordMetadata> written, String what) {
        OperationOutcome outcome = new OperationOutcome();
        if (events.isEmpty()) {
            outcome.addIssue().setSeverity(OperationOutcome.IssueSeverity.INFORMATION)
                    .setCode(OperationOutcome.IssueType.INFORMATIONAL)
                    .setDiagnostics(what + ": nothing to publish (a Patient is published only when it links an "
                            + "NHS number to a local identifier or states a death)");
            return outcome;
        }
        for (int i = 0; i < events.size(); i++) {
            EventHeader h = CareEvents.header(events.get(i));
            RecordMetadata m = written.get(i);
            outcome.addIssue().setSeverity(OperationOutcome.IssueSeverity.INFORMATION)
                    .setCode(OperationOutcome.IssueType.INFORMATIONAL)
                    .setDiagnostics(cut("published " + CareEventType.of(events.get(i)).jsonName() + " "
                            + h.getAction() + " subjectId=" + h.getSubjectId() + " eventId=" + h.getEventId() + " to "
                            + m.topic() + "-" + m.partition() + "@" + m.offset()));
        }
        return outcome;
    }

    /** HTTP's words for the statuses the gateway gives, for Bundle.entry.response.status. */
    static String statusLine(int status) {
        return status + " " + switch (status) {
            case 200 -> "OK";
            case 201 -> "Created";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 413 -> "Payload Too Large";
            case 422 -> "Unprocessable Entity";
            case 429 -> "Too Many Requests";
            case 503 -> "Service Unavailable";
            default -> "Error";
        };
    }

    static String cut(String text) {
        if (text == null || text.length() <= MAX_DIAGNOSTICS_CHARS) {
            return text;
        }
        return text.substring(0, MAX_DIAGNOSTICS_CHARS - 30) + "... (" + text.length() + " characters)";
    }
}
