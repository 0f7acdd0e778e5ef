package org.caretrail.consumers.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplayOptionsTest {

    private static final Instant FROM = Instant.parse("2026-11-20T00:00:00Z");

    @TempDir
    Path dir;

    @Test
    void noTopicsMeansEveryCareEventTopicButConsents() {
        ReplayOptions options = ReplayOptions.of(List.of(), FROM, null, ReplayFormat.JSONL, dir.resolve("x"));
        assertThat(options.topics()).contains("care.admissions", "care.deaths", "care.patient-identities")
                .doesNotContain("care.consents", "care.timelines", "care.timeline-changes").hasSize(12);
    }

    @Test
    void refusesWhatCannotBeReplayed() {
        assertThatThrownBy(() -> ReplayOptions.of(List.of("care.subscriptions"), FROM, null, ReplayFormat.CSV,
                dir.resolve("x"))).hasMessageContaining("cannot replay topic 'care.subscriptions'");
        assertThatThrownBy(() -> ReplayOptions.of(List.of(), FROM, FROM, ReplayFormat.CSV, dir.resolve("x")))
                .hasMessageContaining("must be after from");
        assertThatThrownBy(() -> ReplayOptions.of(List.of(), FROM, FROM.plusSeconds(1), ReplayFormat.CSV,
                dir.resolve("x")).pseudonymised(new byte[8])).hasMessageContaining("at least 16 bytes");
        assertThatThrownBy(() -> ReplayFormat.parse("xlsx")).hasMessageContaining("jsonl, csv or parquet");
        assertThat(ReplayFormat.parse("Parquet")).isEqualTo(ReplayFormat.PARQUET);
    }

    @Test
    void keyFilesAreReadWithoutTheirTrailingNewline() throws Exception {
        Path key = Files.writeString(dir.resolve("key"), "0123456789abcdef0123\n");
        assertThat(new String(ReplayOptions.readKeyFile(key))).isEqualTo("0123456789abcdef0123");
        Files.writeString(key, "\n");
        assertThatThrownBy(() -> ReplayOptions.readKeyFile(key)).hasMessageContaining("is empty");
    }

    @Test
    void rawRandomKeyBytesAreUsedAsTheyAre() throws Exception {
        byte[] raw = {(byte) 0xff, (byte) 0xfe, 0, 1, 2, 3, (byte) 0x80, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
        Path key = Files.write(dir.resolve("raw-key"), raw);
        assertThat(ReplayOptions.readKeyFile(key)).isEqualTo(raw);
    }

    @Test
    void progressBars() {
        assertThat(new ReplayProgress(50, 200, 40).bar(8)).isEqualTo("[##      ]  25% 50/200 read, 40 written");
        assertThat(new ReplayProgress(0, 0, 0).fraction()).isEqualTo(1.0);
    }

    @Test
    void theSummaryNamesCountsAndRate() {
        ReplaySummary summary = new ReplaySummary(12, 10, 1, 1, 0, Map.of("admission", 7L, "discharge", 3L),
                Map.of("ACUTE", 10L), Duration.ofSeconds(2));
        assertThat(summary.eventsPerSecond()).isEqualTo(5.0);
        assertThat(summary.toText()).contains("Replayed 10 event(s)", "1 left out (national data opt-out)",
                "admission", "7", "ACUTE");
    }
}
