package org.caretrail.consumers.subscriptions;

/** Told when a subscription appears (or is re-read) and when it is deleted. */
public interface SubscriptionListener {

    void subscriptionSaved(Subscription subscription);

    void subscriptionDeleted(String id);
}
