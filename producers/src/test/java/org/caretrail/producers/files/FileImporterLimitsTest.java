package org.caretrail.producers.files;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.clients.producer.MockProducer;
import org.caretrail.events.CareEventType;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.producers.publisher.CarePublisher;
import org.caretrail.producers.simulator.PopulationSimulator;
import org.caretrail.producers.simulator.SimulationProfile;
import org.caretrail.producers.simulator.TestPublishers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The import's limits, tried as a careless or hostile file would: a giant line among good ones (JSON
 * lines and CSV), a CSV quote never closed, and .gz bombs (a few megabytes that decompress to
 * gigabytes), in this JVM and in a child JVM with a 32 MB heap.
 */
class FileImporterLimitsTest {

    @TempDir
    Path dir;

    private final MockProducer<String, byte[]> producer = TestPublishers.autoCompleting();
    private final CarePublisher publisher = TestPublishers.over(producer);

    private List<String> validLines(int n) {
        return new PopulationSimulator(5, 50, Clock.systemUTC(), SimulationProfile.BENCHMARK).events().limit(n)
                .map(CareEventJson::toEventJsonLine).toList();
    }

    @Test
    void a_giant_json_line_is_rejected_by_number_unread_and_the_import_goes_on() throws IOException {
        List<String> good = validLines(3);
        Path file = dir.resolve("events.jsonl");
        try (Writer w = Files.newBufferedWriter(file)) {
            w.write(good.get(0) + "\n" + good.get(1) + "\n");
            w.write("{\"type\":\"admission\",\"header\":{},\"ward\":\"" + "W".repeat(3_000_000) + "\"}\n");
            w.write(good.get(2) + "\n");
        }

        ImportResult result = FileImporter.importFile(file, ImportFormat.JSON_LINES, Optional.empty(), publisher, null);

        assertThat(result.accepted()).as("%s", result.rejectedRows()).isEqualTo(3);
        assertThat(result.rejectedRows()).singleElement().hasToString(
                "line 3: longer than 64 KiB (3000042 bytes): rejected");
        assertThat(result.stopped()).isEmpty();
        JsonNode rejected = CareEventJson.mapper().readTree(Files.readString(dir.resolve("events.rejected.jsonl")));
        assertThat(rejected.get("line").asLong()).isEqualTo(3);
        assertThat(rejected.get("input").isNull()).as("too long to keep").isTrue();
    }

    @Test
    void a_line_exactly_at_the_limit_is_read_and_one_byte_more_is_not() throws IOException {
        String good = validLines(1).get(0);
        // the same event after leading blanks (JSON allows them): a line of exactly 2,000 bytes, then 2,001
        Path file = dir.resolve("edge.jsonl");
        Files.writeString(file, good + "\r\n" + " ".repeat(2_000 - good.length()) + good + "\n"
                + " ".repeat(2_001 - good.length()) + good + "\n");

        ImportResult result = new FileImporter(publisher, new org.caretrail.events.CareEventValidator(), 10,
                ImportLimits.defaults().withMaxLineBytes(2_000))
                .importFile(file, ImportFormat.JSON_LINES, Optional.empty(), null);

        assertThat(good.length()).as("ASCII, so characters are bytes").isEqualTo(good.getBytes(StandardCharsets.UTF_8).length);
        assertThat(result.accepted()).as("the CR of CRLF is not part of the line; 2,000 bytes is within").isEqualTo(2);
        assertThat(result.rejectedRows()).singleElement().satisfies(r -> {
            assertThat(r.line()).isEqualTo(3);
            assertThat(r.reason()).isEqualTo("longer than 2000 bytes (2001 bytes): rejected");
        });
    }

    @Test
    void a_giant_csv_row_and_a_quote_never_closed_are_rejected_by_line_and_the_rows_after_them_imported()
            throws IOException {
        String header = "nhsNumber,odsCode,providerKind,subjectId,occurredAt,kind,description";
        Path csv = dir.resolve("packages.csv");
        try (Writer w = Files.newBufferedWriter(csv)) {
            w.write(header + "\n");
            w.write("9912003888,LA901,SOCIAL_CARE,PKG-1,2026-11-01T10:00:00Z,PACKAGE_START,ok\n");
            w.write("9912003888,LA901,SOCIAL_CARE,PKG-2,2026-11-01T10:00:00Z,PACKAGE_START," + "d".repeat(200_000) + "\n");
            w.write("9912003888,LA901,SOCIAL_CARE,PKG-3,2026-11-01T10:00:00Z,PACKAGE_START,ok\n");
            w.write("9912003888,LA901,SOCIAL_CARE,PKG-4,2026-11-01T10:00:00Z,PACKAGE_START,\"never closed\n");
            for (int i = 0; i < 40; i++) {
                w.write("x".repeat(2_000) + "\n");
            }
        }

        ImportResult result = FileImporter.importFile(csv, ImportFormat.CSV, Optional.of(CareEventType.SOCIAL_CARE),
                publisher, null);

        assertThat(result.accepted()).as("%s", result.rejectedRows()).isEqualTo(2);
        assertThat(result.rejectedRows()).extracting(RejectedRow::line).startsWith(3L, 5L);
        assertThat(result.rejectedRows().get(0).reason()).isEqualTo("longer than 64 KiB (200070 bytes): rejected");
        assertThat(result.rejectedRows().get(1).reason()).startsWith("the row (lines 5-").contains("a quote not closed?");
    }

    @Test
    void a_gz_bomb_stops_the_import_with_a_clear_message_and_keeps_what_was_acknowledged() throws IOException {
        List<String> good = validLines(3);
        Path bomb = gzBomb(dir.resolve("export.jsonl.gz"), good, 16); // 1 GiB of one line behind 3 good ones

        ImportResult result = FileImporter.importFile(bomb, ImportFormat.JSON_LINES, Optional.empty(), publisher, null);

        assertThat(result.accepted()).as("the three lines before it were published and acknowledged").isEqualTo(3);
        assertThat(producer.history()).hasSize(3);
        assertThat(result.stopped()).hasValueSatisfying(why -> assertThat(why)
                .startsWith("stopped after line 3: the file decompresses to more than 200 times its compressed size")
                .contains("decompression bomb"));
        assertThat(result.summary()).contains("3 accepted").contains("stopped after line 3");
    }

    @Test
    void the_decompressed_size_is_capped_too() throws IOException {
        List<String> good = validLines(2);
        Path big = gzBomb(dir.resolve("big.jsonl.gz"), good, 2);
        ImportResult result = new FileImporter(publisher, new org.caretrail.events.CareEventValidator(), 10,
                ImportLimits.defaults().withMaxDecompressedBytes(32L << 20).withMaxCompressionRatio(100_000))
                .importFile(big, ImportFormat.JSON_LINES, Optional.empty(), null);
        assertThat(result.accepted()).isEqualTo(2);
        assertThat(result.stopped()).hasValueSatisfying(why -> assertThat(why)
                .contains("the file decompresses to more than 32 MiB (--max-decompressed-bytes)"));
    }

    @Test
    void a_genuine_gz_export_is_far_below_the_ratio_limit() throws IOException {
        Path file = dir.resolve("population.jsonl.gz");
        long events;
        try (Writer out = new java.io.OutputStreamWriter(new GZIPOutputStream(Files.newOutputStream(file)),
                StandardCharsets.UTF_8)) {
            events = new PopulationSimulator(3, 4_000, Clock.systemUTC(), SimulationProfile.BENCHMARK)
                    .writeJsonLines(out);
        }
        ImportResult result = FileImporter.importFile(file, ImportFormat.JSON_LINES, Optional.empty(), publisher, null);
        assertThat(result.stopped()).isEmpty();
        assertThat(result.accepted()).isEqualTo(events);
    }

    @Test
    void with_kafka_away_the_import_stops_after_three_refused_events_instead_of_rejecting_every_line()
            throws IOException {
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Path file = dir.resolve("while-kafka-is-away.jsonl");
        Files.write(file, validLines(40));
        try (CarePublisher away = CarePublisher.connect("127.0.0.1:" + closedPort,
                new org.caretrail.events.topic.Topics(new org.caretrail.events.serde.InMemorySchemaRegistry()),
                "import-limits-test")) {
            ImportResult result = FileImporter.importFile(file, ImportFormat.JSON_LINES, Optional.empty(), away, null);

            assertThat(result.accepted()).isZero();
            assertThat(result.rejectedRows()).extracting(RejectedRow::line).containsExactly(1L, 2L, 3L);
            assertThat(result.rejectedRows()).allSatisfy(r -> assertThat(r.reason()).startsWith("not published: "));
            assertThat(result.stopped()).hasValueSatisfying(why -> assertThat(why)
                    .startsWith("stopped after line 3: Kafka did not accept the last 3 events")
                    .contains("import the file again"));
        }
    }

    @Test
    void under_a_32_mb_heap_a_gz_bomb_stops_cleanly_and_a_one_gib_line_is_passed_over() throws Exception {
        List<String> good = validLines(4);
        Path bomb = gzBomb(dir.resolve("bomb.jsonl.gz"), good.subList(0, 3), 64); // 4 GiB from about 4 MB
        long compressed = Files.size(bomb);
        assertThat(compressed).as("a few MB compressed").isBetween(1L << 20, 16L << 20);

        String bombed = runSmallHeap(bomb, null);
        assertThat(bombed).contains("accepted=3 rejected=0").contains("stopped=stopped after line 3: the file "
                + "decompresses to more than 200 times its compressed size");

        // the same 1 GiB line, the ratio check off: the line limit alone keeps memory bounded
        Path giantLine = gzBomb(dir.resolve("line.jsonl.gz"), good.subList(0, 3), 16, good.get(3));
        String passedOver = runSmallHeap(giantLine, "100000");
        assertThat(passedOver).contains("accepted=4 rejected=1").contains("stopped=none")
                .contains("line 4: longer than 64 KiB (1073741824 bytes): rejected");
        System.out.printf("gz bomb of %d bytes compressed (4 GiB decompressed) under -Xmx32m: %s%n", compressed,
                bombed.lines().filter(l -> l.startsWith("accepted=")).findFirst().orElse(bombed));
    }

    private static String runSmallHeap(Path file, String maxRatio) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(javaBin, "-Xmx32m", "-XX:+ExitOnOutOfMemoryError",
                "-cp", System.getProperty("java.class.path"), LargeFileImportMain.class.getName(), file.toString()));
        if (maxRatio != null) {
            command.add(maxRatio);
        }
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as(output).isZero();
        assertThat(output).doesNotContain("OutOfMemoryError");
        return output;
    }

    /**
     * A .gz file: {@code before} as lines, then one line of {@code members} x 64 MiB of 'x' (gzip members
     * written one after another, as gzip allows), then {@code after} if given.
     */
    static Path gzBomb(Path file, List<String> before, int members, String... after) throws IOException {
        byte[] member = gzip(new byte[0], 64 << 20);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(gzip(String.join("\n", before).concat("\n").getBytes(StandardCharsets.UTF_8), 0));
            for (int i = 0; i < members; i++) {
                out.write(member);
            }
            if (after.length > 0) {
                out.write(gzip(("\n" + String.join("\n", after) + "\n").getBytes(StandardCharsets.UTF_8), 0));
            }
        }
        return file;
    }

    private static byte[] gzip(byte[] prefix, int filler) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes, 1 << 16)) {
            gz.write(prefix);
            byte[] xs = new byte[1 << 20];
            java.util.Arrays.fill(xs, (byte) 'x');
            for (int written = 0; written < filler; written += xs.length) {
                gz.write(xs);
            }
        }
        return bytes.toByteArray();
    }
}
