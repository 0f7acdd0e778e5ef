package org.caretrail.it.consumers;

import com.sun.net.httpserver.HttpHandler;
import java.util.Map;
import java.util.Set;
import org.caretrail.events.access.Caller;
import org.caretrail.events.access.Role;

/**
 * Stands in for the platform's guard in tests of the ways out: maps a bearer token to a verified
 * {@link Caller} and puts it on the exchange as {@link Caller#ATTRIBUTE}, as the HTTP layer does for a
 * real token. A request without a known token gets no caller (no roles).
 */
public final class TestGuard {

    private TestGuard() {
    }

    public static Caller caller(String subject, Role... roles) {
        return new Caller(subject, subject + "-client", Caller.Verification.OIDC_TOKEN, Set.of(roles));
    }

    /** {@code handler}, with the caller named by the request's {@code Authorization: Bearer <token>}. */
    public static HttpHandler byToken(Map<String, Caller> callers, HttpHandler handler) {
        return exchange -> {
            String header = exchange.getRequestHeaders().getFirst("Authorization");
            if (header != null && header.startsWith("Bearer ")) {
                Caller caller = callers.get(header.substring(7));
                if (caller != null) {
                    exchange.setAttribute(Caller.ATTRIBUTE, caller);
                }
            }
            handler.handle(exchange);
        };
    }

    /** {@code handler}, every request made by {@code caller}. */
    public static HttpHandler as(Caller caller, HttpHandler handler) {
        return exchange -> {
            exchange.setAttribute(Caller.ATTRIBUTE, caller);
            handler.handle(exchange);
        };
    }
}
