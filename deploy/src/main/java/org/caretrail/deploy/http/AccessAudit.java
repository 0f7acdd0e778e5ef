package org.caretrail.deploy.http;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.caretrail.deploy.security.ExchangeWithAttributes;
import org.caretrail.deploy.security.Refusal;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.access.Caller;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.timeline.fhir.FhirReadApi;
import org.caretrail.timeline.query.TimelineApi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who called the platform's HTTP APIs about which patient, when, and with what outcome: one JSON
 * record per request on {@code care.access-audit}, written by the instance that received the request
 * (a query forwarded to the instance holding the patient is recorded there too, as forwarded by a
 * peer), keyed by the patient's canonical NHS number ({@link TimelineApi#requestedPatient} and, for the
 * FHIR read API, {@link FhirReadApi#requestedPatient}: {@code Patient/{nhs}}, an item id, {@code ?patient=},
 * {@code ?identifier=}; the same readings the APIs serve by, so {@code 991-200-3888}, {@code 991+200+3888}
 * and {@code 9912003888} are one key), {@value #INVALID_PATIENT} for a request naming no valid NHS number,
 * else the API.
 *
 * <p>Each record holds the verified identity ({@code user}: the token's subject; {@code client},
 * {@code roles}, {@code verifiedBy}), never what the caller says about itself: the {@value #USER_HEADER}
 * header a calling system may send is kept apart as {@code claimedUser}, unverified.
 *
 * <p><b>Reads fail closed.</b> The record is written when the answer's status is known and before any
 * of it is sent. For a request about a patient, the answer waits for Kafka to acknowledge the record
 * (acks=all, at most {@value #WRITE_TIMEOUT_SECONDS} s); if it cannot be written the caller gets 503
 * and no patient data: no audit, no data. Other calls (writes through FHIR, subscriptions, refusals)
 * carry no patient record back, so their answer goes on and a failed record is logged.
 */
public final class AccessAudit implements AutoCloseable {

    /** The header a calling system may use to name the person on whose behalf it asks (unverified). */
    public static final String USER_HEADER = "X-CareTrail-User";
    /** The key of calls about a patient path that names no valid NHS number. */
    public static final String INVALID_PATIENT = "invalid-patient";
    static final int WRITE_TIMEOUT_SECONDS = 8;

    private static final Logger LOG = LoggerFactory.getLogger(AccessAudit.class);
    private static final int MAX_TEXT = 512;

    /** Where records go: completes when the record is durably written, exceptionally when it is not. */
    @FunctionalInterface
    public interface Sink {
        CompletableFuture<?> write(String key, String json);
    }

    private final Sink sink;
    private final AutoCloseable resource;
    private final Clock clock;

    AccessAudit(Sink sink, Clock clock) {
        this(sink, () -> { }, clock);
    }

    private AccessAudit(Sink sink, AutoCloseable resource, Clock clock) {
        this.sink = sink;
        this.resource = resource;
        this.clock = clock;
    }

    /**
     * Records to {@code care.access-audit} on the given cluster (idempotent producer, acks=all). A
     * record Kafka has not acknowledged within 5 s fails (delivery timeout), before the answer's wait
     * ends, so a record is never written after its request was refused for want of it.
     */
    public static AccessAudit toKafka(String bootstrapServers) {
        return toKafka(org.caretrail.events.kafka.KafkaClientSettings.plaintext(bootstrapServers));
    }

    /** As {@link #toKafka(String)}, connecting as {@code kafka} (on a secured cluster: the audit's own principal). */
    public static AccessAudit toKafka(org.caretrail.events.kafka.KafkaClientSettings kafka) {
        Map<String, Object> config = kafka.config();
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 2_000);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 3_000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 5_000);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "caretrail-access-audit");
        KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(),
                new StringSerializer());
        Sink send = (key, json) -> {
            CompletableFuture<Void> written = new CompletableFuture<>();
            try {
                producer.send(new ProducerRecord<>(CareTopics.ACCESS_AUDIT, key, json), (metadata, e) -> {
                    if (e != null) {
                        written.completeExceptionally(e);
                    } else {
                        written.complete(null);
                    }
                });
            } catch (RuntimeException e) {
                written.completeExceptionally(e);
            }
            return written;
        };
        return new AccessAudit(send, producer::close, Clock.systemUTC());
    }

    /** {@code handler}, with every call to it recorded before it is answered. */
    public HttpHandler around(HttpHandler handler) {
        return raw -> {
            Audited exchange = new Audited(raw);
            try {
                handler.handle(exchange);
            } finally {
                if (!exchange.recorded) {
                    // the handler gave no answer (it failed): the JDK server drops the connection
                    exchange.recorded = true;
                    write(exchange, record(exchange, null), false);
                }
            }
        };
    }

    /** An exchange that is recorded when its status is sent, and refused when a read cannot be. */
    private final class Audited extends ExchangeWithAttributes {
        boolean recorded;
        boolean withheld;

        Audited(HttpExchange exchange) {
            super(exchange);
        }

        @Override
        public void sendResponseHeaders(int status, long length) throws IOException {
            if (recorded) {
                super.sendResponseHeaders(status, length);
                return;
            }
            recorded = true;
            boolean aboutPatient = requestedPatient(getRequestURI().getRawPath(),
                    getRequestURI().getRawQuery()).isPresent();
            if (write(this, record(this, status), aboutPatient)) {
                super.sendResponseHeaders(status, length);
                return;
            }
            withheld = true;
            String id = Refusal.correlationId();
            LOG.error("Access to {} {} not served [{}]: the access audit could not record it", getRequestMethod(),
                    getRequestURI().getRawPath(), id);
            getResponseHeaders().clear();
            getResponseHeaders().set("Retry-After", "5");
            Refusal.send(new ExchangeWithAttributes(wrapped()), 503, "this request could not be recorded in the "
                    + "access audit, so it is not answered (no audit, no data); try again shortly", id);
        }

        @Override
        public OutputStream getResponseBody() {
            return withheld ? OutputStream.nullOutputStream() : super.getResponseBody();
        }

        @Override
        public int getResponseCode() {
            return withheld ? 503 : super.getResponseCode();
        }
    }

    /**
     * Writes a record; when {@code mustSucceed}, waits for it and says whether it was written, else
     * logs a failure later and says true.
     */
    private boolean write(HttpExchange exchange, ObjectNode record, boolean mustSucceed) {
        String key = record.remove("_key").asText();
        CompletableFuture<?> written;
        try {
            written = sink.write(key, record.toString());
        } catch (RuntimeException e) {
            written = CompletableFuture.failedFuture(e);
        }
        if (!mustSucceed) {
            written.whenComplete((ok, e) -> {
                if (e != null) {
                    LOG.error("Could not record an API access to {} on {}: {}", exchange.getRequestURI().getRawPath(),
                            CareTopics.ACCESS_AUDIT, e.toString());
                }
            });
            return true;
        }
        try {
            written.get(WRITE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException e) {
            LOG.error("Could not record an API access to {} on {}: {}", exchange.getRequestURI().getRawPath(),
                    CareTopics.ACCESS_AUDIT, (e instanceof ExecutionException ? e.getCause() : e).toString());
            return false;
        }
    }

    private ObjectNode record(HttpExchange exchange, Integer status) {
        String rawPath = exchange.getRequestURI().getRawPath();
        Optional<String> requested = requestedPatient(rawPath, exchange.getRequestURI().getRawQuery());
        Optional<String> nhs = requested.flatMap(NhsNumber::canonical);
        ObjectNode entry = JsonNodeFactory.instance.objectNode();
        entry.put("_key", requested.isPresent() ? nhs.orElse(INVALID_PATIENT) : api(rawPath));
        entry.put("at", clock.instant().toString());
        entry.put("method", exchange.getRequestMethod());
        entry.put("path", bounded(rawPath));
        entry.put("query", bounded(exchange.getRequestURI().getRawQuery()));
        entry.put("nhsNumber", nhs.orElse(null));
        if (status == null) {
            entry.putNull("status");
        } else {
            entry.put("status", status);
        }
        entry.put("remoteAddress", exchange.getRemoteAddress() == null ? null
                : exchange.getRemoteAddress().getAddress().getHostAddress());
        Caller caller = exchange.getAttribute(Caller.ATTRIBUTE) instanceof Caller c ? c : null;
        entry.put("authenticated", caller != null && caller.verifiedBy() != Caller.Verification.NONE);
        entry.put("user", caller == null ? null : caller.subject());
        entry.put("client", caller == null ? null : caller.client());
        entry.put("verifiedBy", caller == null ? null : caller.verifiedBy().name());
        if (caller != null) {
            caller.roles().stream().map(Enum::name).sorted().forEach(entry.putArray("roles")::add);
        }
        Object original = exchange.getAttribute(ApiAccess.ORIGINALLY_VERIFIED_BY);
        entry.put("forwardedByPeer", original != null);
        if (original != null) {
            entry.put("originallyVerifiedBy", original.toString());
        }
        entry.put("claimedUser", bounded(exchange.getRequestHeaders().getFirst(USER_HEADER)));
        Object refusal = exchange.getAttribute(Refusal.ATTRIBUTE);
        entry.put("refusal", refusal == null ? null : bounded(refusal.toString()));
        return entry;
    }

    /** The patient a request names, as the API it calls reads it (not yet checked); empty for none. */
    static Optional<String> requestedPatient(String rawPath, String rawQuery) {
        return TimelineApi.requestedPatient(rawPath).or(() -> FhirReadApi.requestedPatient(rawPath, rawQuery));
    }

    /** The API a path belongs to: its first three segments. */
    static String api(String path) {
        String[] parts = path.split("/");
        return parts.length > 3 ? "/" + parts[1] + "/" + parts[2] + "/" + parts[3] : bounded(path);
    }

    /** The key a request (raw path, and query if any) is recorded under. */
    static String subject(String rawPathAndQuery) {
        int q = rawPathAndQuery.indexOf('?');
        String rawPath = q < 0 ? rawPathAndQuery : rawPathAndQuery.substring(0, q);
        Optional<String> requested = requestedPatient(rawPath, q < 0 ? null : rawPathAndQuery.substring(q + 1));
        return requested.isPresent() ? requested.flatMap(NhsNumber::canonical).orElse(INVALID_PATIENT)
                : api(rawPath);
    }

    private static String bounded(String text) {
        return text == null || text.length() <= MAX_TEXT ? text : text.substring(0, MAX_TEXT) + "...";
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
