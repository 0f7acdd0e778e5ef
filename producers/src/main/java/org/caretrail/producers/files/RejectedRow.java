package org.caretrail.producers.files;

/** A row that was not published: its line number in the input (1-based) and why. */
public record RejectedRow(long line, String reason) {
    @Override
    public String toString() {
        return "line " + line + ": " + reason;
    }
}
