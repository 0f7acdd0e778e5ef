package org.caretrail.producers.hl7;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * Reads MLLP frames ({@code <VT> message <FS><CR>}) from one connection, within the front door's
 * limits: a frame must end within {@code frameDeadline} of its start byte (a sender trickling a byte
 * at a time is cut off), may hold at most {@code maxMessageBytes}, and the connection may stay
 * silent between messages for at most {@code idleTimeout} (bytes outside a frame do not count as
 * activity). Each limit is its own exception, so the listener can log and answer precisely.
 */
final class MllpFrameReader {

    static final int START_BLOCK = 0x0b;
    static final int END_BLOCK = 0x1c;
    static final int CARRIAGE_RETURN = 0x0d;
    /** How much of a refused frame is kept: enough for its MSH, to address the AR. */
    private static final int KEPT_OF_REFUSED = 2048;

    /** The connection was silent for the idle timeout between messages. */
    static final class Idle extends IOException {
        Idle(Duration idle) {
            super("no message for " + idle.toSeconds() + " s");
        }
    }

    /** A frame did not end within the frame deadline. */
    static final class TooSlow extends IOException {
        TooSlow(Duration deadline, long received) {
            super("a frame was not complete " + deadline.toSeconds() + " s after its start byte (" + received
                    + " bytes received)");
        }
    }

    /** A frame was longer than the limit; {@code start} is its beginning (for the AR). */
    static final class TooLong extends IOException {
        final byte[] start;

        TooLong(int limit, byte[] start) {
            super("a frame is longer than " + limit + " bytes");
            this.start = start;
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final int maxBytes;
    private final long frameDeadlineNanos;
    private final long idleNanos;
    private final Duration frameDeadline;
    private final Duration idle;
    private final byte[] buffer = new byte[8192];
    private int position;
    private int limit;
    private long lastFrameEnd = System.nanoTime();

    MllpFrameReader(Socket socket, Hl7Settings settings) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.maxBytes = settings.maxMessageBytes();
        this.frameDeadline = settings.frameDeadline();
        this.idle = settings.idleTimeout();
        this.frameDeadlineNanos = frameDeadline.toNanos();
        this.idleNanos = idle.toNanos();
    }

    /**
     * The next frame's content, or null when the peer closed the connection between frames.
     *
     * @throws Idle when no frame started within the idle timeout
     * @throws TooSlow when a frame did not end within the frame deadline
     * @throws TooLong when a frame exceeded the size limit
     * @throws IOException when the connection failed or closed inside a frame
     */
    byte[] next() throws IOException {
        long idleDeadline = lastFrameEnd + idleNanos;
        int b;
        do {
            b = read(idleDeadline, false, 0);
            if (b == -1) {
                return null;
            }
        } while (b != START_BLOCK);
        long frameDeadlineAt = System.nanoTime() + frameDeadlineNanos;
        ByteArrayOutputStream frame = new ByteArrayOutputStream(1024);
        boolean afterEnd = false;
        while (true) {
            b = read(frameDeadlineAt, true, frame.size());
            if (b == -1) {
                if (afterEnd) {
                    return frame.toByteArray(); // <FS> then the peer closed: the frame is whole
                }
                throw new IOException("connection closed in the middle of a message (no <FS><CR>)");
            }
            if (afterEnd) {
                afterEnd = false;
                if (b == CARRIAGE_RETURN) {
                    lastFrameEnd = System.nanoTime();
                    return frame.toByteArray();
                }
                frame.write(END_BLOCK);
            }
            if (b == END_BLOCK) {
                afterEnd = true;
                continue;
            }
            frame.write(b);
            if (frame.size() > maxBytes) {
                byte[] all = frame.toByteArray();
                byte[] start = java.util.Arrays.copyOf(all, Math.min(all.length, KEPT_OF_REFUSED));
                throw new TooLong(maxBytes, start);
            }
        }
    }

    /** Marks the end of the answer to a frame: the idle time runs from here. */
    void answered() {
        lastFrameEnd = System.nanoTime();
    }

    private int read(long deadline, boolean inFrame, int received) throws IOException {
        if (position < limit) {
            return buffer[position++] & 0xff;
        }
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
            throw inFrame ? new TooSlow(frameDeadline, received) : new Idle(idle);
        }
        socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, remaining / 1_000_000)));
        int n;
        try {
            n = in.read(buffer, 0, buffer.length);
        } catch (SocketTimeoutException e) {
            throw inFrame ? new TooSlow(frameDeadline, received) : new Idle(idle);
        }
        if (n <= 0) {
            return -1;
        }
        position = 0;
        limit = n;
        return buffer[position++] & 0xff;
    }
}
