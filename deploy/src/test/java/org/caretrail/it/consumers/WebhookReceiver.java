package org.caretrail.it.consumers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.caretrail.consumers.subscriptions.WebhookSigner;

/** A real HTTP receiver of webhooks on a fixed port, that can be stopped and started again. */
final class WebhookReceiver implements AutoCloseable {

    record Received(String deliveryId, String nhsNumber, int seq, boolean signatureValid, JsonNode body,
            String authorization) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final int port;
    private final Map<String, String> secrets;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private HttpServer server;

    WebhookReceiver(int port, Map<String, String> secretsBySubscription) {
        this.port = port;
        this.secrets = secretsBySubscription;
    }

    String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    synchronized void start() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 50);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the receiver to port " + port, e);
        }
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            var headers = exchange.getRequestHeaders();
            String subscription = headers.getFirst(WebhookSigner.SUBSCRIPTION_ID_HEADER);
            String secret = secrets.get(subscription);
            boolean valid = secret != null && WebhookSigner.verify(secret,
                    Long.parseLong(headers.getFirst(WebhookSigner.TIMESTAMP_HEADER)), body,
                    headers.getFirst(WebhookSigner.SIGNATURE_HEADER));
            JsonNode node = JSON.readTree(body);
            if (node.has("resourceType")) {
                // a FHIR notification Bundle: the patient and the entry id are in the focus resource
                JsonNode focus = node.at("/entry/1/resource");
                String entryId = focus.at("/identifier/0/value").asText();
                received.add(new Received(headers.getFirst(WebhookSigner.DELIVERY_ID_HEADER),
                        focus.at("/subject/identifier/value").asText(),
                        Integer.parseInt(entryId.substring(entryId.lastIndexOf('-') + 1)), valid, node,
                        headers.getFirst("Authorization")));
            } else {
                received.add(new Received(headers.getFirst(WebhookSigner.DELIVERY_ID_HEADER),
                        node.get("nhsNumber").asText(), node.at("/change/entry/details/seq").asInt(), valid, node,
                        headers.getFirst("Authorization")));
            }
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
    }

    synchronized void stop() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
    }

    List<Received> received() {
        return new ArrayList<>(received);
    }

    List<Received> receivedFor(String subscriptionId) {
        return received.stream().filter(r -> r.deliveryId().startsWith(subscriptionId + ":")).toList();
    }

    /** Per patient, the sequence numbers in the order first received (repeats dropped by delivery id). */
    static Map<String, List<Integer>> firstSeenOrder(List<Received> received) {
        Set<String> seen = new LinkedHashSet<>();
        Map<String, List<Integer>> order = new LinkedHashMap<>();
        for (Received r : received) {
            if (seen.add(r.deliveryId())) {
                order.computeIfAbsent(r.nhsNumber(), k -> new ArrayList<>()).add(r.seq());
            }
        }
        return order;
    }

    @Override
    public void close() {
        stop();
    }
}
