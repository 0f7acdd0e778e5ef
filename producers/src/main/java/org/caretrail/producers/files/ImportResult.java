package org.caretrail.producers.files;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What an import did.
 *
 * @param input        the file imported ({@code -} for standard input)
 * @param rows         data rows read
 * @param accepted     rows published and acknowledged by Kafka
 * @param rejected     rows not published (invalid, or the publish failed)
 * @param rejectedRows the first {@link FileImporter#REJECTIONS_KEPT} rejections, by line; all of
 *                     them are in {@code rejectedFile}
 * @param rejectedFile where rejected rows were written with their reasons, if any were
 * @param stopped      why the import stopped before the end of the input (a {@code .gz} file over its
 *                     decompression limits, or Kafka refusing writes), naming the line it stopped after;
 *                     empty when it read it all.
 *                     Every row read before that was published and acknowledged, or rejected, as usual
 */
public record ImportResult(String input, long rows, long accepted, long rejected, List<RejectedRow> rejectedRows,
                           Optional<Path> rejectedFile, Duration elapsed, Optional<String> stopped) {

    public boolean allAccepted() {
        return rejected == 0 && accepted == rows && stopped.isEmpty();
    }

    /** One line for the console: "1200 rows: 1198 accepted, 2 rejected (see x.rejected.csv) in 1.2 s". */
    public String summary() {
        return rows + " rows: " + accepted + " accepted, " + rejected + " rejected"
                + rejectedFile.map(p -> " (see " + p + ")").orElse("")
                + String.format(" in %.1f s", elapsed.toMillis() / 1000.0)
                + stopped.map(s -> "; " + s).orElse("");
    }
}
