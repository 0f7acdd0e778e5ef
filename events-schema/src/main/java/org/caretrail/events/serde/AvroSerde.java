package org.caretrail.events.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Avro in the Confluent wire format: magic byte 0, the schema's 4-byte registry id (big-endian),
 * then Avro binary. The subject is {@code <topic>-value} (or {@code -key}). Writing registers the
 * schema once per subject ({@link #register(String)}: under {@link SchemaRegistry#FULL_TRANSITIVE}, so every
 * subject CareTrail writes, the stream processor's internal repartition, changelog and store subjects
 * too, refuses an incompatible schema, a third party's included); reading fetches the writer's schema by id and resolves it to this
 * class's schema, so old and new producers can share a topic.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T>, Serializer<T>, Deserializer<T> {

    static {
        org.caretrail.events.AvroTrust.install();
    }

    public static final byte MAGIC_BYTE = 0;
    private static final int HEADER_LENGTH = 5;

    private final Class<T> type;
    private final Schema schema;
    private final SchemaRegistry registry;
    private final boolean isKey;
    private final SpecificDatumWriter<T> writer;
    private final Map<String, Integer> idsBySubject = new ConcurrentHashMap<>();
    private final Map<Integer, SpecificDatumReader<T>> readersById = new ConcurrentHashMap<>();

    private AvroSerde(Class<T> type, SchemaRegistry registry, boolean isKey) {
        this.type = type;
        this.schema = SpecificData.get().getSchema(type);
        this.registry = registry;
        this.isKey = isKey;
        this.writer = new SpecificDatumWriter<>(schema);
    }

    /** A value serde for {@code type}. */
    public static <T extends SpecificRecord> AvroSerde<T> of(Class<T> type, SchemaRegistry registry) {
        return new AvroSerde<>(type, registry, false);
    }

    public Class<T> type() {
        return type;
    }

    public Schema schema() {
        return schema;
    }

    /** The subject this serde registers under for {@code topic}. */
    public String subject(String topic) {
        return topic + (isKey ? "-key" : "-value");
    }

    /**
     * Registers this serde's schema under {@code topic}'s subject, once per serde, setting the subject's
     * compatibility to {@link SchemaRegistry#FULL_TRANSITIVE} first (the one rule for every subject
     * CareTrail registers: a schema that could not read, or be read by, every earlier one is refused).
     * Returns the schema's id.
     */
    public int register(String topic) {
        return idsBySubject.computeIfAbsent(subject(topic), s -> {
            registry.setCompatibility(s, SchemaRegistry.FULL_TRANSITIVE);
            return registry.register(s, schema);
        });
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        int id = register(topic);
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(256);
            out.write(MAGIC_BYTE);
            out.write(ByteBuffer.allocate(4).putInt(id).array());
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writer.write(data, encoder);
            encoder.flush();
            return out.toByteArray();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot write " + schema.getName() + " to " + topic + ": " + e.getMessage(), e);
        }
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        int id = schemaId(data);
        SpecificDatumReader<T> reader;
        try {
            reader = readersById.computeIfAbsent(id, i -> new SpecificDatumReader<>(registry.schemaById(i), schema));
        } catch (SchemaRegistryException e) {
            throw new SerializationException("unknown schema id " + id + " in a record on " + topic + ": "
                    + e.getMessage(), e);
        }
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, HEADER_LENGTH, data.length - HEADER_LENGTH, null);
            return reader.read(null, decoder);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot read " + schema.getName() + " (schema id " + id + ") from " + topic
                    + ": " + e, e);
        }
    }

    /** The registry id in a Confluent-framed record; throws when the framing is wrong. */
    public static int schemaId(byte[] data) {
        if (data.length < HEADER_LENGTH || data[0] != MAGIC_BYTE) {
            throw new SerializationException("not a Confluent-framed Avro record (" + data.length
                    + " bytes, first byte " + (data.length == 0 ? "none" : data[0]) + ", expected magic byte 0)");
        }
        return ByteBuffer.wrap(data, 1, 4).getInt();
    }

    @Override
    public Serializer<T> serializer() {
        return this;
    }

    @Override
    public Deserializer<T> deserializer() {
        return this;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        // configured by construction
    }

    @Override
    public void close() {
        // the registry is owned by whoever created it
    }
}
