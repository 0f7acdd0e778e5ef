package org.caretrail.timeline.query;

import java.util.Optional;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.caretrail.timeline.processor.TimelineStores;

/**
 * Which stream-processor instance holds a patient's timeline, via {@code queryMetadataForKey} on
 * the timeline store. Instances advertise themselves with {@code application.server}
 * ({@code TimelineSettings.APPLICATION_SERVER}); without it, every patient is answered locally.
 */
public final class TimelineHostLookup {

    /** The owner is not known (a rebalance is under way): try again shortly. */
    public static final class OwnerUnknownException extends RuntimeException {
        public OwnerUnknownException(String message) {
            super(message);
        }
    }

    private final KafkaStreams streams;
    private final HostInfo self;

    /**
     * @param self this instance's {@code application.server}, or null for a single instance
     */
    public TimelineHostLookup(KafkaStreams streams, HostInfo self) {
        this.streams = streams;
        this.self = self;
    }

    /** The instance to forward to, or empty when this instance owns the patient (or runs alone). */
    public Optional<HostInfo> remoteOwner(String nhsNumber) {
        if (self == null) {
            return Optional.empty();
        }
        KeyQueryMetadata meta = streams.queryMetadataForKey(TimelineStores.SUMMARIES, nhsNumber,
                Serdes.String().serializer());
        if (meta == null || meta.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
            throw new OwnerUnknownException("no instance owns the timeline of " + nhsNumber + " at the moment");
        }
        HostInfo owner = meta.activeHost();
        return owner.equals(self) ? Optional.empty() : Optional.of(owner);
    }
}
