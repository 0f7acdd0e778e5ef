package org.caretrail.producers.files;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads UTF-8 text a line at a time, never holding more than {@code maxLineBytes} of one line: a
 * longer line is passed over (read and dropped up to its end) and reported as too long, so one
 * giant line (or a file that is one line of gigabytes) cannot run an import out of memory. Lines end
 * with LF; a CR before it is dropped; a byte order mark at the start is dropped.
 */
final class BoundedLineReader {

    /** One line: its number (from 1), its text (null when too long) and its length in bytes. */
    record Line(long number, String text, long bytes) {
        boolean tooLong() {
            return text == null;
        }
    }

    private final InputStream in;
    private final int maxLineBytes;
    private final byte[] buffer = new byte[64 * 1024];
    private int position;
    private int limit;
    private long lineNumber;
    private byte[] line = new byte[1024];

    BoundedLineReader(InputStream in, int maxLineBytes) {
        this.in = in;
        this.maxLineBytes = maxLineBytes;
    }

    int maxLineBytes() {
        return maxLineBytes;
    }

    /** The number of the line last returned. */
    long lineNumber() {
        return lineNumber;
    }

    /** The next line, or null at the end of the input. */
    Line next() throws IOException {
        int kept = 0;
        long length = 0;
        boolean any = false;
        while (true) {
            if (position == limit) {
                limit = in.read(buffer);
                position = 0;
                if (limit <= 0) {
                    limit = 0;
                    if (!any) {
                        return null;
                    }
                    break;
                }
            }
            any = true;
            int start = position;
            int end = start;
            while (end < limit && buffer[end] != '\n') {
                end++;
            }
            int chunk = end - start;
            length += chunk;
            if (length <= maxLineBytes) {
                if (kept + chunk > line.length) {
                    line = Arrays.copyOf(line, Math.min(maxLineBytes + 1, Math.max(line.length * 2, kept + chunk)));
                }
                System.arraycopy(buffer, start, line, kept, chunk);
                kept += chunk;
            }
            position = end;
            if (end < limit) { // found the end of the line
                position++;
                break;
            }
        }
        lineNumber++;
        if (kept > 0 && length <= maxLineBytes && line[kept - 1] == '\r') {
            kept--;
            length--;
        }
        if (length > maxLineBytes) {
            return new Line(lineNumber, null, length);
        }
        int from = lineNumber == 1 && kept >= 3 && (line[0] & 0xFF) == 0xEF && (line[1] & 0xFF) == 0xBB
                && (line[2] & 0xFF) == 0xBF ? 3 : 0;
        String text = new String(line, from, kept - from, StandardCharsets.UTF_8);
        if (line.length > 16 * 1024 && kept < 1024) {
            line = new byte[1024]; // do not keep a big buffer after one big line
        }
        return new Line(lineNumber, text, length);
    }
}
