package org.caretrail.producers.files;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEventType;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.events.json.CareEventJsonException;

/**
 * The CSV layout of one event type, and the mapping of a row to the event (through the one JSON
 * form, {@link CareEventJson}).
 *
 * <p>Columns: the header columns {@link #HEADER_COLUMNS} (flattened), then the event type's body
 * fields by their JSON names. A body field holding a local identifier (PatientIdentity's
 * {@code localId}) uses the same {@code localIdSystem}/{@code localIdValue} columns as the header,
 * and PatientIdentity's {@code nhsNumber} the same {@code nhsNumber} column. A map (Consent's
 * {@code preferences}) is written {@code key=value;key=value}. Column names are matched ignoring
 * case; columns may come in any order; optional columns may be left out.
 */
final class CsvEventMapper {

    /** The flattened event header, in the documented order. */
    static final List<String> HEADER_COLUMNS = List.of("eventId", "action", "subjectId", "version", "occurredAt",
            "recordedAt", "odsCode", "sourceName", "providerKind", "sourceSystem", "nhsNumber", "localIdSystem",
            "localIdValue", "sensitivity", "supersedes");
    /** Columns the importer writes into rejected-row files; ignored on input so a fixed file re-imports. */
    static final List<String> REJECTION_COLUMNS = List.of("rejectedLine", "rejectionReason");
    static final ZoneId UK = ZoneId.of("Europe/London");
    private static final DateTimeFormatter UK_DATE_TIME = DateTimeFormatter.ofPattern("dd/MM/uuuu HH:mm[:ss]");
    private static final DateTimeFormatter UK_DATE = DateTimeFormatter.ofPattern("dd/MM/uuuu");
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final CareEventType kind;
    private final Map<String, Integer> index = new HashMap<>(); // canonical column -> position
    private final int width;
    private final List<Schema.Field> bodyFields = new ArrayList<>();

    CsvEventMapper(CareEventType kind, List<String> header) {
        this.kind = kind;
        this.width = header.size();
        Map<String, String> known = new HashMap<>();
        for (String column : columns(kind)) {
            known.put(column.toLowerCase(Locale.ROOT), column);
        }
        for (String column : REJECTION_COLUMNS) {
            known.put(column.toLowerCase(Locale.ROOT), column);
        }
        for (int i = 0; i < header.size(); i++) {
            String name = header.get(i).trim();
            String canonical = known.get(name.toLowerCase(Locale.ROOT));
            if (canonical == null) {
                throw new FileImportException("line 1: unknown column '" + name + "' for " + kind.jsonName()
                        + "; the columns are: " + String.join(",", columns(kind)));
            }
            if (index.put(canonical, i) != null) {
                throw new FileImportException("line 1: column '" + name + "' appears twice");
            }
        }
        List<String> missing = new ArrayList<>();
        for (String required : requiredColumns(kind)) {
            if (!index.containsKey(required)) {
                missing.add(required);
            }
        }
        if (!index.containsKey("nhsNumber") && !(index.containsKey("localIdSystem") && index.containsKey("localIdValue"))) {
            missing.add("nhsNumber (or localIdSystem and localIdValue)");
        }
        if (!missing.isEmpty()) {
            throw new FileImportException("line 1: a " + kind.jsonName() + " CSV needs the column(s) "
                    + String.join(", ", missing) + "; the columns are: " + String.join(",", columns(kind)));
        }
        for (Schema.Field field : kind.schema().getFields()) {
            if (!field.name().equals("header")) {
                bodyFields.add(field);
            }
        }
    }

    /** Every column of {@code kind}'s layout, header columns first. */
    static List<String> columns(CareEventType kind) {
        Set<String> columns = new LinkedHashSet<>(HEADER_COLUMNS);
        for (Schema.Field field : kind.schema().getFields()) {
            if (field.name().equals("header")) {
                continue;
            }
            if (isLocalIdentifier(field.schema())) {
                columns.add("localIdSystem");
                columns.add("localIdValue");
            } else if (nonNull(field.schema()).getType() == Schema.Type.RECORD) {
                for (Schema.Field part : nonNull(field.schema()).getFields()) {
                    columns.add(field.name() + "." + part.name()); // location.bed, admissionMethodCode.code
                }
            } else {
                columns.add(field.name());
            }
        }
        return List.copyOf(columns);
    }

    /** Columns that must be present (and filled in on every row). */
    static List<String> requiredColumns(CareEventType kind) {
        List<String> required = new ArrayList<>(List.of("subjectId", "occurredAt", "odsCode", "providerKind"));
        for (Schema.Field field : kind.schema().getFields()) {
            if (!field.name().equals("header") && field.schema().getType() != Schema.Type.UNION
                    && !field.hasDefaultValue() && !isLocalIdentifier(field.schema())) {
                required.add(field.name());
            }
        }
        return required;
    }

    /** The event a row states; throws {@link CareEventJsonException} or {@link IllegalArgumentException} naming the column. */
    SpecificRecord map(List<String> fields) {
        if (fields.size() != width) {
            throw new IllegalArgumentException("has " + fields.size() + " fields; the header has " + width);
        }
        for (String required : requiredColumns(kind)) {
            if (value(fields, required) == null) {
                throw new IllegalArgumentException("column " + required + " is empty");
            }
        }
        ObjectNode header = NODES.objectNode();
        String eventId = value(fields, "eventId");
        header.put("eventId", eventId != null ? eventId : derivedEventId(fields));
        header.put("action", upper(value(fields, "action"), "NEW"));
        header.put("subjectId", value(fields, "subjectId"));
        String version = value(fields, "version");
        header.put("version", version == null ? 1 : parseLong("version", version));
        String occurredAt = instant("occurredAt", value(fields, "occurredAt"));
        header.put("occurredAt", occurredAt);
        String recordedAt = value(fields, "recordedAt");
        header.put("recordedAt", recordedAt == null ? occurredAt : instant("recordedAt", recordedAt));
        ObjectNode source = header.putObject("source");
        source.put("odsCode", value(fields, "odsCode"));
        source.put("name", value(fields, "sourceName"));
        source.put("kind", upper(value(fields, "providerKind"), null));
        source.put("system", value(fields, "sourceSystem"));
        ObjectNode patient = header.putObject("patient");
        // as written: the publisher puts every spelling NhsNumber accepts in its one canonical form
        patient.put("nhsNumber", value(fields, "nhsNumber"));
        ObjectNode localId = localId(fields);
        patient.set("localId", localId == null ? NODES.nullNode() : localId);
        String sensitivity = value(fields, "sensitivity");
        if (sensitivity != null) {
            header.put("sensitivity", sensitivity.toUpperCase(Locale.ROOT));
        }
        String supersedes = value(fields, "supersedes");
        if (supersedes != null) {
            header.put("supersedes", supersedes);
        }

        ObjectNode event = NODES.objectNode();
        event.set("header", header);
        for (Schema.Field field : bodyFields) {
            if (isLocalIdentifier(field.schema())) {
                event.set(field.name(), localId == null ? NODES.nullNode() : localId.deepCopy());
                continue;
            }
            Schema type = nonNull(field.schema());
            if (type.getType() == Schema.Type.RECORD) {
                ObjectNode parts = NODES.objectNode();
                for (Schema.Field part : type.getFields()) {
                    String text = value(fields, field.name() + "." + part.name());
                    if (text != null) {
                        parts.put(part.name(), text);
                    }
                }
                if (!parts.isEmpty()) {
                    event.set(field.name(), parts);
                }
                continue;
            }
            if (type.getType() == Schema.Type.ARRAY && type.getElementType().getType() == Schema.Type.RECORD) {
                String text = value(fields, field.name());
                if (text != null) {
                    event.set(field.name(), items(field.name(), type.getElementType(), text));
                }
                continue;
            }
            String text = value(fields, field.name());
            if (text != null) {
                putBody(event, field, text);
            }
        }
        return CareEventJson.fromJson(event, kind.recordClass());
    }

    private void putBody(ObjectNode event, Schema.Field field, String text) {
        Schema schema = nonNull(field.schema());
        String name = field.name();
        switch (schema.getType()) {
            case BOOLEAN -> event.put(name, parseBoolean(name, text));
            case INT -> {
                if (schema.getLogicalType() instanceof LogicalTypes.Date) {
                    event.put(name, date(name, text));
                } else {
                    event.put(name, (int) parseLong(name, text));
                }
            }
            case LONG -> {
                if (schema.getLogicalType() instanceof LogicalTypes.TimestampMillis) {
                    event.put(name, instant(name, text));
                } else {
                    event.put(name, parseLong(name, text));
                }
            }
            case DOUBLE, FLOAT -> {
                try {
                    event.put(name, Double.parseDouble(text));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("column " + name + ": '" + text + "' is not a number");
                }
            }
            case ENUM -> event.put(name, text.toUpperCase(Locale.ROOT));
            case MAP -> {
                ObjectNode map = event.putObject(name);
                for (String pair : text.split(";")) {
                    if (pair.isBlank()) {
                        continue;
                    }
                    int eq = pair.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("column " + name + ": '" + pair
                                + "' is not key=value (write pairs as key=value;key=value)");
                    }
                    map.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
                }
            }
            default -> event.put(name, text);
        }
    }

    /**
     * A list of records in one cell: items separated by {@code ;}, each item's parts by {@code |} in the
     * record's field order, e.g. diagnoses {@code http://snomed.info/sct|22298006|Myocardial infarction}.
     */
    private static com.fasterxml.jackson.databind.node.ArrayNode items(String column, Schema item, String text) {
        com.fasterxml.jackson.databind.node.ArrayNode array = NODES.arrayNode();
        List<Schema.Field> parts = item.getFields();
        for (String one : text.split(";")) {
            if (one.isBlank()) {
                continue;
            }
            String[] values = one.split("\\|", -1);
            if (values.length > parts.size()) {
                throw new IllegalArgumentException("column " + column + ": '" + one + "' has " + values.length
                        + " parts; write " + String.join("|", parts.stream().map(Schema.Field::name).toList()));
            }
            ObjectNode node = array.addObject();
            for (int i = 0; i < values.length; i++) {
                if (!values[i].isBlank()) {
                    node.put(parts.get(i).name(), values[i].trim());
                }
            }
        }
        return array;
    }

    private ObjectNode localId(List<String> fields) {
        String system = value(fields, "localIdSystem");
        String value = value(fields, "localIdValue");
        if (system == null && value == null) {
            return null;
        }
        if (system == null || value == null) {
            throw new IllegalArgumentException("localIdSystem and localIdValue go together: "
                    + (system == null ? "localIdSystem" : "localIdValue") + " is empty");
        }
        ObjectNode node = NODES.objectNode();
        node.put("system", system);
        node.put("value", value);
        return node;
    }

    /**
     * An eventId for a row without one: a name-based UUID of the event type and the row, so that
     * importing the same file twice gives the same eventIds (and the stream processor drops the
     * second copy).
     */
    private String derivedEventId(List<String> fields) {
        return UUID.nameUUIDFromBytes((kind.jsonName() + "\n" + String.join("\u001F", fields))
                .getBytes(StandardCharsets.UTF_8)).toString();
    }

    private String value(List<String> fields, String column) {
        Integer i = index.get(column);
        if (i == null) {
            return null;
        }
        String v = fields.get(i);
        return v == null || v.isBlank() ? null : v.trim();
    }

    /** ISO-8601 instant or offset time; or local time in the UK ({@code 2026-11-20T09:15} or {@code 20/11/2026 09:15}). */
    static String instant(String column, String text) {
        try {
            return Instant.parse(text).toString();
        } catch (DateTimeParseException e) {
            // try the other forms
        }
        try {
            return OffsetDateTime.parse(text).toInstant().toString();
        } catch (DateTimeParseException e) {
            // try the other forms
        }
        try {
            return LocalDateTime.parse(text).atZone(UK).toInstant().toString();
        } catch (DateTimeParseException e) {
            // try the other forms
        }
        try {
            return LocalDateTime.parse(text, UK_DATE_TIME).atZone(UK).toInstant().toString();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("column " + column + ": '" + text
                    + "' is not a time such as 2026-11-20T09:15:00Z or 20/11/2026 09:15 (UK time)");
        }
    }

    static String date(String column, String text) {
        try {
            return LocalDate.parse(text).toString();
        } catch (DateTimeParseException e) {
            try {
                return LocalDate.parse(text, UK_DATE).toString();
            } catch (DateTimeParseException e2) {
                throw new IllegalArgumentException("column " + column + ": '" + text
                        + "' is not a date such as 1950-03-01 or 01/03/1950");
            }
        }
    }

    private static long parseLong(String column, String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("column " + column + ": '" + text + "' is not a whole number");
        }
    }

    private static boolean parseBoolean(String column, String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "y", "1" -> true;
            case "false", "no", "n", "0" -> false;
            default -> throw new IllegalArgumentException("column " + column + ": '" + text + "' is not true or false");
        };
    }

    private static String upper(String text, String fallback) {
        return text == null ? fallback : text.toUpperCase(Locale.ROOT);
    }

    private static Schema nonNull(Schema schema) {
        if (schema.getType() != Schema.Type.UNION) {
            return schema;
        }
        return schema.getTypes().stream().filter(s -> s.getType() != Schema.Type.NULL).findFirst().orElseThrow();
    }

    private static boolean isLocalIdentifier(Schema schema) {
        Schema s = nonNull(schema);
        return s.getType() == Schema.Type.RECORD && s.getName().equals("LocalIdentifier");
    }
}
