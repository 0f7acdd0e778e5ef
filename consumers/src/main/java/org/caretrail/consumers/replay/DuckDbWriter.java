package org.caretrail.consumers.replay;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.stream.Collectors;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * CSV and Parquet through an in-process DuckDB: rows are appended to a typed table (see
 * {@link ReplayRow#COLUMNS}), then {@code COPY ... TO} writes the file. Large replays spill to
 * DuckDB's temporary directory next to the output. In CSV, every text cell that a spreadsheet
 * would run as a formula is defused ({@link SpreadsheetCells}); Parquet keeps the values as they are.
 */
final class DuckDbWriter implements ReplayWriter {

    static final String TABLE = "replay";

    private final ReplayFormat format;
    private final Path out;
    private final Connection connection;
    private final DuckDBAppender appender;

    DuckDbWriter(ReplayFormat format, Path out) throws IOException {
        this.format = format;
        this.out = out.toAbsolutePath();
        try {
            connection = DriverManager.getConnection("jdbc:duckdb:");
            try (Statement statement = connection.createStatement()) {
                Path parent = this.out.getParent();
                if (parent != null) {
                    statement.execute("SET temp_directory = " + literal(parent.resolve(".duckdb-tmp").toString()));
                }
                statement.execute("CREATE TABLE " + TABLE + " (" + Arrays.stream(ReplayRow.COLUMNS)
                        .map(c -> "\"" + c[0] + "\" " + c[1]).collect(Collectors.joining(", ")) + ")");
            }
            appender = connection.unwrap(DuckDBConnection.class).createAppender(DuckDBConnection.DEFAULT_SCHEMA, TABLE);
        } catch (SQLException e) {
            throw new IOException("cannot start DuckDB to write " + out + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void write(ReplayRow row, ObjectNode line) throws IOException {
        try {
            appender.beginRow();
            appendText(row.topic());
            appender.append(row.partition());
            appender.append(row.offset());
            appendInstant(row.kafkaTimestamp());
            appendText(row.eventType());
            appendText(row.eventId());
            appendText(row.action());
            appendText(row.subjectId());
            appender.append(row.version());
            appendInstant(row.occurredAt());
            appendInstant(row.recordedAt());
            appendText(row.sourceOdsCode());
            appendText(row.sourceName());
            appendText(row.providerKind());
            appendText(row.sourceSystem());
            appendText(row.nhsNumber());
            appendText(row.localIdSystem());
            appendText(row.localIdValue());
            appendText(row.sensitivity());
            appendText(row.changeKind());
            appendText(row.summary());
            // JSON, always an object: nothing a spreadsheet would run
            appender.append(row.body());
            appender.endRow();
        } catch (SQLException e) {
            throw new IOException("cannot append " + row.topic() + " offset " + row.offset() + ": " + e.getMessage(), e);
        }
    }

    private void appendText(String value) throws SQLException {
        if (value == null) {
            appender.appendNull();
        } else {
            appender.append(format == ReplayFormat.CSV ? SpreadsheetCells.defuse(value) : value);
        }
    }

    private void appendInstant(Instant value) throws SQLException {
        if (value == null) {
            appender.appendNull();
        } else {
            appender.append(OffsetDateTime.ofInstant(value, ZoneOffset.UTC));
        }
    }

    @Override
    public void finish() throws IOException {
        try {
            appender.flush();
            appender.close();
            Files.deleteIfExists(out);
            String options = format == ReplayFormat.PARQUET ? "(FORMAT parquet, COMPRESSION zstd)"
                    : "(FORMAT csv, HEADER true)";
            try (Statement statement = connection.createStatement()) {
                statement.execute("COPY (SELECT * FROM " + TABLE + ") TO " + literal(out.toString()) + " " + options);
            }
            Path parent = out.getParent();
            if (parent != null) {
                Path tmp = parent.resolve(".duckdb-tmp");
                if (Files.isDirectory(tmp)) {
                    try (var left = Files.list(tmp)) {
                        if (left.findAny().isEmpty()) {
                            Files.delete(tmp);
                        }
                    }
                }
            }
        } catch (SQLException e) {
            throw new IOException("cannot write " + out + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            connection.close();
        } catch (SQLException e) {
            throw new IOException("cannot close DuckDB: " + e.getMessage(), e);
        }
    }

    private static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }
}
