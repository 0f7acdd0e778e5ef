package org.caretrail.producers.files;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongSupplier;

/**
 * Guards a decompressing stream: stops it, with {@link Exceeded}, when it has given more than the
 * limit, or more than the allowed number of bytes per compressed byte read (a decompression bomb:
 * a few megabytes that become gigabytes).
 */
final class DecompressionLimit extends FilterInputStream {

    /** The input decompressed past a limit; the message says which. */
    static final class Exceeded extends IOException {
        Exceeded(String message) {
            super(message);
        }
    }

    private final LongSupplier compressedRead;
    private final ImportLimits limits;
    private long decompressed;

    /** @param compressedRead how many compressed bytes have been read so far */
    DecompressionLimit(InputStream decompressing, LongSupplier compressedRead, ImportLimits limits) {
        super(decompressing);
        this.compressedRead = compressedRead;
        this.limits = limits;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            count(1);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
            count(n);
        }
        return n;
    }

    private void count(int n) throws Exceeded {
        decompressed += n;
        if (decompressed > limits.maxDecompressedBytes()) {
            throw new Exceeded("the file decompresses to more than " + ImportLimits.bytes(limits.maxDecompressedBytes())
                    + " (--max-decompressed-bytes)");
        }
        if (decompressed >= ImportLimits.RATIO_CHECKED_AFTER_BYTES) {
            long compressed = Math.max(1, compressedRead.getAsLong());
            if (decompressed / compressed > limits.maxCompressionRatio()) {
                throw new Exceeded("the file decompresses to more than " + limits.maxCompressionRatio()
                        + " times its compressed size (" + decompressed + " bytes from " + compressed
                        + "): a decompression bomb? (--max-compression-ratio)");
            }
        }
    }
}
