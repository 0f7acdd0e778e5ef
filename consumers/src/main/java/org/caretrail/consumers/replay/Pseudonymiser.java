package org.caretrail.consumers.replay;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.Period;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.avro.Schema;
import org.caretrail.consumers.replay.PseudonymisationRules.Rule;
import org.caretrail.events.CareEventType;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.events.model.EventType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pseudonymises the JSON form of any CareTrail record for analysts, field by field as
 * {@link PseudonymisationRules} decides: identifiers become keyed pseudonyms
 * ({@code hex(HMAC-SHA256(key, kind|value))}, first 16 bytes: stable for one key, not reversible
 * without it, each kind of identifier in its own space), names and free text are dropped, birth
 * dates become age bands and postcodes districts. Works in place on the JSON node it is given.
 */
public final class Pseudonymiser {

    private static final Logger LOG = LoggerFactory.getLogger(Pseudonymiser.class);
    /** A UK postcode: outward code (area and district) and inward code, the space optional. */
    private static final Pattern POSTCODE = Pattern.compile("([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})");
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    private final SecretKeySpec key;
    /** One initialised MAC per thread: looking the algorithm up for each pseudonym costs more than the HMAC. */
    private final ThreadLocal<Mac> macs;

    /** @param key at least {@value PseudonymKey#MIN_BYTES} random bytes ({@link PseudonymKey}) */
    public Pseudonymiser(byte[] key) {
        PseudonymKey.check(key, null);
        this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    /** The pseudonym of an NHS number, in whatever spelling. */
    public String nhsNumber(String nhsNumber) {
        return nhsNumber == null ? null : pseudonym("nhs|" + NhsNumber.canonicalOrSame(nhsNumber));
    }

    /** The pseudonym of a local identifier value issued by {@code system}. */
    public String localId(String system, String value) {
        return value == null ? null : pseudonym("local|" + system + "|" + value);
    }

    /** The pseudonym of an event id. */
    public String eventId(String eventId) {
        return eventId == null ? null : pseudonym("event|" + eventId);
    }

    /** The pseudonym of a source's care item id (a spell, referral, prescription...). */
    public String subjectId(String subjectId) {
        return subjectId == null ? null : pseudonym("subject|" + subjectId);
    }

    /**
     * Pseudonymises {@code json}, the JSON form of a record of {@code schema} (a care event's may
     * carry its {@code "type"}, which is kept), in place; returns it.
     */
    public ObjectNode apply(ObjectNode json, Schema schema) {
        Instant at = occurredAt(json);
        walk(json, schema, at);
        return json;
    }

    private void walk(ObjectNode node, Schema schema, Instant at) {
        Iterator<String> names = node.fieldNames();
        java.util.List<String> unknown = new java.util.ArrayList<>();
        while (names.hasNext()) {
            String name = names.next();
            if (schema.getField(name) == null && !name.equals("type")) {
                unknown.add(name);
            }
        }
        unknown.forEach(node::remove);
        for (Schema.Field field : schema.getFields()) {
            JsonNode value = node.get(field.name());
            if (value == null || value.isNull()) {
                continue;
            }
            Optional<Rule> rule = PseudonymisationRules.of(schema.getName(), field.name());
            if (rule.isEmpty() && WARNED.add(schema.getName() + "." + field.name())) {
                LOG.warn("No pseudonymisation rule for {}.{}: dropped", schema.getName(), field.name());
            }
            apply(node, field.name(), value, field.schema(), rule.orElse(Rule.DROP), at);
        }
    }

    private void apply(ObjectNode node, String name, JsonNode value, Schema schema, Rule rule, Instant at) {
        switch (rule) {
            case KEEP -> walkValue(value, nonNull(schema), at);
            case DROP -> node.putNull(name);
            case NHS_NUMBER -> node.put(name, nhsNumber(value.asText()));
            case LOCAL_ID_VALUE -> node.put(name, localId(node.path("system").asText(), value.asText()));
            case EVENT_ID -> node.put(name, eventId(value.asText()));
            case SUBJECT_ID -> node.put(name, subjectId(value.asText()));
            case ENTRY_ID -> node.put(name, entryId(value.asText()));
            case CHANGE_ID -> node.put(name, changeId(value.asText()));
            case AGE_BAND -> {
                node.remove(name);
                node.put("ageBand", ageBand(value.asText(), at));
            }
            case POSTCODE_DISTRICT -> node.put(name, postcodeDistrict(value.asText()));
            case DETAILS -> details(node, name, value, at);
            default -> throw new IllegalStateException("unhandled rule " + rule);
        }
    }

    private void walkValue(JsonNode value, Schema schema, Instant at) {
        if (schema.getType() == Schema.Type.RECORD && value instanceof ObjectNode object) {
            walk(object, schema, at);
        } else if (schema.getType() == Schema.Type.ARRAY && value instanceof ArrayNode array) {
            Schema items = nonNull(schema.getElementType());
            array.forEach(item -> walkValue(item, items, at));
        } else if (schema.getType() == Schema.Type.MAP && value instanceof ObjectNode map) {
            Schema values = nonNull(schema.getValueType());
            map.forEach(item -> walkValue(item, values, at));
        }
    }

    /**
     * A timeline entry's details are its event's body fields as text: each follows the event type's
     * own rule; a record or list among them is text in JSON, read, pseudonymised and written back.
     */
    private void details(ObjectNode entry, String name, JsonNode details, Instant at) {
        if (!(details instanceof ObjectNode map)) {
            entry.putNull(name);
            return;
        }
        Schema body;
        try {
            body = CareEventType.of(EventType.valueOf(entry.path("type").asText())).schema();
        } catch (IllegalArgumentException e) {
            entry.putNull(name);
            return;
        }
        ObjectNode out = CareEventJson.mapper().createObjectNode();
        Iterator<Map.Entry<String, JsonNode>> fields = map.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> item = fields.next();
            Schema.Field field = body.getField(item.getKey());
            Rule rule = field == null ? Rule.DROP
                    : PseudonymisationRules.of(body.getName(), item.getKey()).orElse(Rule.DROP);
            if (rule == Rule.DROP || item.getValue().isNull() || rule == Rule.AGE_BAND || rule == Rule.DETAILS) {
                continue;
            }
            Schema type = nonNull(field.schema());
            if (rule == Rule.KEEP && (type.getType() == Schema.Type.RECORD || type.getType() == Schema.Type.ARRAY)) {
                try {
                    JsonNode parsed = CareEventJson.mapper().readTree(item.getValue().asText());
                    walkValue(parsed, type, at);
                    out.put(item.getKey(), parsed.toString());
                } catch (JsonProcessingException e) {
                    // not readable as JSON: dropped rather than passed on unchecked
                }
                continue;
            }
            ObjectNode holder = CareEventJson.mapper().createObjectNode();
            holder.set(item.getKey(), item.getValue());
            apply(holder, item.getKey(), item.getValue(), type, rule, at);
            if (holder.hasNonNull(item.getKey())) {
                out.put(item.getKey(), holder.get(item.getKey()).asText());
            }
        }
        entry.set(name, out);
    }

    private String entryId(String entryId) {
        String[] parts = entryId.split("\\|", 3);
        return parts.length == 3 ? parts[0] + "|" + parts[1] + "|" + subjectId(parts[2]) : pseudonym("entry|" + entryId);
    }

    private String changeId(String changeId) {
        int colon = changeId.lastIndexOf(':');
        return colon < 0 ? pseudonym("change|" + changeId)
                : eventId(changeId.substring(0, colon)) + changeId.substring(colon);
    }

    /**
     * The five-year age band at {@code at} ({@code 0-4}, ..., {@code 85-89}, then {@code 90+}), or
     * null when the date cannot be read or is after {@code at}.
     */
    public static String ageBand(String birthDate, Instant at) {
        try {
            LocalDate born = LocalDate.parse(birthDate);
            LocalDate then = (at == null ? Instant.now() : at).atZone(ZoneOffset.UTC).toLocalDate();
            if (born.isAfter(then)) {
                return null;
            }
            int age = Period.between(born, then).getYears();
            if (age >= 90) {
                return "90+";
            }
            int from = age / 5 * 5;
            return from + "-" + (from + 4);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** The postcode district (outward code) of a UK postcode, e.g. {@code SE1} of {@code SE1 7EH}; else null. */
    public static String postcodeDistrict(String postcode) {
        Matcher m = POSTCODE.matcher(postcode.strip().toUpperCase(Locale.ROOT).replaceAll("\\s+", " "));
        return m.matches() ? m.group(1) : null;
    }

    private static Instant occurredAt(ObjectNode json) {
        String text = json.path("header").path("occurredAt").asText(json.path("entry").path("occurredAt").asText(""));
        try {
            return text.isEmpty() ? null : Instant.parse(text);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static Schema nonNull(Schema schema) {
        if (schema.getType() != Schema.Type.UNION) {
            return schema;
        }
        return schema.getTypes().stream().filter(s -> s.getType() != Schema.Type.NULL).findFirst().orElse(schema);
    }

    private String pseudonym(String text) {
        // doFinal resets the MAC for the next pseudonym
        byte[] digest = macs.get().doFinal(text.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest, 0, 16);
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }
}
