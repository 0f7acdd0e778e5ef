package org.caretrail.deploy.security;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An exchange whose attributes belong to it alone. The JDK 17 server keeps {@link HttpExchange}
 * attributes in the {@link HttpContext}, shared by every request on that path at once; the verified
 * caller ({@code Caller.ATTRIBUTE}) must never be seen by a concurrent request, so the guard hands
 * handlers this wrapper. Everything else is the wrapped exchange's.
 */
public class ExchangeWithAttributes extends HttpExchange {

    private final HttpExchange exchange;
    private final Map<String, Object> attributes = new ConcurrentHashMap<>();

    public ExchangeWithAttributes(HttpExchange exchange) {
        this.exchange = exchange;
    }

    /** {@code exchange} itself when it already has its own attributes, else wrapped. */
    public static HttpExchange of(HttpExchange exchange) {
        return exchange instanceof ExchangeWithAttributes ? exchange : new ExchangeWithAttributes(exchange);
    }

    protected final HttpExchange wrapped() {
        return exchange;
    }

    @Override
    public Headers getRequestHeaders() {
        return exchange.getRequestHeaders();
    }

    @Override
    public Headers getResponseHeaders() {
        return exchange.getResponseHeaders();
    }

    @Override
    public URI getRequestURI() {
        return exchange.getRequestURI();
    }

    @Override
    public String getRequestMethod() {
        return exchange.getRequestMethod();
    }

    @Override
    public HttpContext getHttpContext() {
        return exchange.getHttpContext();
    }

    @Override
    public void close() {
        exchange.close();
    }

    @Override
    public InputStream getRequestBody() {
        return exchange.getRequestBody();
    }

    @Override
    public OutputStream getResponseBody() {
        return exchange.getResponseBody();
    }

    @Override
    public void sendResponseHeaders(int rCode, long responseLength) throws IOException {
        exchange.sendResponseHeaders(rCode, responseLength);
    }

    @Override
    public InetSocketAddress getRemoteAddress() {
        return exchange.getRemoteAddress();
    }

    @Override
    public int getResponseCode() {
        return exchange.getResponseCode();
    }

    @Override
    public InetSocketAddress getLocalAddress() {
        return exchange.getLocalAddress();
    }

    @Override
    public String getProtocol() {
        return exchange.getProtocol();
    }

    @Override
    public Object getAttribute(String name) {
        return attributes.get(name);
    }

    @Override
    public void setAttribute(String name, Object value) {
        if (value == null) {
            attributes.remove(name);
        } else {
            attributes.put(name, value);
        }
    }

    @Override
    public void setStreams(InputStream i, OutputStream o) {
        exchange.setStreams(i, o);
    }

    @Override
    public HttpPrincipal getPrincipal() {
        return exchange.getPrincipal();
    }
}
