package org.caretrail.deploy.security;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * How the access layer answers a request it will not pass on: a JSON body {@code {"status", "error"}},
 * or, under {@code /fhir/}, a FHIR {@code OperationOutcome}, so each kind of client reads the reason
 * in the form it expects. Messages are written for the caller and never carry internal exception
 * text; where something failed inside, the body names a correlation id that is in the log.
 */
public final class Refusal {

    /** The exchange attribute naming why the access layer refused a request (for the audit). */
    public static final String ATTRIBUTE = "caretrail.refusal";

    private Refusal() {
    }

    /** A new correlation id, to put in the log and in the answer. */
    public static String correlationId() {
        return UUID.randomUUID().toString();
    }

    public static void send(HttpExchange exchange, int status, String message) throws IOException {
        send(exchange, status, message, null);
    }

    /** Answers {@code status} with {@code message} (and the correlation id, if any), then closes the exchange. */
    public static void send(HttpExchange exchange, int status, String message, String correlationId)
            throws IOException {
        exchange.setAttribute(ATTRIBUTE, message);
        boolean fhir = exchange.getRequestURI().getPath().startsWith("/fhir/");
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        if (fhir) {
            body.put("resourceType", "OperationOutcome");
            ObjectNode issue = body.putArray("issue").addObject();
            issue.put("severity", "error");
            issue.put("code", fhirCode(status));
            issue.put("diagnostics", message + (correlationId == null ? "" : " (correlation id " + correlationId + ")"));
        } else {
            body.put("status", status);
            body.put("error", message);
            if (correlationId != null) {
                body.put("correlationId", correlationId);
            }
        }
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type",
                (fhir ? "application/fhir+json" : "application/json") + "; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        // a body left unread ends the connection, and the answer says so: the transport's rule (UnreadBodyClose)
        if (status == 401) {
            exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"caretrail\"");
        }
        try (exchange) {
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static String fhirCode(int status) {
        return switch (status) {
            case 401 -> "login";
            case 403 -> "forbidden";
            case 415 -> "not-supported";
            case 503 -> "transient";
            default -> status >= 500 ? "exception" : "invalid";
        };
    }
}
