package org.caretrail.events.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.JsonProperties;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEventType;

/**
 * The one JSON form of every CareTrail record, derived from its Avro schema, used by
 * {@code caretrail publish}, the HTTP API and replay output.
 *
 * <ul>
 *   <li>records are objects with the schema's field names; a care event in JSON-lines input also
 *       has {@code "type"} (e.g. {@code "admission"}, see {@link CareEventType});
 *   <li>optional fields may be omitted or {@code null}; fields with defaults may be omitted;
 *   <li>timestamps are ISO-8601 instants ({@code 2026-11-20T09:15:00Z}; an offset such as
 *       {@code +01:00} is accepted on input); dates are {@code 2026-11-20};
 *   <li>enums are their symbol as a string; maps are objects; unknown fields are an error.
 * </ul>
 */
public final class CareEventJson {

    static {
        org.caretrail.events.AvroTrust.install();
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private CareEventJson() {
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** A care event read from one JSON line: its type and the record. */
    public record ParsedEvent(CareEventType type, SpecificRecord event) {
    }

    /** Parses one JSON-lines care event; the {@code type} field says which kind. */
    public static ParsedEvent parseEvent(String json) {
        JsonNode node;
        try {
            node = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new CareEventJsonException("not JSON: " + e.getOriginalMessage());
        }
        return parseEvent(node);
    }

    public static ParsedEvent parseEvent(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new CareEventJsonException("a care event must be a JSON object");
        }
        JsonNode typeNode = node.get("type");
        if (typeNode == null || !typeNode.isTextual()) {
            throw new CareEventJsonException("\"type\" is missing; one of: " + CareEventType.jsonNames());
        }
        CareEventType type = CareEventType.byJsonName(typeNode.asText())
                .orElseThrow(() -> new CareEventJsonException("unknown type '" + typeNode.asText() + "'; one of: "
                        + CareEventType.jsonNames()));
        ObjectNode body = ((ObjectNode) node).deepCopy();
        body.remove("type");
        return new ParsedEvent(type, fromJson(body, type.recordClass()));
    }

    /** Reads a record of class {@code type} from its JSON form. */
    public static <T extends SpecificRecord> T fromJson(JsonNode node, Class<T> type) {
        Schema schema = SpecificData.get().getSchema(type);
        return type.cast(read(node, schema, ""));
    }

    public static <T extends SpecificRecord> T fromJson(String json, Class<T> type) {
        try {
            return fromJson(MAPPER.readTree(json), type);
        } catch (JsonProcessingException e) {
            throw new CareEventJsonException("not JSON: " + e.getOriginalMessage());
        }
    }

    /** The JSON form of any generated record. */
    public static ObjectNode toJson(IndexedRecord record) {
        return (ObjectNode) write(record, record.getSchema());
    }

    /** The JSON-lines form of a care event: {@code "type"} first, then its fields. */
    public static ObjectNode toEventJson(SpecificRecord event) {
        ObjectNode node = NODES.objectNode();
        node.put("type", CareEventType.of(event).jsonName());
        node.setAll(toJson(event));
        return node;
    }

    public static String toEventJsonLine(SpecificRecord event) {
        return toEventJson(event).toString();
    }

    // ---- reading -------------------------------------------------------------------------------

    private static Object read(JsonNode node, Schema schema, String path) {
        switch (schema.getType()) {
            case UNION:
                return readUnion(node, schema, path);
            case NULL:
                if (node == null || node.isNull()) {
                    return null;
                }
                throw error(path, "must be null");
            default:
                if (node == null || node.isNull()) {
                    throw error(path, "is required");
                }
        }
        switch (schema.getType()) {
            case RECORD:
                return readRecord(node, schema, path);
            case ENUM:
                if (!node.isTextual() || !schema.getEnumSymbols().contains(node.asText())) {
                    throw error(path, "'" + node.asText() + "' is not one of " + schema.getEnumSymbols());
                }
                return SpecificData.get().createEnum(node.asText(), schema);
            case STRING:
                if (!node.isTextual()) {
                    throw error(path, "must be a string");
                }
                return node.asText();
            case BOOLEAN:
                if (!node.isBoolean()) {
                    throw error(path, "must be true or false");
                }
                return node.asBoolean();
            case INT:
                if (schema.getLogicalType() instanceof LogicalTypes.Date) {
                    return readDate(node, path);
                }
                if (!node.canConvertToInt() || !node.isIntegralNumber()) {
                    throw error(path, "must be a whole number");
                }
                return node.asInt();
            case LONG:
                if (schema.getLogicalType() instanceof LogicalTypes.TimestampMillis) {
                    return readInstant(node, path);
                }
                if (!node.isIntegralNumber()) {
                    throw error(path, "must be a whole number");
                }
                return node.asLong();
            case DOUBLE:
            case FLOAT:
                if (!node.isNumber()) {
                    throw error(path, "must be a number");
                }
                return schema.getType() == Schema.Type.DOUBLE ? (Object) node.asDouble() : (Object) (float) node.asDouble();
            case ARRAY:
                if (!node.isArray()) {
                    throw error(path, "must be an array");
                }
                List<Object> list = new ArrayList<>();
                int i = 0;
                for (JsonNode item : node) {
                    list.add(read(item, schema.getElementType(), path + "[" + i++ + "]"));
                }
                return list;
            case MAP:
                if (!node.isObject()) {
                    throw error(path, "must be an object");
                }
                Map<String, Object> map = new LinkedHashMap<>();
                node.fields().forEachRemaining(e -> map.put(e.getKey(),
                        read(e.getValue(), schema.getValueType(), path + "." + e.getKey())));
                return map;
            case BYTES:
                if (!node.isTextual()) {
                    throw error(path, "must be base64 text");
                }
                return ByteBuffer.wrap(java.util.Base64.getDecoder().decode(node.asText()));
            default:
                throw error(path, "has an unsupported schema type " + schema.getType());
        }
    }

    private static Object readUnion(JsonNode node, Schema union, String path) {
        boolean nullable = union.getTypes().stream().anyMatch(s -> s.getType() == Schema.Type.NULL);
        if (node == null || node.isNull()) {
            if (nullable) {
                return null;
            }
            throw error(path, "is required");
        }
        List<Schema> branches = union.getTypes().stream().filter(s -> s.getType() != Schema.Type.NULL).toList();
        if (branches.size() != 1) {
            throw error(path, "uses a union the JSON form does not support");
        }
        return read(node, branches.get(0), path);
    }

    private static Object readRecord(JsonNode node, Schema schema, String path) {
        if (!node.isObject()) {
            throw error(path, "must be an object");
        }
        Set<String> known = new HashSet<>();
        IndexedRecord record = (IndexedRecord) SpecificData.get().newRecord(null, schema);
        for (Schema.Field field : schema.getFields()) {
            known.add(field.name());
            String fieldPath = path.isEmpty() ? field.name() : path + "." + field.name();
            JsonNode value = node.get(field.name());
            if ((value == null || value.isNull()) && field.hasDefaultValue()) {
                record.put(field.pos(), read(defaultJson(field), field.schema(), fieldPath));
            } else {
                record.put(field.pos(), read(value, field.schema(), fieldPath));
            }
        }
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!known.contains(name)) {
                throw error(path.isEmpty() ? name : path + "." + name, "is not a field of " + schema.getName());
            }
        }
        return record;
    }

    private static JsonNode defaultJson(Schema.Field field) {
        Object value = field.defaultVal();
        if (value == JsonProperties.NULL_VALUE) {
            return NODES.nullNode();
        }
        if (field.schema().getLogicalType() != null && value instanceof Number n) {
            // a default on a logical type is stored raw; convert to the JSON form it is read from
            if (field.schema().getLogicalType() instanceof LogicalTypes.TimestampMillis) {
                return NODES.textNode(Instant.ofEpochMilli(n.longValue()).toString());
            }
            if (field.schema().getLogicalType() instanceof LogicalTypes.Date) {
                return NODES.textNode(LocalDate.ofEpochDay(n.longValue()).toString());
            }
        }
        return MAPPER.valueToTree(value);
    }

    private static Instant readInstant(JsonNode node, String path) {
        if (!node.isTextual()) {
            throw error(path, "must be an ISO-8601 timestamp such as 2026-11-20T09:15:00Z");
        }
        try {
            return Instant.parse(node.asText());
        } catch (DateTimeParseException e) {
            try {
                return OffsetDateTime.parse(node.asText()).toInstant();
            } catch (DateTimeParseException e2) {
                throw error(path, "'" + node.asText() + "' is not an ISO-8601 timestamp such as 2026-11-20T09:15:00Z");
            }
        }
    }

    private static LocalDate readDate(JsonNode node, String path) {
        try {
            return LocalDate.parse(node.asText());
        } catch (DateTimeParseException e) {
            throw error(path, "'" + node.asText() + "' is not a date such as 1950-03-01");
        }
    }

    private static CareEventJsonException error(String path, String message) {
        return new CareEventJsonException((path.isEmpty() ? "event" : path) + " " + message);
    }

    // ---- writing -------------------------------------------------------------------------------

    private static JsonNode write(Object value, Schema schema) {
        if (value == null) {
            return NODES.nullNode();
        }
        switch (schema.getType()) {
            case UNION:
                // the JSON form supports optional values only: [null, T]
                return write(value, schema.getTypes().stream().filter(s -> s.getType() != Schema.Type.NULL)
                        .findFirst().orElseThrow());
            case RECORD: {
                IndexedRecord record = (IndexedRecord) value;
                ObjectNode node = NODES.objectNode();
                for (Schema.Field field : schema.getFields()) {
                    node.set(field.name(), write(record.get(field.pos()), field.schema()));
                }
                return node;
            }
            case ENUM:
                return NODES.textNode(value instanceof GenericEnumSymbol<?> || value instanceof Enum<?>
                        ? value.toString() : String.valueOf(value));
            case ARRAY: {
                ArrayNode array = NODES.arrayNode();
                for (Object item : (Collection<?>) value) {
                    array.add(write(item, schema.getElementType()));
                }
                return array;
            }
            case MAP: {
                ObjectNode node = NODES.objectNode();
                ((Map<?, ?>) value).forEach((k, v) -> node.set(k.toString(), write(v, schema.getValueType())));
                return node;
            }
            case STRING:
                return NODES.textNode(value.toString());
            case BOOLEAN:
                return NODES.booleanNode((Boolean) value);
            case INT:
                if (value instanceof LocalDate d) {
                    return NODES.textNode(d.toString());
                }
                return NODES.numberNode(((Number) value).intValue());
            case LONG:
                if (value instanceof Instant t) {
                    return NODES.textNode(t.toString());
                }
                return NODES.numberNode(((Number) value).longValue());
            case FLOAT:
            case DOUBLE:
                return NODES.numberNode(((Number) value).doubleValue());
            case BYTES:
                ByteBuffer buffer = ((ByteBuffer) value).duplicate();
                byte[] bytes = new byte[buffer.remaining()];
                buffer.get(bytes);
                return NODES.textNode(java.util.Base64.getEncoder().encodeToString(bytes));
            default:
                if (value instanceof GenericContainer) {
                    return NODES.textNode(value.toString());
                }
                throw new CareEventJsonException("unsupported schema type " + schema.getType());
        }
    }
}
