package org.caretrail.consumers.replay;

/** How far a replay has got: records read of the (estimated) total in the window, and rows written. */
public record ReplayProgress(long read, long total, long written) {

    public double fraction() {
        return total <= 0 ? 1.0 : Math.min(1.0, (double) read / total);
    }
}
