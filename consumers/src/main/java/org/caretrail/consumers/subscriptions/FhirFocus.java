package org.caretrail.consumers.subscriptions;

import java.util.Optional;
import org.caretrail.events.model.TimelineChange;
import org.hl7.fhir.r4.model.Resource;

/**
 * What a FHIR notification is about: the resource of the FHIR read API that a timeline change belongs
 * to. The platform provides it from the read API itself (the stream processor's query layer: the same
 * mapping, the same resource a client reads), so a notification never says anything the read API would
 * not; this module does not know the timeline's stores.
 */
public interface FhirFocus {

    /** The read API's base, e.g. {@code http://127.0.0.1:8080/fhir/r4}: where references point. */
    String base();

    /** {@code Type/id} of the resource the change belongs to (e.g. {@code Encounter/9990000018-3f...}). */
    String reference(TimelineChange change);

    /**
     * The resource now, as the subscription may receive it (RESTRICTED entries only when
     * {@link Subscription#mayReceiveRestricted()}); empty when there is none to show (the patient was merged
     * away since, or the resource is no longer visible to it): the notification then carries its reference only.
     *
     * @throws Unavailable when it cannot be read at the moment: the delivery is retried
     */
    Optional<Resource> resource(TimelineChange change, Subscription subscription) throws Unavailable;

    /** The timeline cannot be read at the moment (starting, rebalancing, the owning instance away). */
    final class Unavailable extends Exception {
        public Unavailable(String message) {
            super(message);
        }
    }
}
