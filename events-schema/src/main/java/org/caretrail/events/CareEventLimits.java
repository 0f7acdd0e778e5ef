package org.caretrail.events;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * The size limits of a care event, the same at every way in (publisher library, MLLP, FHIR, files)
 * and in the stream processor: no field, list or event may be larger, so no sender can make a record
 * the pipeline cannot write. {@link CareEventValidator} applies them; each problem names the field,
 * its size and the limit.
 *
 * <table>
 * <caption>Limits</caption>
 * <tr><th>what</th><th>limit</th></tr>
 * <tr><td>identifiers and codes ({@value #IDENTIFIER_FIELDS_DOC})</td><td>{@value #MAX_IDENTIFIER_CHARS} characters</td></tr>
 * <tr><td>free text ({@value #FREE_TEXT_FIELDS_DOC})</td><td>{@value #MAX_FREE_TEXT_CHARS} characters</td></tr>
 * <tr><td>every other text field (names, wards, statuses...)</td><td>{@value #MAX_TEXT_CHARS} characters</td></tr>
 * <tr><td>lists (diagnoses) and maps (preferences)</td><td>{@value #MAX_ITEMS} items; map keys {@value #MAX_IDENTIFIER_CHARS} characters</td></tr>
 * <tr><td>the whole event, Avro binary</td><td>{@value #MAX_EVENT_BYTES} bytes</td></tr>
 * </table>
 */
public final class CareEventLimits {

    public static final int MAX_IDENTIFIER_CHARS = 128;
    public static final int MAX_TEXT_CHARS = 1_000;
    public static final int MAX_FREE_TEXT_CHARS = 4_000;
    public static final int MAX_ITEMS = 50;
    public static final int MAX_EVENT_BYTES = 32 * 1024;

    static final String IDENTIFIER_FIELDS_DOC = "eventId, subjectId, supersedes, spellId, visit, NHS numbers, "
            + "ODS codes, local identifier values, incident numbers, codes";
    static final String FREE_TEXT_FIELDS_DOC = "reason, description, chiefComplaint, cause";

    private static final Set<String> IDENTIFIERS = Set.of("eventId", "subjectId", "supersedes", "spellId", "visit",
            "nhsNumber", "supersededNhsNumber", "odsCode", "toOdsCode", "destinationOdsCode", "practiceOdsCode",
            "value", "incidentNumber", "code");
    private static final Set<String> FREE_TEXT = Set.of("reason", "description", "chiefComplaint", "cause");

    static {
        AvroTrust.install(); // encodedSize writes generated classes, perhaps before any serde was made
    }

    private CareEventLimits() {
    }

    /** The character limit of a text field, by its name. */
    public static int maxChars(String fieldName) {
        if (IDENTIFIERS.contains(fieldName)) {
            return MAX_IDENTIFIER_CHARS;
        }
        return FREE_TEXT.contains(fieldName) ? MAX_FREE_TEXT_CHARS : MAX_TEXT_CHARS;
    }

    /** Every field, list, map or the whole event over its limit, each named with its size and the limit. */
    public static List<String> problems(SpecificRecord event) {
        List<String> problems = new ArrayList<>();
        walk(event, "", problems);
        if (problems.isEmpty()) {
            long size = encodedSize(event);
            if (size > MAX_EVENT_BYTES) {
                problems.add("the event is " + size + " bytes encoded; the limit is " + MAX_EVENT_BYTES);
            }
        }
        return problems;
    }

    /** The size of {@code record} in Avro binary (without the 5-byte wire-format prefix). */
    public static long encodedSize(IndexedRecord record) {
        CountingStream counter = new CountingStream();
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(counter, null);
        try {
            new SpecificDatumWriter<IndexedRecord>(record.getSchema()).write(record, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            return Long.MAX_VALUE; // not encodable: the schema checks name the problem; here it is simply too big
        }
        return counter.count;
    }

    private static void walk(IndexedRecord record, String prefix, List<String> problems) {
        for (Schema.Field field : record.getSchema().getFields()) {
            check(record.get(field.pos()), prefix + field.name(), field.name(), problems);
        }
    }

    private static void check(Object value, String path, String name, List<String> problems) {
        if (value == null) {
            return;
        }
        if (value instanceof CharSequence text) {
            int max = maxChars(name);
            if (text.length() > max) {
                problems.add(path + " is " + text.length() + " characters long; the limit is " + max);
            }
        } else if (value instanceof IndexedRecord nested) {
            walk(nested, path + ".", problems);
        } else if (value instanceof Collection<?> items) {
            if (items.size() > MAX_ITEMS) {
                problems.add(path + " has " + items.size() + " items; the limit is " + MAX_ITEMS);
                return;
            }
            int i = 0;
            for (Object item : items) {
                check(item, path + "[" + i++ + "]", name, problems);
            }
        } else if (value instanceof Map<?, ?> map) {
            if (map.size() > MAX_ITEMS) {
                problems.add(path + " has " + map.size() + " entries; the limit is " + MAX_ITEMS);
                return;
            }
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String key = String.valueOf(e.getKey());
                if (key.length() > MAX_IDENTIFIER_CHARS) {
                    problems.add(path + " has a key " + key.length() + " characters long; the limit is "
                            + MAX_IDENTIFIER_CHARS);
                }
                check(e.getValue(), path + "." + abbreviate(key), "value-of-" + name, problems);
            }
        }
    }

    private static String abbreviate(String key) {
        return key.length() <= 40 ? key : key.substring(0, 40) + "...";
    }

    private static final class CountingStream extends OutputStream {
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
