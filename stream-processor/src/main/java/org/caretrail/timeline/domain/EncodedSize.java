package org.caretrail.timeline.domain;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.caretrail.events.AvroTrust;

/**
 * The size of a record in Avro binary (without the 5-byte wire-format prefix), as
 * {@code EncodedSize.of} measures it, with one writer per schema kept: the byte budgets measure
 * entries and summaries on every change, so building a writer each time would cost more than the write.
 */
public final class EncodedSize {

    private static final Map<Schema, SpecificDatumWriter<IndexedRecord>> WRITERS = new ConcurrentHashMap<>();

    static {
        AvroTrust.install();
    }

    private EncodedSize() {
    }

    public static long of(IndexedRecord record) {
        SpecificDatumWriter<IndexedRecord> writer = WRITERS.computeIfAbsent(record.getSchema(),
                SpecificDatumWriter::new);
        Counter counter = new Counter();
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(counter, null);
        try {
            writer.write(record, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot encode a " + record.getSchema().getName() + ": " + e, e);
        }
        return counter.count;
    }

    private static final class Counter extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }
}
