package org.caretrail.consumers.subscriptions;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import org.caretrail.consumers.webhook.CallbackPolicy;
import org.caretrail.events.access.Caller;
import org.caretrail.events.access.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The subscriptions API, to mount at {@value #PATH}:
 * <ul>
 *   <li>{@code POST /api/v1/subscriptions} — create (body: {@link SubscriptionRequest}); 201 with the
 *       subscription and its {@code secret}, shown this once;
 *   <li>{@code GET /api/v1/subscriptions} — every subscription with its delivery status;
 *   <li>{@code GET /api/v1/subscriptions/{id}} — one subscription: filters, and {@code delivery}:
 *       state, lag, counts, last error and the parked (dead-letter) deliveries;
 *   <li>{@code DELETE /api/v1/subscriptions/{id}} — stop and forget it; 204.
 * </ul>
 *
 * <p>Who may: the verified {@link Caller} the HTTP layer puts on the exchange (attribute
 * {@value Caller#ATTRIBUTE}; none means no roles). Every call needs {@link Role#SUBSCRIBER_ADMIN}
 * (403 otherwise). A caller sees and manages the subscriptions it created (others' answer 404, as if
 * they did not exist), and subscriptions stored before owners were kept. {@code allowRestricted: true}
 * is granted only to a caller holding {@link Role#RESTRICTED_ACCESS}, and refused with 403 for anyone
 * else: a subscriber cannot grant itself RESTRICTED entries. A caller may have at most
 * {@link DeliveryConfig#maxPerCaller()} subscriptions (409 beyond). The callback URL must pass the
 * operator's {@link CallbackPolicy} (400 naming why). Internal errors answer 500 without their text.
 */
public final class SubscriptionApi implements HttpHandler {

    public static final String PATH = "/api/v1/subscriptions";
    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY = 64 * 1024;

    private final SubscriptionStore store;
    private final DeliveryService delivery;
    private final CallbackPolicy policy;
    private final int maxPerCaller;

    public SubscriptionApi(SubscriptionStore store, DeliveryService delivery, DeliveryConfig config) {
        this.store = store;
        this.delivery = delivery;
        this.policy = config.callbackPolicy();
        this.maxPerCaller = config.maxPerCaller();
    }

    /** The verified caller of the exchange, or null when the HTTP layer set none (no roles). */
    static Caller caller(HttpExchange exchange) {
        return exchange.getAttribute(Caller.ATTRIBUTE) instanceof Caller caller ? caller : null;
    }

    /** Whether {@code caller} may see and manage {@code subscription}: its owner, or anyone's for one without an owner. */
    private static boolean manages(Caller caller, Subscription subscription) {
        return subscription.owner() == null || subscription.owner().is(caller);
    }

    private Optional<Subscription> managed(Caller caller, String id) {
        return store.get(id).filter(s -> manages(caller, s));
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (!path.startsWith(PATH)) {
                send(exchange, 404, error("not found: " + path));
                return;
            }
            String rest = path.substring(PATH.length());
            if (rest.startsWith("/")) {
                rest = rest.substring(1);
            }
            if (rest.endsWith("/")) {
                rest = rest.substring(0, rest.length() - 1);
            }
            String method = exchange.getRequestMethod();
            Caller caller = caller(exchange);
            if (caller == null || !caller.has(Role.SUBSCRIBER_ADMIN)) {
                send(exchange, 403, error("managing subscriptions needs the " + Role.SUBSCRIBER_ADMIN + " role"));
                return;
            }
            if (rest.isEmpty()) {
                switch (method) {
                    case "POST" -> create(exchange, caller);
                    case "GET" -> list(exchange, caller);
                    default -> methodNotAllowed(exchange, "GET, POST");
                }
            } else if (rest.endsWith("/redeliver") && rest.indexOf('/') == rest.length() - "/redeliver".length()) {
                if ("POST".equals(method)) {
                    redeliver(exchange, caller, rest.substring(0, rest.indexOf('/')));
                } else {
                    methodNotAllowed(exchange, "POST");
                }
            } else if (rest.contains("/")) {
                send(exchange, 404, error("not found: " + path));
            } else {
                switch (method) {
                    case "GET" -> show(exchange, caller, rest);
                    case "DELETE" -> delete(exchange, caller, rest);
                    default -> methodNotAllowed(exchange, "GET, DELETE");
                }
            }
        } catch (RuntimeException e) {
            String correlationId = java.util.UUID.randomUUID().toString();
            LOG.error("Subscriptions API failed on {} {} [correlation id {}]", exchange.getRequestMethod(),
                    exchange.getRequestURI().getRawPath(), correlationId, e);
            send(exchange, 500, error("internal error (correlation id " + correlationId + ")"));
        }
    }

    private void create(HttpExchange exchange, Caller caller) throws IOException {
        Optional<JsonNode> read = readBody(exchange);
        if (read.isEmpty()) {
            return;
        }
        JsonNode body = read.get();
        SubscriptionRequest request;
        try {
            if (body != null && (body.has("id") || body.has("secret") || body.has("createdAt"))) {
                throw new IllegalArgumentException("id, secret and createdAt are chosen by CareTrail; leave them out");
            }
            request = SubscriptionRequest.fromJson(body);
            policy.check(request.callbackUrl());
        } catch (IllegalArgumentException | CallbackPolicy.RefusedException e) {
            send(exchange, 400, error(e.getMessage()));
            return;
        }
        if (request.allowRestricted() && !caller.has(Role.RESTRICTED_ACCESS)) {
            send(exchange, 403, error("allowRestricted needs the " + Role.RESTRICTED_ACCESS + " role, which "
                    + caller.subject() + " does not have; leave it out to receive everything else"));
            return;
        }
        Subscription created = store.createWithin(request, SubscriptionOwner.of(caller), maxPerCaller).orElse(null);
        if (created == null) {
            send(exchange, 409, error(caller.subject() + " already has " + maxPerCaller + " subscriptions, the most "
                    + "one caller may have; delete one first"));
            return;
        }
        LOG.info("Subscription {} created by {} (client {}) for {}{}", created.id(), caller.subject(), caller.client(),
                created.callbackUrlShown(), created.mayReceiveRestricted() ? ", RESTRICTED entries included" : "");
        ObjectNode node = created.toPublicJson();
        node.put("secret", created.secret());
        exchange.getResponseHeaders().set("Location", PATH + "/" + created.id());
        send(exchange, 201, node);
    }

    /**
     * {@code POST /api/v1/subscriptions/{id}/redeliver} with {@code {"from": "2026-11-20T09:00:00Z"}}, or
     * {@code {"parked": true}} for the earliest parked change: every change since then is delivered again
     * (under the same delivery ids, so a receiver drops what it already has). 202 once the request is stored.
     */
    private void redeliver(HttpExchange exchange, Caller caller, String id) throws IOException {
        Optional<Subscription> subscription = managed(caller, id);
        if (subscription.isEmpty()) {
            send(exchange, 404, error("no subscription " + id));
            return;
        }
        Optional<JsonNode> read = readBody(exchange);
        if (read.isEmpty()) {
            return;
        }
        JsonNode body = read.get();
        Instant from;
        if (body != null && body.path("from").isTextual()) {
            try {
                from = Instant.parse(body.path("from").asText());
            } catch (java.time.format.DateTimeParseException e) {
                send(exchange, 400, error("from '" + body.path("from").asText()
                        + "' is not an ISO-8601 instant such as 2026-11-20T09:00:00Z"));
                return;
            }
        } else if (body != null && body.path("parked").asBoolean(false)) {
            Optional<Instant> earliest = store.deadLetter(id).stream()
                    .flatMap(d -> d.recent().stream())
                    .map(DeliveryStatus.ParkedDelivery::changedAt)
                    .filter(java.util.Objects::nonNull)
                    .min(Instant::compareTo);
            if (earliest.isEmpty()) {
                send(exchange, 409, error("subscription " + id + " has no parked change to redeliver from; "
                        + "give \"from\" instead"));
                return;
            }
            from = earliest.get();
        } else {
            send(exchange, 400, error("say where to redeliver from: {\"from\": \"2026-11-20T09:00:00Z\"} or "
                    + "{\"parked\": true}"));
            return;
        }
        store.requestRedelivery(id, from);
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("id", id);
        node.put("redeliverFrom", from.toString());
        send(exchange, 202, node);
    }

    /**
     * The request's JSON body (an empty one reads as a missing node, or null); empty after answering 413
     * for a body over {@value #MAX_BODY} bytes or 400 for one that is not JSON.
     */
    private static Optional<JsonNode> readBody(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY + 1);
            if (bytes.length > MAX_BODY) {
                send(exchange, 413, error("subscription body larger than " + MAX_BODY + " bytes"));
                return Optional.empty();
            }
            return Optional.ofNullable(JSON.readTree(new String(bytes, StandardCharsets.UTF_8)))
                    .or(() -> Optional.of(com.fasterxml.jackson.databind.node.MissingNode.getInstance()));
        } catch (JsonProcessingException e) {
            send(exchange, 400, error("body is not JSON: " + e.getOriginalMessage()));
            return Optional.empty();
        }
    }

    private void list(HttpExchange exchange, Caller caller) throws IOException {
        ArrayNode all = JsonNodeFactory.instance.arrayNode();
        store.list().stream().filter(s -> manages(caller, s)).forEach(s -> all.add(withStatus(s)));
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.set("subscriptions", all);
        send(exchange, 200, node);
    }

    private void show(HttpExchange exchange, Caller caller, String id) throws IOException {
        Optional<Subscription> subscription = managed(caller, id);
        if (subscription.isEmpty()) {
            send(exchange, 404, error("no subscription " + id));
            return;
        }
        send(exchange, 200, withStatus(subscription.get()));
    }

    private void delete(HttpExchange exchange, Caller caller, String id) throws IOException {
        if (managed(caller, id).isEmpty() || !store.delete(id)) {
            send(exchange, 404, error("no subscription " + id));
            return;
        }
        exchange.sendResponseHeaders(204, -1);
    }

    private ObjectNode withStatus(Subscription subscription) {
        ObjectNode node = subscription.toPublicJson();
        node.set("delivery", delivery.status(subscription.id()).map(DeliveryStatus::toJson)
                .orElseGet(() -> JsonNodeFactory.instance.objectNode().put("state", "NOT_RUNNING")));
        return node;
    }

    private static void methodNotAllowed(HttpExchange exchange, String allowed) throws IOException {
        exchange.getResponseHeaders().set("Allow", allowed);
        send(exchange, 405, error(exchange.getRequestMethod() + " is not allowed here; use " + allowed));
    }

    private static ObjectNode error(String message) {
        return JsonNodeFactory.instance.objectNode().put("error", message);
    }

    private static void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
