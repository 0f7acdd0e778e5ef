package org.caretrail.producers.files;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads RFC 4180 CSV one record at a time: comma-separated, fields optionally in double quotes,
 * {@code ""} for a quote inside quotes, line breaks allowed inside quotes. Keeps the record's raw
 * text (for the rejected-rows file) and the line it starts on. A record is held only up to the line
 * limit ({@link ImportLimits#maxLineBytes()}), all its lines together.
 */
final class CsvRecordReader {

    /** A record, or the reason it could not be read ({@code fields} is then empty). */
    record CsvRecord(long line, List<String> fields, String raw, String error) {
        boolean blank() {
            return error == null && fields.size() == 1 && fields.get(0).isBlank();
        }
    }

    private final BoundedLineReader lines;

    CsvRecordReader(BoundedLineReader lines) {
        this.lines = lines;
    }

    /**
     * The next record, or null at the end of the input. A record (all its lines) longer than the
     * line limit comes back as an error, without its text.
     */
    CsvRecord next() throws IOException {
        BoundedLineReader.Line first = lines.next();
        if (first == null) {
            return null;
        }
        long start = first.number();
        if (first.tooLong()) {
            return new CsvRecord(start, List.of(), "", FileImporter.tooLong(first.bytes(), lines.maxLineBytes()));
        }
        String physical = first.text();
        long recordBytes = first.bytes();
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
                BoundedLineReader.Line more = lines.next();
                if (more == null) {
                    return new CsvRecord(start, List.of(), raw.toString(),
                            "a quoted field is not closed before the end of the file");
                }
                recordBytes += 1 + more.bytes();
                if (more.tooLong() || recordBytes > lines.maxLineBytes()) {
                    return new CsvRecord(start, List.of(), "", "the row (lines " + start + "-" + more.number()
                            + ") is longer than " + ImportLimits.bytes(lines.maxLineBytes())
                            + ": rejected (a quote not closed?)");
                }
                raw.append('\n').append(more.text());
                field.append('\n');
                text = more.text();
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
