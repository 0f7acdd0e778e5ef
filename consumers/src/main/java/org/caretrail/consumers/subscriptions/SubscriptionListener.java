package org.caretrail.consumers.subscriptions;

/** Told when a subscription appears (or is re-read), when it is deleted, and when a redelivery is asked for. */
public interface SubscriptionListener {

    void subscriptionSaved(Subscription subscription);

    void subscriptionDeleted(String id);

    /** Every change since {@code from} is to be delivered again (told once, as the request is made, not on re-reads). */
    default void redeliveryRequested(String id, java.time.Instant from) {
    }
}
