package org.caretrail.timeline;

import java.time.Instant;
import org.apache.kafka.streams.KafkaStreams;

/**
 * How the timeline stream processor is doing, for {@code /health} and the log.
 *
 * @param status UP (processing), STARTING (not yet processing since start), DEGRADED (a stream thread failed
 *        and is being replaced, or the schema registry is unreachable and waited for), DOWN (stopped: its stream
 *        thread kept failing for the same cause, or it was closed)
 * @param state the Kafka Streams state
 * @param cause why it is not UP (the failure as a person reads it), or null
 * @param since when the last failure happened, or null
 */
public record TimelineHealth(Status status, KafkaStreams.State state, String cause, Instant since) {

    public enum Status { UP, STARTING, DEGRADED, DOWN }

    public boolean up() {
        return status == Status.UP;
    }
}
