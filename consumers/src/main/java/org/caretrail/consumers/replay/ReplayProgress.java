package org.caretrail.consumers.replay;

/** How far a replay has got: records read of the (estimated) total in the window, and rows written. */
public record ReplayProgress(long read, long total, long written) {

    public double fraction() {
        return total <= 0 ? 1.0 : Math.min(1.0, (double) read / total);
    }

    /** A one-line progress bar, e.g. {@code [#########           ]  45% 12,345/27,000 read, 12,001 written}. */
    public String bar(int width) {
        int filled = (int) Math.round(fraction() * width);
        return "[" + "#".repeat(filled) + " ".repeat(Math.max(0, width - filled)) + "] "
                + String.format("%3d%% %,d/%,d read, %,d written", Math.round(fraction() * 100), read, total, written);
    }
}
