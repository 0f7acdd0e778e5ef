package org.caretrail.producers.files;

/**
 * The limits of a file import, each with its default and what the importer does beyond it.
 *
 * <table>
 * <caption>File import limits</caption>
 * <tr><th>limit</th><th>default</th><th>beyond it</th></tr>
 * <tr><td>{@code maxLineBytes}: one line (JSON lines), one row (CSV, all its lines)</td>
 *     <td>{@value #DEFAULT_MAX_LINE_BYTES} bytes (64 KiB)</td>
 *     <td>the line is rejected ("line 3 is longer than 64 KiB: rejected") without being held in memory, and
 *     the import goes on with the next line. An event is at most
 *     {@value org.caretrail.events.CareEventLimits#MAX_EVENT_BYTES} bytes in Avro; its JSON is longer (field
 *     names, quotes), but a valid event's line fits in 64 KiB</td></tr>
 * <tr><td>{@code maxDecompressedBytes}: what a {@code .gz} file may decompress to</td>
 *     <td>{@value #DEFAULT_MAX_DECOMPRESSED_BYTES} bytes (8 GiB)</td>
 *     <td>the import stops there: everything already read is published and acknowledged, and the result says
 *     why it stopped and at which line</td></tr>
 * <tr><td>{@code maxCompressionRatio}: decompressed bytes per compressed byte of a {@code .gz} file, checked
 *     once {@value #RATIO_CHECKED_AFTER_BYTES} bytes (16 MiB) are decompressed</td>
 *     <td>{@value #DEFAULT_MAX_COMPRESSION_RATIO}</td>
 *     <td>the import stops, as above: a decompression bomb (gzip reaches about 1000:1 on repeated bytes;
 *     exports of care events compress about 10:1)</td></tr>
 * </table>
 */
public record ImportLimits(int maxLineBytes, long maxDecompressedBytes, int maxCompressionRatio) {

    public static final int DEFAULT_MAX_LINE_BYTES = 64 * 1024;
    public static final long DEFAULT_MAX_DECOMPRESSED_BYTES = 8L << 30;
    public static final int DEFAULT_MAX_COMPRESSION_RATIO = 200;
    public static final long RATIO_CHECKED_AFTER_BYTES = 16L << 20;

    public ImportLimits {
        if (maxLineBytes < 1024) {
            throw new IllegalArgumentException("maxLineBytes must be at least 1024, got " + maxLineBytes);
        }
        if (maxDecompressedBytes < 1) {
            throw new IllegalArgumentException("maxDecompressedBytes must be positive, got " + maxDecompressedBytes);
        }
        if (maxCompressionRatio < 2) {
            throw new IllegalArgumentException("maxCompressionRatio must be at least 2, got " + maxCompressionRatio);
        }
    }

    public static ImportLimits defaults() {
        return new ImportLimits(DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_DECOMPRESSED_BYTES, DEFAULT_MAX_COMPRESSION_RATIO);
    }

    public ImportLimits withMaxLineBytes(int bytes) {
        return new ImportLimits(bytes, maxDecompressedBytes, maxCompressionRatio);
    }

    public ImportLimits withMaxDecompressedBytes(long bytes) {
        return new ImportLimits(maxLineBytes, bytes, maxCompressionRatio);
    }

    public ImportLimits withMaxCompressionRatio(int ratio) {
        return new ImportLimits(maxLineBytes, maxDecompressedBytes, ratio);
    }

    /** "64 KiB", "8 GiB", "1500 bytes": a size as people read it. */
    static String bytes(long n) {
        if (n >= 1L << 30 && n % (1L << 30) == 0) {
            return (n >> 30) + " GiB";
        }
        if (n >= 1L << 20 && n % (1L << 20) == 0) {
            return (n >> 20) + " MiB";
        }
        if (n >= 1024 && n % 1024 == 0) {
            return (n >> 10) + " KiB";
        }
        return n + " bytes";
    }
}
