package org.caretrail.timeline.processor;

import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.serde.SchemaRegistry;
import org.caretrail.timeline.domain.IdentityItem;

/** Store format of an {@link IdentityItem}: its events ({@link EventListSerde}, subject {@value #SUBJECT_TOPIC}-value). */
public final class IdentityItemSerde implements Serde<IdentityItem>, Serializer<IdentityItem>,
        Deserializer<IdentityItem> {

    static final String SUBJECT_TOPIC = "caretrail.identity-item";
    private final EventListSerde<PatientIdentity> lists;

    public IdentityItemSerde(SchemaRegistry registry) {
        this.lists = new EventListSerde<>(PatientIdentity.class, registry, SUBJECT_TOPIC);
    }

    @Override
    public byte[] serialize(String topic, IdentityItem item) {
        return item == null ? null : lists.serialize(topic, item.events());
    }

    @Override
    public IdentityItem deserialize(String topic, byte[] data) {
        return data == null ? null : IdentityItem.of(lists.deserialize(topic, data));
    }

    @Override
    public Serializer<IdentityItem> serializer() {
        return this;
    }

    @Override
    public Deserializer<IdentityItem> deserializer() {
        return this;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        // configured by construction
    }

    @Override
    public void close() {
        // the registry belongs to whoever created it
    }
}
