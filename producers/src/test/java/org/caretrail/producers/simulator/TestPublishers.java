package org.caretrail.producers.simulator;

import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.caretrail.events.CareEventValidator;
import org.caretrail.events.serde.InMemorySchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.producers.publisher.CarePublisher;

/** A CarePublisher over Kafka's MockProducer and the in-memory registry. */
public final class TestPublishers {

    private TestPublishers() {
    }

    public static MockProducer<String, byte[]> autoCompleting() {
        return new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
    }

    public static CarePublisher over(MockProducer<String, byte[]> producer) {
        return new CarePublisher(producer, new Topics(new InMemorySchemaRegistry()), new CareEventValidator());
    }
}
