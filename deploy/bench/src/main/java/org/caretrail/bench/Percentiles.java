package org.caretrail.bench;

import java.util.Arrays;

/** Latency percentiles of a set of samples (nanoseconds in, milliseconds out). */
record Percentiles(long count, double p50, double p99, double p999, double max) {

    static Percentiles of(long[] nanos, int n) {
        if (n == 0) {
            return new Percentiles(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        long[] sorted = Arrays.copyOf(nanos, n);
        Arrays.sort(sorted);
        return new Percentiles(n, at(sorted, 0.50), at(sorted, 0.99), at(sorted, 0.999), sorted[n - 1] / 1e6);
    }

    private static double at(long[] sorted, double p) {
        int index = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
        return sorted[index] / 1e6;
    }

    @Override
    public String toString() {
        return count == 0 ? "no samples"
                : String.format("p50 %,.0f ms, p99 %,.0f ms, p99.9 %,.0f ms (max %,.0f ms, %,d samples)", p50, p99, p999,
                        max, count);
    }
}
