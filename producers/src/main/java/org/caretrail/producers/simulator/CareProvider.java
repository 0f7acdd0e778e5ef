package org.caretrail.producers.simulator;

import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Source;

/**
 * A made-up care organisation the simulator publishes as: a well-formed (but fictional) ODS code,
 * a name, its kind and the system it sends from.
 *
 * @param localIdSystem the system that issues its local patient numbers (e.g. hospital numbers),
 *                      or null when it does not issue any
 */
public record CareProvider(String odsCode, String name, ProviderKind kind, String system, String localIdSystem) {

    /** The header's {@code source} for this organisation. */
    public Source source() {
        return Source.newBuilder().setOdsCode(odsCode).setName(name).setKind(kind).setSystem(system).build();
    }
}
