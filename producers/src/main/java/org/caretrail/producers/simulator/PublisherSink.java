package org.caretrail.producers.simulator;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.producers.publisher.CarePublisher;

/** Sends events with the publisher library, straight to their Kafka topics. Does not close the publisher. */
public final class PublisherSink implements EventSink {

    private final CarePublisher publisher;

    public PublisherSink(CarePublisher publisher) {
        this.publisher = Objects.requireNonNull(publisher, "publisher");
    }

    @Override
    public CompletableFuture<?> send(SpecificRecord event) {
        return publisher.publish(event);
    }

    @Override
    public void flush() {
        publisher.flush();
    }

    @Override
    public String name() {
        return "kafka";
    }
}
