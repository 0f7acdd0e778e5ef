package org.caretrail.deploy.http;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import org.eclipse.jetty.http.spi.JettyHttpServer;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * One HTTP listener: Jetty 12's non-blocking connector behind the JDK's
 * {@code com.sun.net.httpserver} API ({@code jetty-http-spi}), so every module keeps its plain
 * {@code HttpHandler} while the connection gets the {@link HttpLimits}: a cap on open connections,
 * an idle timeout, a header size limit, and ({@link SlowClientGuard}) deadlines for slow headers and
 * slow bodies. A client sending its headers slowly holds no thread (Jetty parses them as they come);
 * the JDK's own server gave each connection one of its 16 threads, so 16 such clients stopped it.
 * Binds only on {@link #start()}.
 */
final class HttpTransport implements AutoCloseable {

    private final Server jetty;
    private final ServerConnector connector;
    private final SlowClientGuard guard;
    private final JettyHttpServer server;

    HttpTransport(String name, String host, int port, HttpLimits limits) throws IOException {
        this(name, host, port, limits, null);
    }

    /**
     * @param tls null: plain HTTP; else HTTPS with this context, and the client must present a certificate it
     *     trusts (mutual TLS: for the instances' peer port, where only other instances call)
     */
    HttpTransport(String name, String host, int port, HttpLimits limits, javax.net.ssl.SSLContext tls)
            throws IOException {
        QueuedThreadPool threads = new QueuedThreadPool(limits.maxThreads(), Math.min(8, limits.maxThreads()));
        threads.setName(name);
        threads.setDaemon(true);
        jetty = new Server(threads);
        jetty.setStopTimeout(2_000);
        jetty.setErrorHandler(new QuietErrorPage());
        HttpConfiguration http = new HttpConfiguration();
        http.setRequestHeaderSize(limits.maxHeaderBytes());
        http.setIdleTimeout(limits.idleTimeout().toMillis());
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        if (tls == null) {
            connector = new ServerConnector(jetty, 1, 1, new HttpConnectionFactory(http));
        } else {
            org.eclipse.jetty.util.ssl.SslContextFactory.Server ssl = new org.eclipse.jetty.util.ssl.SslContextFactory.Server();
            ssl.setSslContext(tls);
            ssl.setNeedClientAuth(true);
            ssl.setIncludeProtocols("TLSv1.3");
            // peers dial an advertised name or address; the certificate names it, and the client checks that
            http.addCustomizer(new org.eclipse.jetty.server.SecureRequestCustomizer(false));
            connector = new ServerConnector(jetty, 1, 1,
                    new org.eclipse.jetty.server.SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(http));
        }
        connector.setHost(host);
        connector.setPort(port);
        connector.setIdleTimeout(limits.idleTimeout().toMillis());
        connector.setAcceptQueueSize(128);
        connector.setReuseAddress(true);
        jetty.addConnector(connector);
        jetty.addBean(new NetworkConnectionLimit(limits.maxConnections(), connector));
        ContextHandlerCollection contexts = new ContextHandlerCollection();
        guard = new SlowClientGuard(new UnreadBodyClose(contexts), limits, connector::getConnectedEndPoints, name);
        jetty.setHandler(guard);
        server = new JettyHttpServer(jetty, true);
        server.bind(new InetSocketAddress(host, port), 128);
    }

    /** The JDK API over this listener: {@code createContext} as with {@code HttpServer.create}. */
    HttpServer server() {
        return server;
    }

    void start() throws IOException {
        try {
            jetty.start();
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot start HTTP on " + connector.getHost() + ":" + connector.getPort() + ": "
                    + e.getMessage(), e);
        }
    }

    int port() {
        int local = connector.getLocalPort();
        return local > 0 ? local : connector.getPort();
    }

    /** Connections closed for slow headers and for slow bodies, so far. */
    long[] slowClientsClosed() {
        return guard.closed();
    }

    @Override
    public void close() {
        guard.close();
        try {
            jetty.stop();
        } catch (Exception e) {
            org.slf4j.LoggerFactory.getLogger(HttpTransport.class).warn("stopping HTTP failed: {}", e.toString());
        }
    }
}
