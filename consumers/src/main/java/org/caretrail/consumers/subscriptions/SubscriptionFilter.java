package org.caretrail.consumers.subscriptions;

import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.model.TimelineEntry;

/**
 * Whether a timeline change is for a subscription: its filters (a FHIR Subscription's topic is its event
 * types, its {@code patient} filter one NHS number), GP-notification flag and RESTRICTED rule.
 */
public final class SubscriptionFilter {

    private SubscriptionFilter() {
    }

    public static boolean matches(Subscription subscription, TimelineChange change) {
        TimelineEntry entry = change.getEntry();
        // RESTRICTED only by the owner's role (see Subscription#mayReceiveRestricted), GP notifications included
        if (entry.getSensitivity() == Sensitivity.RESTRICTED && !subscription.mayReceiveRestricted()) {
            return false;
        }
        if (!subscription.eventTypes().isEmpty() && !subscription.eventTypes().contains(entry.getType())) {
            return false;
        }
        if (subscription.registeredPractice() != null
                && !subscription.registeredPractice().equals(change.getRegisteredPracticeOdsCode())) {
            return false;
        }
        if (subscription.fhir() != null && subscription.fhir().patient() != null
                && !subscription.fhir().patient().equals(change.getNhsNumber())) {
            return false;
        }
        if (subscription.sourceOrganisation() != null
                && !subscription.sourceOrganisation().equals(entry.getSource().getOdsCode())) {
            return false;
        }
        return !subscription.gpNotifications() || GpNotification.of(change).isPresent();
    }
}
