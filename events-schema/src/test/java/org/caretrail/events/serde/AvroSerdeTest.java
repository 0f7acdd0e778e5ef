package org.caretrail.events.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.caretrail.events.CareEventType;
import org.caretrail.events.json.ExampleEvents;
import org.caretrail.events.model.Consent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AvroSerdeTest {

    private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();

    @ParameterizedTest
    @EnumSource(CareEventType.class)
    @SuppressWarnings("unchecked")
    void everyEventTypeRoundTripsInTheConfluentWireFormat(CareEventType type) {
        SpecificRecord event = ExampleEvents.parsed(type).event();
        AvroSerde<SpecificRecord> serde = (AvroSerde<SpecificRecord>) AvroSerde.of(type.recordClass(), registry);
        byte[] bytes = serde.serialize(type.topic(), event);

        assertThat(bytes[0]).isEqualTo(AvroSerde.MAGIC_BYTE);
        int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
        assertThat(registry.schemaById(id)).isEqualTo(type.schema());
        assertThat(serde.deserialize(type.topic(), bytes)).isEqualTo(event);
    }

    @Test
    void every_subject_a_serde_writes_to_is_full_transitive_so_a_schema_old_readers_cannot_read_is_refused() {
        // a Kafka Streams internal topic: the subject the serde registers is not one `topics apply` knows
        String internal = "caretrail-timeline-KSTREAM-REPARTITION-0000000003-repartition";
        Consent example = (Consent) ExampleEvents.parsed(CareEventType.CONSENT).event();
        AvroSerde.of(Consent.class, registry).serialize(internal, example);

        // header has no default: a schema without it reads old records (BACKWARD, the registry's
        // default, would take it) but records written with it cannot be read by old readers (not FORWARD)
        Schema current = Consent.getClassSchema();
        assertThat(current.getField("header").hasDefaultValue()).isFalse();
        Schema withoutHeader = Schema.createRecord(current.getName(), current.getDoc(), current.getNamespace(), false,
                current.getFields().stream().filter(f -> !f.name().equals("header"))
                        .map(f -> new Schema.Field(f, f.schema())).toList());

        assertThat(registry.isCompatible(internal + "-value", withoutHeader)).isFalse();
        assertThatThrownBy(() -> registry.register(internal + "-value", withoutHeader))
                .isInstanceOf(SchemaRegistryException.class).hasMessageContaining("FULL_TRANSITIVE");
        // a subject nobody set stays at the registry's default, which would have taken it
        registry.register("someone-elses-topic-value", current);
        assertThat(registry.isCompatible("someone-elses-topic-value", withoutHeader)).isTrue();
    }

    @Test
    void readsRecordsWrittenWithAnOlderSchema() throws Exception {
        // an older Consent without the preferences map (a field added later, with a default)
        Schema current = Consent.getClassSchema();
        Schema oldSchema = Schema.createRecord(current.getName(), current.getDoc(), current.getNamespace(), false,
                current.getFields().stream().filter(f -> !f.name().equals("preferences"))
                        .map(f -> new Schema.Field(f, f.schema())).toList());
        assertThat(oldSchema.getField("preferences")).isNull();

        Consent example = (Consent) ExampleEvents.parsed(CareEventType.CONSENT).event();
        GenericRecord old = new GenericData.Record(oldSchema);
        old.put("header", example.getHeader());
        old.put("nationalDataOptOut", true);
        int oldId = registry.register("care.consents-value", oldSchema);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt(oldId).array());
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(oldSchema, org.apache.avro.specific.SpecificData.getForClass(org.caretrail.events.model.EventHeader.class)).write(old, encoder);
        encoder.flush();

        Consent read = AvroSerde.of(Consent.class, registry).deserialize("care.consents", out.toByteArray());
        assertThat(read.getNationalDataOptOut()).isTrue();
        assertThat(read.getPreferences()).isEmpty();
        assertThat(read.getHeader().getEventId()).isEqualTo(example.getHeader().getEventId());
    }

    @Test
    void garbageAndUnknownSchemaIdsFailWithAClearReason() {
        AvroSerde<Consent> serde = AvroSerde.of(Consent.class, registry);
        assertThatThrownBy(() -> serde.deserialize("care.consents", "hello".getBytes()))
                .isInstanceOf(SerializationException.class).hasMessageContaining("magic byte");
        byte[] unknownId = {0, 0, 0, 0x7f, 0x7f, 2, 4};
        assertThatThrownBy(() -> serde.deserialize("care.consents", unknownId))
                .isInstanceOf(SerializationException.class).hasMessageContaining("unknown schema id");
    }
}
