package org.caretrail.consumers.subscriptions;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;
import org.caretrail.events.model.ChangeKind;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.model.TimelineEntry;

/**
 * A notification for a patient's registered GP practice: the patient was admitted, discharged or
 * died. Derived from the timeline change that first adds such an entry (not from later updates or
 * withdrawals), and only when the patient's registered practice is known.
 */
public record GpNotification(String practiceOdsCode, Reason reason, TimelineChange change) {

    public enum Reason { ADMITTED, DISCHARGED, DIED }

    public static Optional<GpNotification> of(TimelineChange change) {
        TimelineEntry entry = change.getEntry();
        if (change.getKind() != ChangeKind.ADDED || entry.getStatus() != EntryStatus.CURRENT
                || change.getRegisteredPracticeOdsCode() == null) {
            return Optional.empty();
        }
        Reason reason = switch (entry.getType()) {
            case ADMISSION -> Reason.ADMITTED;
            case DISCHARGE -> Reason.DISCHARGED;
            case DEATH -> Reason.DIED;
            default -> null;
        };
        return reason == null ? Optional.empty()
                : Optional.of(new GpNotification(change.getRegisteredPracticeOdsCode(), reason, change));
    }

    public ObjectNode toJson() {
        TimelineEntry entry = change.getEntry();
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("practiceOdsCode", practiceOdsCode);
        node.put("reason", reason.name());
        node.put("nhsNumber", change.getNhsNumber());
        node.put("occurredAt", entry.getOccurredAt().toString());
        node.put("organisationOdsCode", entry.getSource().getOdsCode());
        if (entry.getSource().getName() != null) {
            node.put("organisationName", entry.getSource().getName());
        }
        node.put("summary", entry.getSummary());
        return node;
    }
}
