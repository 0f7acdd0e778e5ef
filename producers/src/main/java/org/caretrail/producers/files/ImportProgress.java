package org.caretrail.producers.files;

/**
 * How far an import has got.
 *
 * @param totalBytes the input's size, or -1 when unknown (standard input)
 * @param rows       data rows read so far (a CSV header and blank lines are not rows)
 */
public record ImportProgress(long bytesRead, long totalBytes, long rows, long accepted, long rejected,
                             boolean finished) {

    /** 0 to 1, or -1 when the size is unknown. */
    public double fraction() {
        if (totalBytes <= 0) {
            return finished ? 1 : -1;
        }
        return Math.min(1.0, (double) bytesRead / totalBytes);
    }

    /** Called as an import goes on (about twice a second) and once at the end. */
    @FunctionalInterface
    public interface Listener {
        void onProgress(ImportProgress progress);

        Listener NONE = progress -> { };
    }
}
