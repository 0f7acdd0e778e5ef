package org.caretrail.deploy.http;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.timeline.query.TimelineApi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who called the platform's HTTP APIs about which patient, when, and with what outcome: one JSON
 * record per request on {@code care.access-audit}, keyed by the patient's NHS number when the path
 * names one (so "who has looked at this record?" is one key's records), else by the API.
 *
 * <p>Refused calls (401) are recorded too. A query forwarded from another instance is not recorded
 * again: the instance the caller asked recorded it. {@code user} is the {@value #USER_HEADER}
 * header a calling system may send to say on whose behalf it asks (CareTrail does not check it).
 * Writing is asynchronous and never delays or fails the answer; a failed write is logged.
 */
public final class AccessAudit implements AutoCloseable {

    /** The header a calling system uses to name the person on whose behalf it asks. */
    public static final String USER_HEADER = "X-CareTrail-User";

    private static final Logger LOG = LoggerFactory.getLogger(AccessAudit.class);
    private static final Pattern PATIENT = Pattern.compile("^/api/v1/patients/([^/]+)(/.*)?$");

    private final BiConsumer<String, String> sink;
    private final AutoCloseable resource;
    private final Clock clock;

    AccessAudit(BiConsumer<String, String> sink, Clock clock) {
        this(sink, () -> { }, clock);
    }

    private AccessAudit(BiConsumer<String, String> sink, AutoCloseable resource, Clock clock) {
        this.sink = sink;
        this.resource = resource;
        this.clock = clock;
    }

    /** Records to {@code care.access-audit} on the given cluster (idempotent producer, acks=all). */
    public static AccessAudit toKafka(String bootstrapServers) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "caretrail-access-audit");
        KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(),
                new StringSerializer());
        BiConsumer<String, String> send = (key, json) -> producer.send(
                new ProducerRecord<>(CareTopics.ACCESS_AUDIT, key, json), (metadata, e) -> {
                    if (e != null) {
                        LOG.error("Could not record an API access on {}: {}", CareTopics.ACCESS_AUDIT, e.toString());
                    }
                });
        return new AccessAudit(send, producer::close, Clock.systemUTC());
    }

    /** {@code handler}, with every call to it recorded once it has been answered. */
    public HttpHandler around(HttpHandler handler) {
        return exchange -> {
            try {
                handler.handle(exchange);
            } finally {
                if (!exchange.getRequestHeaders().containsKey(TimelineApi.FORWARDED_HEADER)) {
                    record(exchange);
                }
            }
        };
    }

    private void record(HttpExchange exchange) {
        try {
            String path = exchange.getRequestURI().getPath();
            String key = subject(path);
            ObjectNode entry = JsonNodeFactory.instance.objectNode();
            entry.put("at", clock.instant().toString());
            entry.put("method", exchange.getRequestMethod());
            entry.put("path", path);
            entry.put("query", exchange.getRequestURI().getRawQuery());
            entry.put("nhsNumber", NhsNumber.isValid(key) ? key : null);
            entry.put("status", exchange.getResponseCode());
            entry.put("remoteAddress", exchange.getRemoteAddress() == null ? null
                    : exchange.getRemoteAddress().getAddress().getHostAddress());
            entry.put("user", exchange.getRequestHeaders().getFirst(USER_HEADER));
            entry.put("authenticated", exchange.getRequestHeaders().containsKey("Authorization")
                    && exchange.getResponseCode() != 401);
            sink.accept(key, entry.toString());
        } catch (RuntimeException e) {
            LOG.error("Could not record an API access to {}: {}", exchange.getRequestURI(), e.toString());
        }
    }

    /** The NHS number the path names (spaces removed), else the API's first path segments. */
    static String subject(String path) {
        Matcher m = PATIENT.matcher(path);
        if (m.matches()) {
            String nhs = m.group(1).replace("%20", "").replace(" ", "");
            return NhsNumber.isValid(nhs) ? nhs : "invalid-patient";
        }
        String[] parts = path.split("/");
        return parts.length > 3 ? "/" + parts[1] + "/" + parts[2] + "/" + parts[3] : path;
    }

    @Override
    public void close() {
        try {
            resource.close();
        } catch (Exception e) {
            LOG.warn("Closing the access audit failed: {}", e.toString());
        }
    }
}
