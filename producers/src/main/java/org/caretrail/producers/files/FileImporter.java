package org.caretrail.producers.files;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPInputStream;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEventValidator;
import org.caretrail.events.InvalidCareEventException;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.producers.publisher.CarePublisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Imports care events from CSV or JSON-lines files (or standard input), streaming: the file is read
 * a record at a time and at most {@code maxInFlight} events wait for Kafka's acknowledgement, so a
 * file of any size needs a few megabytes of heap. {@link ImportLimits} bound what one line may hold
 * (a longer line is rejected unread and the import goes on) and what a {@code .gz} file may
 * decompress to (beyond it the import stops, keeping everything already acknowledged).
 *
 * <p>Each row is mapped to an event, validated ({@link CareEventValidator}) and published; a row
 * that is malformed, invalid, or whose publish fails is rejected with its line number and reason.
 * Rejected rows are written beside the input, to {@link #rejectedFileFor} ({@code admissions.csv}
 * → {@code admissions.rejected.csv}): CSV rows as they were with {@code rejectedLine} and
 * {@code rejectionReason} columns added (the importer ignores those two, so a corrected file
 * imports as it is); JSON lines as {@code {"line":..,"reason":..,"input":"<the original line>"}}.
 *
 * <pre>{@code
 * ImportResult result = FileImporter.importFile(Path.of("packages.csv"), ImportFormat.CSV,
 *         Optional.of(CareEventType.SOCIAL_CARE), publisher, progress -> bar.update(progress.fraction()));
 * System.out.println(result.summary());
 * result.rejectedRows().forEach(System.out::println);   // "line 7: header.patient.nhsNumber: ..."
 * }</pre>
 */
public final class FileImporter {

    private static final Logger LOG = LoggerFactory.getLogger(FileImporter.class);
    /** How many rejections an {@link ImportResult} lists (all are in the rejected-rows file). */
    public static final int REJECTIONS_KEPT = 1_000;
    public static final int DEFAULT_MAX_IN_FLIGHT = 5_000;
    private static final long PROGRESS_NANOS = Duration.ofMillis(500).toNanos();
    private static final Duration ACK_TIMEOUT = Duration.ofMinutes(2);
    /** Events Kafka refuses at once, in a row, before an import stops (each waited up to 3 s for Kafka). */
    static final int KAFKA_AWAY_AFTER = 3;

    private final CarePublisher publisher;
    private final CareEventValidator validator;
    private final int maxInFlight;
    private final ImportLimits limits;

    public FileImporter(CarePublisher publisher) {
        this(publisher, new CareEventValidator(), DEFAULT_MAX_IN_FLIGHT, ImportLimits.defaults());
    }

    public FileImporter(CarePublisher publisher, CareEventValidator validator, int maxInFlight) {
        this(publisher, validator, maxInFlight, ImportLimits.defaults());
    }

    public FileImporter(CarePublisher publisher, CareEventValidator validator, int maxInFlight, ImportLimits limits) {
        this.publisher = Objects.requireNonNull(publisher, "publisher");
        this.validator = Objects.requireNonNull(validator, "validator");
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be at least 1");
        }
        this.maxInFlight = maxInFlight;
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /** One call for the CLI: see {@link #importFile(Path, ImportFormat, Optional, ImportProgress.Listener)}. */
    public static ImportResult importFile(Path input, ImportFormat format, Optional<CareEventType> kind,
                                          CarePublisher publisher, ImportProgress.Listener listener) {
        return importFile(input, format, kind, publisher, ImportLimits.defaults(), listener);
    }

    /** As {@link #importFile(Path, ImportFormat, Optional, CarePublisher, ImportProgress.Listener)}, within {@code limits}. */
    public static ImportResult importFile(Path input, ImportFormat format, Optional<CareEventType> kind,
                                          CarePublisher publisher, ImportLimits limits,
                                          ImportProgress.Listener listener) {
        return new FileImporter(publisher, new CareEventValidator(), DEFAULT_MAX_IN_FLIGHT, limits)
                .importFile(input, format, kind, listener);
    }

    /**
     * Imports a file ({@code -} for standard input, JSON lines only; a {@code .gz} file is
     * decompressed). Returns when every row has been published and acknowledged or rejected.
     *
     * @param kind the event type of every row: required for CSV, ignored for JSON lines (each line
     *             names its own {@code "type"})
     * @throws FileImportException when the input as a whole cannot be imported (missing file, no
     *                             kind for CSV, a bad CSV header); nothing has been published then
     */
    public ImportResult importFile(Path input, ImportFormat format, Optional<CareEventType> kind,
                                   ImportProgress.Listener listener) {
        if (input.toString().equals("-")) {
            return importStream(System.in, "-", -1, format, kind, Optional.empty(), listener);
        }
        if (!Files.isRegularFile(input)) {
            throw new FileImportException("no such file: " + input);
        }
        try (InputStream in = Files.newInputStream(input)) {
            long size = Files.size(input);
            CountingInputStream counted = new CountingInputStream(in);
            // for a .gz file progress counts compressed bytes, against the compressed size
            InputStream source = input.toString().endsWith(".gz")
                    ? new DecompressionLimit(new GZIPInputStream(counted, 1 << 16), counted::count, limits) : counted;
            return run(source, counted, input.toString(), size, format, kind, Optional.of(rejectedFileFor(input,
                    format)), listener);
        } catch (IOException e) {
            throw new FileImportException("cannot read " + input + ": " + e.getMessage(), e);
        }
    }

    /**
     * Imports from a stream (such as standard input). Rejected rows go to {@code rejectedFile} if
     * given, and are always listed in the result.
     *
     * @param totalBytes the stream's length for progress, or -1
     */
    public ImportResult importStream(InputStream in, String name, long totalBytes, ImportFormat format,
                                     Optional<CareEventType> kind, Optional<Path> rejectedFile,
                                     ImportProgress.Listener listener) {
        CountingInputStream counted = new CountingInputStream(in);
        try {
            return run(counted, counted, name, totalBytes, format, kind, rejectedFile, listener);
        } catch (IOException e) {
            throw new FileImportException("cannot read " + name + ": " + e.getMessage(), e);
        }
    }

    /** Where rejected rows of {@code input} go: {@code dir/name.rejected.csv} or {@code dir/name.rejected.jsonl}. */
    public static Path rejectedFileFor(Path input, ImportFormat format) {
        String name = input.getFileName().toString();
        if (name.endsWith(".gz")) {
            name = name.substring(0, name.length() - 3);
        }
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        return input.resolveSibling(stem + ".rejected." + format.extension());
    }

    /** The CSV columns for {@code kind}, in the documented order (for help text and templates). */
    public static List<String> csvColumns(CareEventType kind) {
        return CsvEventMapper.columns(kind);
    }

    /** The CSV columns {@code kind} cannot do without (besides nhsNumber or localIdSystem+localIdValue). */
    public static List<String> requiredCsvColumns(CareEventType kind) {
        return CsvEventMapper.requiredColumns(kind);
    }

    // ---- the import ----------------------------------------------------------------------------

    private ImportResult run(InputStream source, CountingInputStream counted, String name, long totalBytes,
                             ImportFormat format, Optional<CareEventType> kind, Optional<Path> rejectedPath,
                             ImportProgress.Listener listener) throws IOException {
        if (format == ImportFormat.CSV && kind.isEmpty()) {
            throw new FileImportException("a CSV import needs the event type (--kind), one of: "
                    + CareEventType.jsonNames());
        }
        ImportProgress.Listener progressListener = listener == null ? ImportProgress.Listener.NONE : listener;
        long started = System.nanoTime();
        Run run = new Run(name, totalBytes, counted, format, rejectedPath, progressListener);
        BoundedLineReader lines = new BoundedLineReader(source, limits.maxLineBytes());
        Optional<String> stopped = Optional.empty();
        try {
            try {
                if (format == ImportFormat.CSV) {
                    importCsv(lines, kind.get(), run);
                } else {
                    importJsonLines(lines, run);
                }
            } catch (DecompressionLimit.Exceeded e) {
                // a bomb: read no further; what was read is still published, acknowledged and reported
                stopped = Optional.of("stopped after line " + lines.lineNumber() + ": " + e.getMessage());
                LOG.warn("import of {} {}", name, stopped.get());
            } catch (KafkaAway e) {
                stopped = Optional.of(e.getMessage());
                LOG.error("import of {} {}", name, stopped.get());
            }
            publisher.flush();
            run.awaitAcknowledgements();
        } finally {
            run.closeRejected();
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
        progressListener.onProgress(run.progress(true));
        ImportResult result = new ImportResult(name, run.rows, run.accepted.get(), run.rejected.get(),
                run.rejectedRowsSnapshot(), run.rejectedFileWritten(), elapsed, stopped);
        LOG.info("import of {}: {}", name, result.summary());
        return result;
    }

    /** Why a line over the limit is rejected: "longer than 64 KiB (70000 bytes): rejected". */
    static String tooLong(long bytes, int maxLineBytes) {
        return "longer than " + ImportLimits.bytes(maxLineBytes) + " (" + bytes + " bytes): rejected";
    }

    private void importCsv(BoundedLineReader lines, CareEventType kind, Run run) throws IOException {
        CsvRecordReader csv = new CsvRecordReader(lines);
        CsvRecordReader.CsvRecord header = csv.next();
        while (header != null && header.blank()) {
            header = csv.next();
        }
        if (header == null) {
            return; // an empty file: nothing to import
        }
        if (header.error() != null) {
            throw new FileImportException("line " + header.line() + ": the header cannot be read: " + header.error());
        }
        CsvEventMapper mapper = new CsvEventMapper(kind, header.fields());
        run.csvHeader = header.raw() + "," + String.join(",", CsvEventMapper.REJECTION_COLUMNS);
        for (CsvRecordReader.CsvRecord record = csv.next(); record != null; record = csv.next()) {
            if (record.blank()) {
                continue;
            }
            run.rows++;
            if (record.error() != null) {
                run.reject(record.line(), record.raw(), record.error());
                continue;
            }
            SpecificRecord event;
            try {
                event = mapper.map(record.fields());
            } catch (RuntimeException e) { // CareEventJsonException, IllegalArgumentException: the row's fault
                run.reject(record.line(), record.raw(), reasonOf(e));
                continue;
            }
            publishValid(event, record.line(), record.raw(), run);
        }
    }

    private void importJsonLines(BoundedLineReader lines, Run run) throws IOException {
        for (BoundedLineReader.Line read = lines.next(); read != null; read = lines.next()) {
            long line = read.number();
            if (read.tooLong()) {
                run.rows++;
                run.reject(line, null, tooLong(read.bytes(), lines.maxLineBytes()));
                continue;
            }
            String text = read.text();
            if (text.isBlank()) {
                continue;
            }
            run.rows++;
            SpecificRecord event;
            try {
                event = CareEventJson.parseEvent(text).event();
            } catch (RuntimeException e) { // CareEventJsonException, IllegalArgumentException: the row's fault
                run.reject(line, text, reasonOf(e));
                continue;
            }
            publishValid(event, line, text, run);
        }
    }

    private void publishValid(SpecificRecord event, long line, String raw, Run run) {
        List<String> problems = validator.problems(event);
        if (!problems.isEmpty()) {
            run.reject(line, raw, String.join("; ", problems));
            return;
        }
        run.acquire();
        CompletableFuture<?> sent;
        try {
            sent = publisher.publish(event);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        boolean refusedAtOnce = sent.isCompletedExceptionally()
                && !(sent.handle((ok, error) -> error).join() instanceof InvalidCareEventException);
        run.unsentInARow = refusedAtOnce ? run.unsentInARow + 1 : 0;
        sent.whenComplete((ok, error) -> {
            try {
                if (error == null) {
                    run.accepted.incrementAndGet();
                } else {
                    Throwable cause = error instanceof java.util.concurrent.CompletionException
                            && error.getCause() != null ? error.getCause() : error;
                    run.reject(line, raw, "not published: " + reasonOf(cause));
                }
            } finally {
                run.release();
            }
        });
        run.maybeReport();
        if (run.unsentInARow >= KAFKA_AWAY_AFTER) {
            // each such send waited for Kafka (up to 3 s): reading on would reject every line the same way
            throw new KafkaAway("stopped after line " + line + ": Kafka did not accept the last " + KAFKA_AWAY_AFTER
                    + " events (" + reasonOf(sent.handle((ok, error) -> error).join()) + "); import the file again"
                    + " when Kafka is back: its events have the same eventIds, so none is stored twice");
        }
    }

    /** Kafka refused writes at once, several in a row: the import stops rather than reject every line. */
    private static final class KafkaAway extends RuntimeException {
        KafkaAway(String message) {
            super(message);
        }
    }

    private static String reasonOf(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** The state of one import. Rejections may come from the producer's thread. */
    private final class Run {
        final String name;
        final long totalBytes;
        final CountingInputStream counted;
        final ImportFormat format;
        final Optional<Path> rejectedPath;
        final ImportProgress.Listener listener;
        final Semaphore inFlight = new Semaphore(maxInFlight);
        final AtomicLong accepted = new AtomicLong();
        final AtomicLong rejected = new AtomicLong();
        final List<RejectedRow> rejectedRows = new ArrayList<>();
        long rows;
        int unsentInARow;
        String csvHeader;
        BufferedWriter rejectedWriter;
        boolean rejectedWritten;
        long nextReport = System.nanoTime() + PROGRESS_NANOS;

        Run(String name, long totalBytes, CountingInputStream counted, ImportFormat format,
            Optional<Path> rejectedPath, ImportProgress.Listener listener) throws IOException {
            this.name = name;
            this.totalBytes = totalBytes;
            this.counted = counted;
            this.format = format;
            this.rejectedPath = rejectedPath;
            this.listener = listener;
            if (rejectedPath.isPresent() && Files.deleteIfExists(rejectedPath.get())) {
                LOG.info("removed the rejected rows of an earlier import: {}", rejectedPath.get());
            }
        }

        synchronized void reject(long line, String raw, String reason) {
            rejected.incrementAndGet();
            if (rejectedRows.size() < REJECTIONS_KEPT) {
                rejectedRows.add(new RejectedRow(line, reason));
            }
            if (rejectedPath.isEmpty()) {
                return;
            }
            try {
                if (rejectedWriter == null) {
                    rejectedWriter = Files.newBufferedWriter(rejectedPath.get(), StandardCharsets.UTF_8);
                    rejectedWritten = true;
                    if (format == ImportFormat.CSV && csvHeader != null) {
                        rejectedWriter.write(csvHeader);
                        rejectedWriter.newLine();
                    }
                }
                if (format == ImportFormat.CSV) {
                    rejectedWriter.write((raw == null ? "" : raw) + "," + line + "," + CsvRecordReader.quote(reason));
                } else {
                    ObjectNode node = CareEventJson.mapper().createObjectNode();
                    node.put("line", line);
                    node.put("reason", reason);
                    node.put("input", raw); // null for a line too long to keep
                    rejectedWriter.write(node.toString());
                }
                rejectedWriter.newLine();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write rejected rows to " + rejectedPath.get() + ": "
                        + e.getMessage(), e);
            }
        }

        synchronized List<RejectedRow> rejectedRowsSnapshot() {
            List<RejectedRow> sorted = new ArrayList<>(rejectedRows);
            sorted.sort(java.util.Comparator.comparingLong(RejectedRow::line));
            return List.copyOf(sorted);
        }

        synchronized Optional<Path> rejectedFileWritten() {
            return rejectedWritten ? rejectedPath : Optional.empty();
        }

        synchronized void closeRejected() throws IOException {
            if (rejectedWriter != null) {
                rejectedWriter.close();
            }
        }

        void acquire() {
            try {
                while (!inFlight.tryAcquire(PROGRESS_NANOS, TimeUnit.NANOSECONDS)) {
                    maybeReport();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FileImportException("import of " + name + " interrupted", e);
            }
        }

        void release() {
            inFlight.release();
        }

        void awaitAcknowledgements() {
            long deadline = System.nanoTime() + ACK_TIMEOUT.toNanos();
            try {
                while (!inFlight.tryAcquire(maxInFlight, PROGRESS_NANOS, TimeUnit.NANOSECONDS)) {
                    maybeReport();
                    if (System.nanoTime() > deadline) {
                        throw new FileImportException((maxInFlight - inFlight.availablePermits())
                                + " events of " + name + " still unacknowledged by Kafka after " + ACK_TIMEOUT);
                    }
                }
                inFlight.release(maxInFlight);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FileImportException("import of " + name + " interrupted", e);
            }
        }

        void maybeReport() {
            long now = System.nanoTime();
            if (now >= nextReport) {
                nextReport = now + PROGRESS_NANOS;
                listener.onProgress(progress(false));
            }
        }

        ImportProgress progress(boolean finished) {
            return new ImportProgress(counted.count(), totalBytes, rows, accepted.get(), rejected.get(), finished);
        }
    }

    /** Counts the bytes read through it, for progress. */
    static final class CountingInputStream extends FilterInputStream {
        private volatile long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        long count() {
            return count;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            count += skipped;
            return skipped;
        }
    }
}
