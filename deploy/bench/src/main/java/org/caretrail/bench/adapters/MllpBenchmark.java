package org.caretrail.bench.adapters;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.caretrail.events.NhsNumber;
import org.caretrail.producers.publisher.CarePublisher;
import org.caretrail.producers.hl7.AdtMessageBuilder;
import org.caretrail.producers.hl7.Hl7Settings;
import org.caretrail.producers.hl7.MllpAdapter;

/**
 * Measures the MLLP listener end to end: {@code connections} clients each send ADT^A01 messages
 * one after another, every one answered only after Kafka acknowledged the write (acks=all), and
 * every ACK checked to be AA. Prints messages/s and ACK latency percentiles.
 *
 * <pre>
 * deploy/bench/run adapters [--connections 8] [--messages 20000]
 * </pre>
 */
public final class MllpBenchmark {

    /** The figures of one run. */
    public record Result(int connections, int messages, double seconds, double perSecond, double p50Millis,
                         double p99Millis) {
        @Override
        public String toString() {
            return String.format("MLLP: %d ADT^A01 over %d connections in %.2f s = %.0f messages/s "
                    + "(ACK after Kafka acks=all; latency p50 %.2f ms, p99 %.2f ms)",
                    messages, connections, seconds, perSecond, p50Millis, p99Millis);
        }
    }

    /** MLLP framing (HL7 v2.5.1 Appendix C): start block, end block, carriage return. */
    private static final int START_BLOCK = 0x0b;
    private static final int END_BLOCK = 0x1c;
    private static final int CARRIAGE_RETURN = 0x0d;

    private MllpBenchmark() {
    }

    /**
     * Starts a listener on a free loopback port over {@code publisher} (its message log on
     * {@code bootstrapServers}), warms up, then measures.
     */
    public static Result run(CarePublisher publisher, String bootstrapServers, int connections, int messages)
            throws Exception {
        Hl7Settings defaults = Hl7Settings.defaults();
        Hl7Settings settings = defaults.withPort(0)
                .withLimits(Math.max(defaults.maxConnections(), connections), Math.max(defaults.maxConnections(),
                        connections), defaults.maxMessageBytes(), defaults.frameDeadline(), defaults.idleTimeout())
                .withMessageLog(messages * 2 + 10_000, defaults.messageLogMaxAge());
        try (MllpAdapter adapter = MllpAdapter.connect(publisher, bootstrapServers, settings).start()) {
            String runId = Long.toString(System.nanoTime(), 36);
            drive(adapter.port(), connections, Math.max(connections * 50, messages / 20), "W" + runId);
            long start = System.nanoTime();
            long[] latencies = drive(adapter.port(), connections, messages, "B" + runId);
            double seconds = (System.nanoTime() - start) / 1e9;
            Arrays.sort(latencies);
            return new Result(connections, messages, seconds, messages / seconds,
                    latencies[(int) (latencies.length * 0.50)] / 1e6,
                    latencies[Math.min(latencies.length - 1, (int) (latencies.length * 0.99))] / 1e6);
        }
    }

    private static long[] drive(int port, int connections, int messages, String prefix) throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(connections);
        try {
            List<Future<long[]>> results = new ArrayList<>();
            int perConnection = messages / connections;
            for (int c = 0; c < connections; c++) {
                int conn = c;
                int count = c == connections - 1 ? messages - perConnection * (connections - 1) : perConnection;
                results.add(clients.submit(() -> client(port, prefix + "-" + conn, count)));
            }
            long[] all = new long[messages];
            int at = 0;
            for (Future<long[]> r : results) {
                long[] part = r.get();
                System.arraycopy(part, 0, all, at, part.length);
                at += part.length;
            }
            return all;
        } finally {
            clients.shutdownNow();
        }
    }

    private static long[] client(int port, String prefix, int count) throws IOException {
        long[] latencies = new long[count];
        Instant base = Instant.now().minus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout((int) Duration.ofSeconds(60).toMillis());
            OutputStream out = socket.getOutputStream();
            InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            for (int i = 0; i < count; i++) {
                String nhs = syntheticNhsNumber(Math.abs((prefix + i).hashCode()));
                String message = AdtMessageBuilder.adt("A01", prefix + "-" + i, base.plusMillis(i))
                        .nhsNumber(nhs).localId(prefix + i, "MRENTR").visitNumber(prefix + "-V" + i)
                        .location("WARD " + (i % 20), "MAIN").admissionType("21").build();
                byte[] body = message.getBytes(StandardCharsets.UTF_8);
                long sent = System.nanoTime();
                out.write(START_BLOCK);
                out.write(body);
                out.write(END_BLOCK);
                out.write(CARRIAGE_RETURN);
                out.flush();
                String ack = readFrame(in);
                latencies[i] = System.nanoTime() - sent;
                if (!ack.contains("MSA|AA|")) {
                    throw new IllegalStateException("message " + prefix + "-" + i + " was not accepted: " + ack);
                }
            }
        }
        return latencies;
    }

    /** A valid synthetic NHS number in the 999 range. */
    static String syntheticNhsNumber(int seed) {
        for (int n = seed % 1_000_000; ; n = (n + 1) % 1_000_000) {
            String nine = String.format("999%06d", n);
            var nhs = NhsNumber.withCheckDigit(nine);
            if (nhs.isPresent()) {
                return nhs.get().value();
            }
        }
    }

    private static String readFrame(InputStream in) throws IOException {
        int b;
        while ((b = in.read()) != START_BLOCK) {
            if (b == -1) {
                throw new IOException("connection closed before the ACK");
            }
        }
        ByteArrayOutputStream ack = new ByteArrayOutputStream(256);
        while ((b = in.read()) != END_BLOCK) {
            if (b == -1) {
                throw new IOException("connection closed inside the ACK");
            }
            ack.write(b);
        }
        in.read();
        return ack.toString(StandardCharsets.UTF_8);
    }
}
