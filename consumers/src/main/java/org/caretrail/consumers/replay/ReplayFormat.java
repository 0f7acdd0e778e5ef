package org.caretrail.consumers.replay;

import java.util.Locale;

/** Output formats of a replay. */
public enum ReplayFormat {
    /** One CareTrail JSON event per line, exactly the JSON form of {@code caretrail publish}. */
    JSONL,
    /** A flat table with a header row (see {@link ReplayRow} for the columns). */
    CSV,
    /** The same flat table as typed Parquet columns (timestamps, integers, a JSON body). */
    PARQUET;

    public static ReplayFormat parse(String text) {
        try {
            return valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("format '" + text + "' must be jsonl, csv or parquet");
        }
    }
}
