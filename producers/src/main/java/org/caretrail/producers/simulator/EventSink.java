package org.caretrail.producers.simulator;

import java.util.concurrent.CompletableFuture;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.producers.publisher.CarePublisher;

/**
 * Where simulated events go. The future completes when the event is durably accepted (for Kafka:
 * acknowledged by all in-sync replicas; for an MLLP sink: an AA ACK; for a FHIR sink: 200/201) and
 * fails with the reason otherwise. Implementations must be safe to call from one thread while
 * futures complete on others.
 *
 * <p>Only the Kafka publisher sink lives here ({@link #publisher}); an HL7v2-over-MLLP or
 * FHIR-over-HTTP sink implements this interface around its client, and {@link RoutingSink} sends a
 * part of the traffic to it.
 */
public interface EventSink extends AutoCloseable {

    CompletableFuture<?> send(SpecificRecord event);

    /** Pushes out anything buffered. */
    default void flush() {
    }

    /** A short name for progress output and logs, e.g. "kafka" or "mllp". */
    default String name() {
        return getClass().getSimpleName();
    }

    @Override
    default void close() {
    }

    /** Publishes through {@code publisher} (which stays open: the caller owns it). */
    static EventSink publisher(CarePublisher publisher) {
        return new PublisherSink(publisher);
    }
}
