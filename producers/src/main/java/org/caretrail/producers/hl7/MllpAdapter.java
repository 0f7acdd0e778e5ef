package org.caretrail.producers.hl7;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.caretrail.producers.publisher.CarePublisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HL7v2 listener: MLLP over TCP (each message framed {@code <VT> message <FS><CR>}), one thread
 * per connection, each message answered with its ACK only after Kafka has acknowledged the events
 * (see {@link Hl7Processor}). Several connections are served in parallel.
 *
 * <pre>{@code
 * MllpAdapter mllp = new MllpAdapter(publisher, Hl7Settings.defaults().withPort(2575));
 * mllp.start();          // binds; port() tells the bound port
 * ...
 * mllp.close();          // stops accepting, closes connections, waits for messages in flight
 * }</pre>
 */
public final class MllpAdapter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MllpAdapter.class);
    static final int START_BLOCK = 0x0b;
    static final int END_BLOCK = 0x1c;
    static final int CARRIAGE_RETURN = 0x0d;

    private final Hl7Settings settings;
    private final Hl7Processor processor;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connectionCount = new AtomicInteger();
    private ServerSocket serverSocket;
    private ExecutorService workers;
    private Thread acceptor;
    private volatile boolean running;

    public MllpAdapter(CarePublisher publisher, Hl7Settings settings) {
        this(new Hl7Processor(publisher, settings), settings);
    }

    public MllpAdapter(Hl7Processor processor, Hl7Settings settings) {
        this.processor = processor;
        this.settings = settings;
    }

    /** Binds the port and starts accepting connections. */
    public synchronized MllpAdapter start() throws IOException {
        if (running) {
            return this;
        }
        serverSocket = new ServerSocket();
        serverSocket.setReuseAddress(true);
        serverSocket.bind(new InetSocketAddress(InetAddress.getByName(settings.bindAddress()), settings.port()));
        AtomicInteger ids = new AtomicInteger();
        workers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "mllp-connection-" + ids.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        running = true;
        acceptor = new Thread(this::acceptLoop, "mllp-acceptor-" + port());
        acceptor.setDaemon(true);
        acceptor.start();
        LOG.info("HL7v2 MLLP listener on {}:{}", settings.bindAddress(), port());
        return this;
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return serverSocket.getLocalPort();
    }

    public Hl7Processor processor() {
        return processor;
    }

    private void acceptLoop() {
        while (running) {
            Socket socket;
            try {
                socket = serverSocket.accept();
            } catch (IOException e) {
                if (running) {
                    LOG.error("MLLP accept failed on port {}: {}", port(), e.toString());
                }
                continue;
            }
            if (connectionCount.incrementAndGet() > settings.maxConnections()) {
                connectionCount.decrementAndGet();
                LOG.warn("refusing MLLP connection from {}: {} connections already open",
                        socket.getRemoteSocketAddress(), settings.maxConnections());
                closeQuietly(socket);
                continue;
            }
            connections.add(socket);
            workers.execute(() -> serve(socket));
        }
    }

    private void serve(Socket socket) {
        String peer = String.valueOf(socket.getRemoteSocketAddress());
        LOG.debug("MLLP connection from {}", peer);
        try (socket) {
            socket.setSoTimeout((int) settings.idleTimeout().toMillis());
            socket.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            byte[] frame;
            while (running && (frame = readFrame(in, peer)) != null) {
                String ack = processor.process(new String(frame, settings.charset()));
                byte[] body = ack.getBytes(settings.charset());
                byte[] framed = new byte[body.length + 3];
                framed[0] = START_BLOCK;
                System.arraycopy(body, 0, framed, 1, body.length);
                framed[body.length + 1] = END_BLOCK;
                framed[body.length + 2] = CARRIAGE_RETURN;
                out.write(framed);
                out.flush();
            }
        } catch (SocketTimeoutException e) {
            LOG.info("closing MLLP connection from {}: idle for {}", peer, settings.idleTimeout());
        } catch (SocketException e) {
            if (running) {
                LOG.debug("MLLP connection from {} closed: {}", peer, e.getMessage());
            }
        } catch (IOException e) {
            LOG.warn("MLLP connection from {} failed: {}", peer, e.toString());
        } finally {
            connections.remove(socket);
            connectionCount.decrementAndGet();
        }
    }

    /** The next framed message, or null at end of stream. Bytes outside a frame are skipped. */
    private byte[] readFrame(InputStream in, String peer) throws IOException {
        int b;
        do {
            b = in.read();
            if (b == -1) {
                return null;
            }
        } while (b != START_BLOCK);
        ByteArrayOutputStream message = new ByteArrayOutputStream(1024);
        while (true) {
            b = in.read();
            if (b == -1) {
                throw new IOException("connection closed in the middle of a message (no <FS><CR>)");
            }
            if (b == END_BLOCK) {
                int next = in.read();
                if (next == CARRIAGE_RETURN || next == -1) {
                    return message.toByteArray();
                }
                message.write(b);
                b = next;
            }
            message.write(b);
            if (message.size() > settings.maxMessageBytes()) {
                throw new IOException("message from " + peer + " is longer than " + settings.maxMessageBytes()
                        + " bytes");
            }
        }
    }

    /** Stops accepting, closes open connections and waits up to 10 s for messages in flight. */
    @Override
    public synchronized void close() {
        if (!running) {
            return;
        }
        running = false;
        closeQuietly(serverSocket);
        for (Socket socket : connections) {
            closeQuietly(socket);
        }
        workers.shutdown();
        try {
            if (!workers.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("MLLP connections still busy after 10 s; stopping them");
                workers.shutdownNow();
            }
            acceptor.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("HL7v2 MLLP listener on port {} stopped", serverSocket.getLocalPort());
    }

    private static void closeQuietly(java.io.Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException e) {
            LOG.debug("closing {}: {}", closeable, e.toString());
        }
    }
}
