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
                dir.resolve("x")).pseudonymised(new byte[8])).hasMessageContaining("at least 32");
        assertThatThrownBy(() -> ReplayOptions.of(List.of(), FROM, null, ReplayFormat.CSV, dir.resolve("x"))
                .checkRelease()).hasMessageContaining("replay output is pseudonymised");
        org.assertj.core.api.Assertions.assertThatCode(() -> ReplayOptions.of(List.of(), FROM, null, ReplayFormat.CSV,
                dir.resolve("x")).pseudonymised(PseudonymiserTest.KEY).withIdentifiers().pseudonymised(PseudonymiserTest.KEY)
                .excludingOptedOut().withIdentifiers().checkRelease()).doesNotThrowAnyException();
        assertThatThrownBy(() -> ReplayFormat.parse("xlsx")).hasMessageContaining("jsonl, csv or parquet");
        assertThat(ReplayFormat.parse("Parquet")).isEqualTo(ReplayFormat.PARQUET);
    }

    @Test
    void keyFilesHoldRandomBytesRawHexOrBase64() throws Exception {
        byte[] random = new byte[32];
        new java.security.SecureRandom().nextBytes(random);
        random[0] = (byte) 0xFF; // certainly binary
        Path raw = Files.write(dir.resolve("raw.key"), random);
        assertThat(ReplayOptions.readKeyFile(raw)).isEqualTo(random);
        Path hex = Files.writeString(dir.resolve("hex.key"), java.util.HexFormat.of().formatHex(random) + "\n");
        assertThat(ReplayOptions.readKeyFile(hex)).isEqualTo(random);
        Path base64 = Files.writeString(dir.resolve("b64.key"),
                java.util.Base64.getEncoder().encodeToString(random) + "\n");
        assertThat(ReplayOptions.readKeyFile(base64)).isEqualTo(random);
    }

    @Test
    void passphrasesShortKeysAndEmptyFilesAreRefusedWithoutShowingTheKey() throws Exception {
        for (String weak : new String[] {"correct horse battery staple, twice: correct horse battery staple",
            "correcthorsebatterystaplecorrecthorsebatterystaple", "0123456789abcdef0123",
            "00000000000000000000000000000000000000000000000000000000000000000000"}) {
            Path key = Files.writeString(dir.resolve("weak.key"), weak + "\n");
            assertThatThrownBy(() -> ReplayOptions.readKeyFile(key)).as(weak)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining(weak);
        }
        Path shortRaw = Files.write(dir.resolve("short.key"), new byte[] {(byte) 0xff, 1, 2, 3, 4, 5, 6, 7});
        assertThatThrownBy(() -> ReplayOptions.readKeyFile(shortRaw)).hasMessageContaining("at least 32");
        Path empty = Files.writeString(dir.resolve("empty.key"), "\n");
        assertThatThrownBy(() -> ReplayOptions.readKeyFile(empty)).hasMessageContaining("is empty");
    }

    @Test
    void progressBars() {
        assertThat(new ReplayProgress(50, 200, 40).bar(8)).isEqualTo("[##      ]  25% 50/200 read, 40 written");
        assertThat(new ReplayProgress(0, 0, 0).fraction()).isEqualTo(1.0);
    }

    @Test
    void theSummaryNamesCountsAndRate() {
        ReplaySummary summary = new ReplaySummary(12, 10, 1, 1, 2, 0, Map.of("admission", 7L, "discharge", 3L),
                Map.of("ACUTE", 10L), Duration.ofSeconds(2), "pseudonymised");
        assertThat(summary.eventsPerSecond()).isEqualTo(5.0);
        assertThat(summary.toText()).contains("Replayed 10 event(s)", "1 left out (national data opt-out)",
                "2 RESTRICTED withheld", "Identifiers: pseudonymised", "admission", "7", "ACUTE");
    }
}
