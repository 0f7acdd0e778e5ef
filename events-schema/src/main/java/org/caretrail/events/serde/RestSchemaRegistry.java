package org.caretrail.events.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.avro.Schema;

/**
 * A client for the Confluent Schema Registry REST API, which Confluent's registry, Karapace and
 * Apicurio ({@code /apis/ccompat/v7}) all serve. Ids and schemas are cached: a schema is fetched
 * or registered once per process.
 *
 * <p>Registering and setting compatibility are safe to run from several processes at once and again
 * and again (two instances starting together, a topics job beside a running pod): what is already as
 * wanted is success, and a conflict (HTTP 409, which Apicurio answers when two clients create the
 * same compatibility rule or schema at the same moment) is answered by reading the registry again
 * and retrying a bounded number of times. A schema the registry refuses as incompatible still fails.
 */
public final class RestSchemaRegistry implements SchemaRegistry {

    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How often a conflicting write (HTTP 409 from a concurrent client) is tried in all. */
    static final int CONFLICT_ATTEMPTS = 8;

    private final URI baseUrl;
    private final HttpClient http;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();

    public RestSchemaRegistry(String baseUrl) {
        String url = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.baseUrl = URI.create(url);
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    public String url() {
        return baseUrl.toString();
    }

    @Override
    public int register(String subject, Schema schema) {
        Map<Schema, Integer> ids = idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
        Integer cached = ids.get(schema);
        if (cached != null) {
            return cached;
        }
        JsonNode reply = null;
        for (int attempt = 1; reply == null; attempt++) {
            try {
                reply = send("POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema),
                        "register a schema for subject " + subject);
            } catch (SchemaRegistryException e) {
                if (e.status() != 409 || attempt >= CONFLICT_ATTEMPTS) {
                    throw e;
                }
                // another client may have registered the same schema at this moment: is it there now?
                reply = lookUp(subject, schema);
                if (reply == null) {
                    pauseAfterConflict(attempt);
                }
            }
        }
        int id = reply.path("id").asInt(-1);
        if (id < 0) {
            throw new SchemaRegistryException("registry gave no id for subject " + subject + ": " + reply, 500);
        }
        ids.put(schema, id);
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    @Override
    public Schema schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode reply = send("GET", "/schemas/ids/" + id, null, "fetch schema id " + id);
        Schema schema = new Schema.Parser().parse(reply.path("schema").asText());
        schemasById.putIfAbsent(id, schema);
        return schema;
    }

    @Override
    public boolean isCompatible(String subject, Schema schema) {
        try {
            JsonNode reply = send("POST", "/compatibility/subjects/" + encode(subject) + "/versions/latest",
                    schemaBody(schema), "check compatibility for subject " + subject);
            return reply.path("is_compatible").asBoolean(false);
        } catch (SchemaRegistryException e) {
            if (e.status() == 404) {
                return true; // nothing registered yet: anything is compatible
            }
            throw e;
        }
    }

    /**
     * Sets the compatibility of {@code subject}, unless it is already {@code level}. When another
     * client sets it at the same moment and the registry answers 409, reads it again: as wanted is
     * success, else it tries again (at most {@value #CONFLICT_ATTEMPTS} times).
     */
    @Override
    public void setCompatibility(String subject, String level) {
        for (int attempt = 1; ; attempt++) {
            if (level.equalsIgnoreCase(compatibility(subject))) {
                return;
            }
            try {
                send("PUT", "/config/" + encode(subject), JSON.createObjectNode().put("compatibility", level)
                        .toString(), "set compatibility of " + subject);
                return;
            } catch (SchemaRegistryException e) {
                if (e.status() != 409) {
                    throw e;
                }
                if (level.equalsIgnoreCase(compatibility(subject))) {
                    return;
                }
                if (attempt >= CONFLICT_ATTEMPTS) {
                    throw e;
                }
                pauseAfterConflict(attempt);
            }
        }
    }

    /** The compatibility level set on {@code subject} itself, or null when it has none of its own. */
    String compatibility(String subject) {
        try {
            JsonNode reply = send("GET", "/config/" + encode(subject), null, "read compatibility of " + subject);
            JsonNode level = reply.has("compatibilityLevel") ? reply.get("compatibilityLevel")
                    : reply.get("compatibility");
            return level == null || level.isNull() ? null : level.asText();
        } catch (SchemaRegistryException e) {
            if (e.status() == 404) {
                return null;
            }
            throw e;
        }
    }

    /** The registered version of {@code schema} under {@code subject} ({@code id} in it), or null if none. */
    private JsonNode lookUp(String subject, Schema schema) {
        try {
            return send("POST", "/subjects/" + encode(subject), schemaBody(schema),
                    "look up a schema under subject " + subject);
        } catch (SchemaRegistryException e) {
            if (e.status() == 404) {
                return null;
            }
            throw e;
        }
    }

    private static void pauseAfterConflict(int attempt) {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(20, 100) * attempt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException("interrupted while retrying after a registry conflict", e);
        }
    }

    private static String schemaBody(Schema schema) {
        return JSON.createObjectNode().put("schema", schema.toString()).toString();
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private JsonNode send(String method, String path, String body, String what) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(Duration.ofSeconds(30))
                .header("Accept", CONTENT_TYPE + ", application/json");
        if (body != null) {
            request.header("Content-Type", CONTENT_TYPE).method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new SchemaRegistryException("cannot reach the schema registry at " + baseUrl + " to " + what
                    + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException("interrupted while trying to " + what, e);
        }
        if (response.statusCode() / 100 != 2) {
            throw new SchemaRegistryException("schema registry at " + baseUrl + " refused to " + what + ": HTTP "
                    + response.statusCode() + " " + response.body(), response.statusCode());
        }
        try {
            return response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
        } catch (IOException e) {
            throw new SchemaRegistryException("schema registry sent something that is not JSON: " + response.body(), e);
        }
    }
}
