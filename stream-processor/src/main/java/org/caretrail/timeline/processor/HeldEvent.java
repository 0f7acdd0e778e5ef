package org.caretrail.timeline.processor;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A care event waiting for identity resolution, exactly as it arrived: its topic, original key and
 * value bytes (so it can go to the dead-letter topic untouched if no link ever comes), and since when
 * it is held (0 while on its way to the store).
 */
public record HeldEvent(String topic, int partition, long offset, long heldSince, byte[] originalKey,
        byte[] originalValue) {

    public HeldEvent withHeldSince(long t) {
        return new HeldEvent(topic, partition, offset, t, originalKey, originalValue);
    }

    /** Binary form: version byte, topic, partition, offset, heldSince, key (length -1 for none), value. */
    public static final class HeldEventSerde implements Serde<HeldEvent>, Serializer<HeldEvent>,
            Deserializer<HeldEvent> {
        private static final byte VERSION = 1;

        @Override
        public byte[] serialize(String t, HeldEvent e) {
            if (e == null) {
                return null;
            }
            byte[] topic = e.topic().getBytes(StandardCharsets.UTF_8);
            int keyLength = e.originalKey() == null ? -1 : e.originalKey().length;
            ByteBuffer buf = ByteBuffer.allocate(1 + 4 + topic.length + 4 + 8 + 8 + 4 + Math.max(0, keyLength)
                    + e.originalValue().length);
            buf.put(VERSION).putInt(topic.length).put(topic).putInt(e.partition()).putLong(e.offset())
                    .putLong(e.heldSince()).putInt(keyLength);
            if (keyLength > 0) {
                buf.put(e.originalKey());
            }
            return buf.put(e.originalValue()).array();
        }

        @Override
        public HeldEvent deserialize(String t, byte[] data) {
            if (data == null) {
                return null;
            }
            try {
                ByteBuffer buf = ByteBuffer.wrap(data);
                if (buf.get() != VERSION) {
                    throw new SerializationException("unknown held-event format version " + data[0]);
                }
                byte[] topic = new byte[buf.getInt()];
                buf.get(topic);
                int partition = buf.getInt();
                long offset = buf.getLong();
                long heldSince = buf.getLong();
                int keyLength = buf.getInt();
                byte[] key = keyLength < 0 ? null : new byte[keyLength];
                if (key != null) {
                    buf.get(key);
                }
                byte[] value = new byte[buf.remaining()];
                buf.get(value);
                return new HeldEvent(new String(topic, StandardCharsets.UTF_8), partition, offset, heldSince, key,
                        value);
            } catch (RuntimeException e) {
                throw new SerializationException("not a held event (" + data.length + " bytes): " + e, e);
            }
        }

        @Override
        public Serializer<HeldEvent> serializer() {
            return this;
        }

        @Override
        public Deserializer<HeldEvent> deserializer() {
            return this;
        }

        @Override
        public void configure(Map<String, ?> configs, boolean isKey) {
            // nothing to configure
        }

        @Override
        public void close() {
            // nothing to close
        }
    }
}
