package org.caretrail.producers.hl7;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.Charset;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
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
 * (see {@link Hl7Processor}).
 *
 * <p>The front door is bounded so that no sender can lock out the others ({@link Hl7Settings} has
 * the defaults): at most {@code maxConnectionsPerPeer} connections from one IP address (one more is
 * refused); at most {@code maxConnections} in all, and when full, the connection that has gone
 * longest without a complete message (not one waiting for Kafka) is closed to make room — an idle
 * or trickling socket cannot keep a real sender out; a frame must be complete within
 * {@code frameDeadline} of its start byte and no longer than {@code maxMessageBytes} (refused with
 * AR, then the connection is closed: what follows in the stream cannot be trusted); a connection
 * silent for {@code idleTimeout} is closed. Each of these writes one log line naming the peer.
 *
 * <pre>{@code
 * MllpAdapter mllp = MllpAdapter.connect(publisher, bootstrapServers, Hl7Settings.defaults().withPort(2575));
 * mllp.start();          // reads the message log, then binds; port() tells the bound port
 * ...
 * mllp.close();          // stops accepting, closes connections, waits for messages in flight
 * }</pre>
 */
public final class MllpAdapter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MllpAdapter.class);
    static final int START_BLOCK = MllpFrameReader.START_BLOCK;
    static final int END_BLOCK = MllpFrameReader.END_BLOCK;
    static final int CARRIAGE_RETURN = MllpFrameReader.CARRIAGE_RETURN;

    private final Hl7Settings settings;
    private final Hl7Processor processor;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final Map<InetAddress, Integer> perPeer = new HashMap<>();
    private ServerSocket serverSocket;
    private ExecutorService workers;
    private Thread acceptor;
    private volatile boolean running;

    /** One accepted connection: when it last completed a message, and whether one is being processed. */
    private static final class Connection {
        /**
         * Who goes first when room must be made: connections that never completed a message (oldest
         * first), then the one whose last message is oldest. A flood of fresh idle sockets then only
         * displaces its own kind, never a sender that delivers messages.
         */
        static final Comparator<Connection> IDLEST_FIRST = Comparator
                .comparing((Connection c) -> c.completed)
                .thenComparingLong(c -> c.lastMessageAt);

        final Socket socket;
        final InetAddress peer;
        volatile long lastMessageAt = System.nanoTime();
        volatile boolean completed;
        volatile boolean busy;

        Connection(Socket socket) {
            this.socket = socket;
            this.peer = socket.getInetAddress();
        }

        @Override
        public String toString() {
            return String.valueOf(socket.getRemoteSocketAddress());
        }
    }

    /** A listener publishing with {@code publisher}, its message log on the cluster at {@code bootstrapServers}. */
    public static MllpAdapter connect(CarePublisher publisher, String bootstrapServers, Hl7Settings settings) {
        return connect(publisher, org.caretrail.events.kafka.KafkaClientSettings.plaintext(bootstrapServers), settings);
    }

    /** A listener publishing with {@code publisher}, its message log on the cluster {@code kafka} connects to. */
    public static MllpAdapter connect(CarePublisher publisher, org.caretrail.events.kafka.KafkaClientSettings kafka,
            Hl7Settings settings) {
        return new MllpAdapter(new Hl7Processor(publisher, Hl7MessageLog.connect(kafka, settings), settings),
                settings);
    }

    public MllpAdapter(Hl7Processor processor, Hl7Settings settings) {
        this.processor = processor;
        this.settings = settings;
    }

    /** Reads the message log, then binds the port and starts accepting connections. */
    public synchronized MllpAdapter start() throws IOException {
        if (running) {
            return this;
        }
        try {
            processor.start();
        } catch (RuntimeException e) {
            processor.close();
            throw e;
        }
        serverSocket = new ServerSocket();
        serverSocket.setReuseAddress(true);
        serverSocket.bind(new InetSocketAddress(InetAddress.getByName(settings.bindAddress()), settings.port()),
                settings.maxConnections());
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
        LOG.info("HL7v2 MLLP listener on {}:{} (at most {} connections, {} per peer; frames up to {} bytes within "
                        + "{} s; idle connections closed after {} s; Kafka awaited {} s)", settings.bindAddress(), port(),
                settings.maxConnections(), settings.maxConnectionsPerPeer(), settings.maxMessageBytes(),
                settings.frameDeadline().toSeconds(), settings.idleTimeout().toSeconds(),
                settings.publishTimeout().toSeconds());
        return this;
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return serverSocket.getLocalPort();
    }

    public Hl7Processor processor() {
        return processor;
    }

    /** Connections open now. */
    public int openConnections() {
        return connections.size();
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
            Connection connection = new Connection(socket);
            if (admit(connection)) {
                workers.execute(() -> serve(connection));
            } else {
                closeQuietly(socket);
            }
        }
    }

    /** Applies the per-peer and total caps; when full, closes the connection longest without a message. */
    private boolean admit(Connection c) {
        synchronized (perPeer) {
            int fromPeer = perPeer.getOrDefault(c.peer, 0);
            if (fromPeer >= settings.maxConnectionsPerPeer()) {
                LOG.warn("refusing MLLP connection from {}: {} connections from {} already open (limit "
                        + "maxConnectionsPerPeer = {})", c, fromPeer, c.peer.getHostAddress(),
                        settings.maxConnectionsPerPeer());
                return false;
            }
            if (connections.size() >= settings.maxConnections()) {
                Optional<Connection> idlest = connections.stream().filter(x -> !x.busy)
                        .min(Connection.IDLEST_FIRST);
                if (idlest.isEmpty()) {
                    LOG.warn("refusing MLLP connection from {}: all {} connections are waiting for Kafka (limit "
                            + "maxConnections = {})", c, connections.size(), settings.maxConnections());
                    return false;
                }
                Connection evicted = idlest.get();
                LOG.warn("closing MLLP connection from {} ({} for {} s) to make room for {}: {} connections open "
                                + "(limit maxConnections = {})", evicted,
                        evicted.completed ? "no complete message" : "open without a complete message",
                        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - evicted.lastMessageAt), c,
                        connections.size(), settings.maxConnections());
                release(evicted);
                closeQuietly(evicted.socket);
            }
            perPeer.merge(c.peer, 1, Integer::sum);
            connections.add(c);
            return true;
        }
    }

    private void release(Connection c) {
        synchronized (perPeer) {
            if (connections.remove(c)) {
                perPeer.computeIfPresent(c.peer, (k, n) -> n <= 1 ? null : n - 1);
            }
        }
    }

    private void serve(Connection c) {
        LOG.debug("MLLP connection from {}", c);
        Charset charset = settings.charset();
        Socket socket = c.socket;
        try {
            socket.setTcpNoDelay(true);
            MllpFrameReader reader = new MllpFrameReader(socket, settings);
            OutputStream out = socket.getOutputStream();
            byte[] frame;
            while (running && (frame = reader.next()) != null) {
                c.busy = true;
                try {
                    write(out, processor.process(new String(frame, charset)), charset);
                } finally {
                    c.busy = false;
                    c.completed = true;
                    c.lastMessageAt = System.nanoTime();
                    reader.answered();
                }
            }
        } catch (MllpFrameReader.Idle e) {
            LOG.info("closing MLLP connection from {}: {} (idleTimeout)", c, e.getMessage());
        } catch (MllpFrameReader.TooSlow e) {
            LOG.warn("closing MLLP connection from {}: {} (frameDeadline)", c, e.getMessage());
        } catch (MllpFrameReader.TooLong e) {
            LOG.warn("closing MLLP connection from {}: {} (maxMessageBytes); answered AR", c, e.getMessage());
            refuseTooLong(c, e, charset);
        } catch (SocketException e) {
            if (running) {
                LOG.debug("MLLP connection from {} closed: {}", c, e.getMessage());
            }
        } catch (IOException e) {
            LOG.warn("MLLP connection from {} failed: {}", c, e.toString());
        } finally {
            release(c);
            closeQuietly(socket);
        }
    }

    private void refuseTooLong(Connection c, MllpFrameReader.TooLong e, Charset charset) {
        try {
            String ack = processor.refuse(new String(e.start, charset), "message longer than "
                    + settings.maxMessageBytes() + " bytes (the limit): not read");
            write(c.socket.getOutputStream(), ack, charset);
            // the sender may still be writing the rest of the frame: closing with unread input would reset the
            // connection and discard the AR on the sender's side, so end our side and read what is left first
            c.socket.shutdownOutput();
            discardUntilClosed(c.socket);
        } catch (IOException io) {
            LOG.debug("could not send the AR for an oversized frame to {}: {}", c, io.toString());
        }
    }

    /** Reads and drops what the peer still sends, for at most the frame deadline and ten frames' worth. */
    private void discardUntilClosed(Socket socket) throws IOException {
        long deadline = System.nanoTime() + settings.frameDeadline().toNanos();
        long budget = 10L * settings.maxMessageBytes();
        byte[] sink = new byte[8192];
        java.io.InputStream in = socket.getInputStream();
        while (budget > 0) {
            long remaining = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (remaining <= 0) {
                return;
            }
            socket.setSoTimeout((int) remaining);
            int n;
            try {
                n = in.read(sink);
            } catch (java.net.SocketTimeoutException e) {
                return;
            }
            if (n < 0) {
                return;
            }
            budget -= n;
        }
    }

    private static void write(OutputStream out, String ack, Charset charset) throws IOException {
        byte[] body = ack.getBytes(charset);
        byte[] framed = new byte[body.length + 3];
        framed[0] = START_BLOCK;
        System.arraycopy(body, 0, framed, 1, body.length);
        framed[body.length + 1] = END_BLOCK;
        framed[body.length + 2] = CARRIAGE_RETURN;
        out.write(framed);
        out.flush();
    }

    /** Stops accepting, closes open connections, waits up to 10 s for messages in flight, closes the processor. */
    @Override
    public synchronized void close() {
        if (!running) {
            processor.close();
            return;
        }
        running = false;
        closeQuietly(serverSocket);
        for (Connection c : connections) {
            if (!c.busy) {
                closeQuietly(c.socket);
            }
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
        for (Connection c : connections) {
            closeQuietly(c.socket);
        }
        processor.close();
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
