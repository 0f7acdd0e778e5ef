package org.caretrail.producers.support;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEventValidator;
import org.caretrail.events.serde.InMemorySchemaRegistry;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.topic.Topics;
import org.caretrail.producers.publisher.CarePublisher;

/** A CarePublisher over Kafka's MockProducer and the in-memory registry, with helpers to read back. */
public final class MockPublisher {

    public final MockProducer<String, byte[]> producer;
    public final Topics topics = new Topics(new InMemorySchemaRegistry());
    public final CarePublisher publisher;

    public MockPublisher(boolean autoComplete) {
        producer = new MockProducer<>(autoComplete, null, new StringSerializer(), new ByteArraySerializer());
        publisher = new CarePublisher(producer, topics, new CareEventValidator());
    }

    public MockPublisher() {
        this(true);
    }

    /** Every care event sent so far, decoded, in order (dead letters left out). */
    public List<SpecificRecord> events() {
        return producer.history().stream()
                .filter(r -> !r.topic().equals(CareTopics.DEAD_LETTER))
                .map(this::decode)
                .toList();
    }

    public SpecificRecord decode(ProducerRecord<String, byte[]> record) {
        CareEventType type = CareEventType.byTopic(record.topic()).orElseThrow();
        return topics.events(type).valueSerde().deserializer().deserialize(record.topic(), record.value());
    }

    public List<ProducerRecord<String, byte[]>> deadLetters() {
        return producer.history().stream().filter(r -> r.topic().equals(CareTopics.DEAD_LETTER)).toList();
    }

    public static String reason(ProducerRecord<String, byte[]> deadLetter) {
        Header h = deadLetter.headers().lastHeader(CareTopics.HEADER_REASON);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
