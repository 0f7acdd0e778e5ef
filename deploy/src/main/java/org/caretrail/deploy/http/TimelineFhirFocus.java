package org.caretrail.deploy.http;

import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.caretrail.consumers.subscriptions.FhirFocus;
import org.caretrail.consumers.subscriptions.Subscription;
import org.caretrail.events.access.Caller;
import org.caretrail.events.access.Role;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.timeline.fhir.FhirReadApi;
import org.caretrail.timeline.fhir.TimelineResources;
import org.hl7.fhir.r4.model.Resource;

/**
 * A FHIR notification's focus, from the FHIR read API: the same mapping and the same resource a client
 * reads. The read is made for the subscription as a caller of its own ({@code subscription:<id>}, reading
 * as a clinician would, RESTRICTED entries only when the subscription may receive them), so the owner of
 * the patient audits it under the patient when it is forwarded there.
 */
public final class TimelineFhirFocus implements FhirFocus {

    private final String base;
    private final FhirReadApi reads;

    /** @param base the platform's FHIR base URL, e.g. {@code http://127.0.0.1:8080/fhir/r4} */
    public TimelineFhirFocus(String base, FhirReadApi reads) {
        this.base = base;
        this.reads = reads;
    }

    @Override
    public String base() {
        return base;
    }

    @Override
    public String reference(TimelineChange change) {
        return TimelineResources.referenceOf(change.getNhsNumber(), change.getEntry());
    }

    @Override
    public Optional<Resource> resource(TimelineChange change, Subscription subscription) throws Unavailable {
        Set<Role> roles = subscription.mayReceiveRestricted() ? EnumSet.of(Role.CLINICIAN, Role.RESTRICTED_ACCESS)
                : EnumSet.of(Role.CLINICIAN);
        Caller caller = new Caller("subscription:" + subscription.id(), subscription.owner() == null ? null
                : subscription.owner().client(), Caller.Verification.NONE, roles);
        try {
            return reads.resource(reference(change), caller);
        } catch (InvalidStateStoreException e) {
            throw new Unavailable(e.getMessage());
        }
    }
}
