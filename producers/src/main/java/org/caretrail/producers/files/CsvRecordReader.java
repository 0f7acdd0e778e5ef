package org.caretrail.producers.files;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads RFC 4180 CSV one record at a time: comma-separated, fields optionally in double quotes,
 * {@code ""} for a quote inside quotes, line breaks allowed inside quotes. Keeps the record's raw
 * text (for the rejected-rows file) and the line it starts on.
 */
final class CsvRecordReader {

    /** A record, or the reason it could not be read ({@code fields} is then empty). */
    record CsvRecord(long line, List<String> fields, String raw, String error) {
        boolean blank() {
            return error == null && fields.size() == 1 && fields.get(0).isBlank();
        }
    }

    static final int MAX_RECORD_CHARS = 1 << 20;

    private final BufferedReader reader;
    private long lineNumber;

    CsvRecordReader(BufferedReader reader) {
        this.reader = reader;
    }

    /** The next record, or null at the end of the input. */
    CsvRecord next() throws IOException {
        String physical = reader.readLine();
        if (physical == null) {
            return null;
        }
        long start = ++lineNumber;
        if (start == 1 && !physical.isEmpty() && physical.charAt(0) == '\uFEFF') {
            physical = physical.substring(1); // byte order mark
        }
        StringBuilder raw = new StringBuilder(physical);
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        boolean fieldWasQuoted = false;
        String text = physical;
        int i = 0;
        while (true) {
            if (i >= text.length()) {
                if (!quoted) {
                    break;
                }
                String more = reader.readLine();
                if (more == null) {
                    return new CsvRecord(start, List.of(), raw.toString(),
                            "a quoted field is not closed before the end of the file");
                }
                lineNumber++;
                raw.append('\n').append(more);
                if (raw.length() > MAX_RECORD_CHARS) {
                    return new CsvRecord(start, List.of(), raw.substring(0, 200) + "...",
                            "record longer than " + MAX_RECORD_CHARS + " characters (a quote not closed?)");
                }
                field.append('\n');
                text = more;
                i = 0;
                continue;
            }
            char c = text.charAt(i++);
            if (quoted) {
                if (c == '"') {
                    if (i < text.length() && text.charAt(i) == '"') {
                        field.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    field.append(c);
                }
            } else if (c == ',') {
                fields.add(fieldWasQuoted ? field.toString() : field.toString().trim());
                field.setLength(0);
                fieldWasQuoted = false;
            } else if (c == '"' && field.toString().isBlank()) {
                quoted = true;
                fieldWasQuoted = true;
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        fields.add(fieldWasQuoted ? field.toString() : field.toString().trim());
        return new CsvRecord(start, fields, raw.toString(), null);
    }

    /** Quotes a value for CSV output when it needs it. */
    static String quote(String value) {
        if (value.indexOf(',') < 0 && value.indexOf('"') < 0 && value.indexOf('\n') < 0 && value.indexOf('\r') < 0) {
            return value;
        }
        return '"' + value.replace("\"", "\"\"") + '"';
    }
}
