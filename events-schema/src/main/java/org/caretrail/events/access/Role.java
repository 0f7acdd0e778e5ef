package org.caretrail.events.access;

/**
 * What a caller may do, from its verified identity (an OpenID Connect access token's claims, the
 * platform's static token, or an authenticated peer instance). A role sees nothing it does not need.
 */
public enum Role {
    /** Direct care: reads timelines (API, web view, FHIR read). RESTRICTED entries only with {@link #RESTRICTED_ACCESS} too. */
    CLINICIAN,
    /** An explicit grant, on top of {@link #CLINICIAN} (or a subscription's owner): may see RESTRICTED entries. */
    RESTRICTED_ACCESS,
    /** A provider system: publishes care events (FHIR gateway, MLLP on a trusted network); reads nothing. */
    INTEGRATION_SYSTEM,
    /** Manages subscriptions (webhooks, GP notifications); cannot read timelines. */
    SUBSCRIBER_ADMIN,
    /** Replays the topics, pseudonymised only. */
    ANALYST,
    /** Health, metrics, topics; no patient data. */
    OPERATOR
}
