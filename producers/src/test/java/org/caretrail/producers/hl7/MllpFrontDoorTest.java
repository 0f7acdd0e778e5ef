package org.caretrail.producers.hl7;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.caretrail.producers.hl7.AdtMessageBuilder.adt;

import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.app.Connection;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.util.Terser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.caretrail.events.CareEvents;
import org.caretrail.producers.support.MockPublisher;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The MLLP front door attacked as a hostile (or broken) sender would, while a real sender (HAPI's
 * own MLLP client, from another address) keeps sending: idle sockets, a byte-at-a-time sender, an
 * oversized frame, many connections from one peer. Attackers connect from 127.0.0.2 and 127.0.0.3 (every
 * 127.x address is this machine's loopback), the real sender from 127.0.0.1. Kafka is a MockProducer
 * here; the limits are set small so the test is quick.
 */
class MllpFrontDoorTest {

    private static final int MAX_CONNECTIONS = 8;
    private static final int PER_PEER = 4;
    private static final int MAX_BYTES = 4096;

    private final MockPublisher mock = new MockPublisher();
    private final HapiContext hapi = MllpAdapterTest.hapiClient();
    private final List<Socket> attackers = new ArrayList<>();
    private MllpAdapter adapter;
    private RealSender realSender;

    private void start(Duration idle) throws IOException {
        Hl7Settings settings = Hl7Settings.defaults().withPort(0)
                .withLimits(MAX_CONNECTIONS, PER_PEER, MAX_BYTES, Duration.ofSeconds(2), idle);
        adapter = MllpAdapterTest.adapter(mock, settings).start();
        realSender = new RealSender();
    }

    @AfterEach
    void stop() throws Exception {
        if (realSender != null) {
            realSender.close();
        }
        for (Socket s : attackers) {
            s.close();
        }
        if (adapter != null) {
            adapter.close();
        }
        hapi.close();
    }

    /** HAPI's MLLP client sending an A01 every 200 ms on one connection, counting the answers. */
    private final class RealSender implements AutoCloseable {
        final AtomicInteger accepted = new AtomicInteger();
        final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final CompletableFuture<Void> loop;
        private final Connection connection;

        RealSender() throws IOException {
            try {
                connection = hapi.newClient("127.0.0.1", adapter.port(), false);
            } catch (ca.uhn.hl7v2.HL7Exception e) {
                throw new IOException(e);
            }
            connection.getInitiator().setTimeout(20, TimeUnit.SECONDS);
            loop = CompletableFuture.runAsync(() -> {
                int i = 0;
                while (running.get()) {
                    try {
                        String a01 = adt("A01", "REAL-" + i, Instant.parse("2026-11-20T09:00:00Z").plusSeconds(i))
                                .facility("RJ1").nhsNumber(AdtMapperTest.NHS).visitNumber("REAL-V" + i).build();
                        Message ack = connection.getInitiator().sendAndReceive(hapi.getPipeParser().parse(a01));
                        String code = new Terser(ack).get("/MSA-1");
                        if ("AA".equals(code)) {
                            accepted.incrementAndGet();
                        } else {
                            failures.add(code + " " + new Terser(ack).get("/MSA-3"));
                        }
                        i++;
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    } catch (Exception e) {
                        if (running.get()) {
                            failures.add(e.toString());
                        }
                        return;
                    }
                }
            });
        }

        /** Waits until {@code more} further messages are accepted. */
        void servedAgain(int more) {
            int target = accepted.get() + more;
            await().atMost(Duration.ofSeconds(30)).until(() -> accepted.get() >= target || !failures.isEmpty());
            assertThat(failures).as("the real sender is served throughout").isEmpty();
        }

        @Override
        public void close() throws Exception {
            running.set(false);
            loop.get(30, TimeUnit.SECONDS);
            connection.close();
        }
    }

    private Socket attacker(String from) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(from, 0));
        s.connect(new InetSocketAddress("127.0.0.1", adapter.port()), 5000);
        attackers.add(s);
        return s;
    }

    /** Whether the listener has closed {@code s} (end of stream or reset), waiting up to {@code wait}. */
    private static boolean closedByServer(Socket s, Duration wait) {
        try {
            s.setSoTimeout((int) wait.toMillis());
            InputStream in = s.getInputStream();
            int b;
            do {
                b = in.read();
            } while (b != -1 && b != MllpAdapter.START_BLOCK);
            return b == -1 || drainAck(in) != null && in.read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by the listener
        }
    }

    private static String drainAck(InputStream in) throws IOException {
        ByteArrayOutputStream ack = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != MllpAdapter.END_BLOCK && b != -1) {
            ack.write(b);
        }
        in.read();
        return ack.toString(StandardCharsets.UTF_8);
    }

    @Test
    void idle_sockets_filling_every_slot_do_not_lock_out_a_real_sender_and_are_closed_after_the_idle_timeout()
            throws Exception {
        // long enough that no idle socket times out before the newcomer comes, even on a loaded machine
        start(Duration.ofSeconds(10));
        realSender.servedAgain(1);
        for (int i = 0; i < PER_PEER; i++) {
            attacker("127.0.0.2");
            attacker("127.0.0.3");
        }
        // 1 real + 8 idle > 8: the idlest was closed to make room, not the real sender
        await().atMost(Duration.ofSeconds(10)).until(() -> adapter.openConnections() <= MAX_CONNECTIONS);
        realSender.servedAgain(3);

        // every slot taken, read before the newcomer connects (HAPI connects as the client is made, and the
        // listener then closes the idlest socket to make room, racing with a count taken afterwards)
        int before = adapter.openConnections();
        // its own HAPI context: one context shares one connection per address between its clients
        try (HapiContext other = MllpAdapterTest.hapiClient();
             Connection newcomer = other.newClient("127.0.0.1", adapter.port(), false)) {
            newcomer.getInitiator().setTimeout(20, TimeUnit.SECONDS);
            Message ack = newcomer.getInitiator().sendAndReceive(other.getPipeParser().parse(
                    adt("A01", "NEWCOMER", Instant.parse("2026-11-20T09:00:00Z")).facility("RJ1")
                            .nhsNumber(AdtMapperTest.NHS).visitNumber("NEW-V").build()));
            assertThat(new Terser(ack).get("/MSA-1")).as("a new sender gets a slot while all are taken by idle sockets")
                    .isEqualTo("AA");
            assertThat(before).as("every slot was taken when the newcomer came").isEqualTo(MAX_CONNECTIONS);
        }
        for (Socket idle : attackers) {
            assertThat(closedByServer(idle, Duration.ofSeconds(20))).as("idle socket closed").isTrue();
        }
        realSender.servedAgain(2);
    }

    @Test
    void a_byte_at_a_time_sender_is_cut_off_at_the_frame_deadline_and_its_message_is_not_published() throws Exception {
        start(Duration.ofSeconds(60));
        Socket slow = attacker("127.0.0.2");
        OutputStream out = slow.getOutputStream();
        byte[] message = adt("A01", "TRICKLE", Instant.parse("2026-11-20T09:00:00Z")).facility("RJ1")
                .nhsNumber(AdtMapperTest.NHS).visitNumber("TRICKLE-V").build().getBytes(StandardCharsets.UTF_8);
        out.write(MllpAdapter.START_BLOCK);
        long started = System.nanoTime();
        boolean cut = false;
        try {
            for (byte b : message) {
                out.write(b);
                out.flush();
                Thread.sleep(100);
                if (System.nanoTime() - started > TimeUnit.SECONDS.toNanos(30)) {
                    break;
                }
            }
        } catch (IOException e) {
            cut = true; // the listener closed the connection under the trickle
        }
        assertThat(cut || closedByServer(slow, Duration.ofSeconds(10))).as("the trickling sender was cut off").isTrue();
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started))
                .as("long before the message would have been complete (%d bytes at 10/s)", message.length)
                .isLessThan(message.length / 10);
        realSender.servedAgain(3);
        assertThat(mock.events()).noneMatch(e -> CareEvents.header(e).getSubjectId().equals("TRICKLE-V"));
    }

    @Test
    void an_oversized_frame_is_answered_ar_and_the_connection_closed() throws Exception {
        start(Duration.ofSeconds(60));
        Socket big = attacker("127.0.0.2");
        OutputStream out = big.getOutputStream();
        String msh = "MSH|^~\\&|PAS|RJ1|CARETRAIL|CARETRAIL|20261120090000||ADT^A01^ADT_A01|HUGE1|P|2.5\r";
        out.write(MllpAdapter.START_BLOCK);
        out.write(msh.getBytes(StandardCharsets.US_ASCII));
        out.write(("NTE|1||" + "X".repeat(MAX_BYTES) + "\r").getBytes(StandardCharsets.US_ASCII));
        out.write(MllpAdapter.END_BLOCK);
        out.write(MllpAdapter.CARRIAGE_RETURN);
        out.flush();

        big.setSoTimeout(20_000);
        InputStream in = big.getInputStream();
        int b;
        do {
            b = in.read();
        } while (b != MllpAdapter.START_BLOCK && b != -1);
        assertThat(b).as("an ACK frame").isEqualTo(MllpAdapter.START_BLOCK);
        String ack = drainAck(in);
        assertThat(ack).contains("MSA|AR|HUGE1|").contains("longer than " + MAX_BYTES);
        assertThat(in.read()).as("then the connection is closed").isEqualTo(-1);
        realSender.servedAgain(3);
    }

    @Test
    void many_connections_from_one_peer_are_capped_and_the_others_still_get_in() throws Exception {
        start(Duration.ofSeconds(60));
        realSender.servedAgain(1);
        List<Socket> flood = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            flood.add(attacker("127.0.0.2"));
        }
        int open = 0;
        for (Socket s : flood) {
            if (!closedByServer(s, Duration.ofSeconds(2))) {
                open++;
            }
        }
        assertThat(open).as("connections from 127.0.0.2 left open").isEqualTo(PER_PEER);
        realSender.servedAgain(3);
        Socket other = attacker("127.0.0.3");
        assertThat(closedByServer(other, Duration.ofSeconds(2))).as("another peer still gets in").isFalse();
    }
}
