package org.caretrail.deploy.cli;

/**
 * Makes text from elsewhere (a provider's summary or ward name, an audit record's caller-supplied
 * header, an API's error message, a command-line value echoed back) safe to print on a terminal.
 *
 * <p>A terminal obeys what it prints: ANSI escape sequences recolour, move the cursor, rewrite lines
 * already shown, set the window title or (on some terminals) write files or paste into the shell;
 * a carriage return or backspaces overwrite what was printed; a line feed forges a line of its own
 * (a fake audit entry); bidirectional overrides show text in another order than it is. So every C0
 * control (U+0000-U+001F, ESC included), DEL, every C1 control (U+0080-U+009F, CSI U+009B included)
 * and the bidirectional controls (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) are removed;
 * tab, line feed, carriage return and the line and paragraph separators (U+2028, U+2029) become a
 * space, so words stay apart. Nothing else changes: names in any script print as they are.
 */
final class TerminalText {

    private TerminalText() {
    }

    /** {@code text} without controls; null prints as {@code "-"}. */
    static String clean(String text) {
        if (text == null) {
            return "-";
        }
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            String replacement = replacement(c);
            if (replacement == null) {
                if (out != null) {
                    out.append(c);
                }
                continue;
            }
            if (out == null) {
                out = new StringBuilder(text.length());
                out.append(text, 0, i);
            }
            out.append(replacement);
        }
        return out == null ? text : out.toString();
    }

    /** Each line of {@code text} cleaned, its own line breaks kept (for multi-line text CareTrail itself wrote). */
    static String cleanLines(String text) {
        String[] lines = text.split("\n", -1);
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < lines.length; i++) {
            if (i > 0) {
                out.append('\n');
            }
            out.append(clean(lines[i]));
        }
        return out.toString();
    }

    /** What {@code c} becomes: null to keep it, "" to drop it, " " for a line or tab. */
    private static String replacement(char c) {
        if (c == '\t' || c == '\n' || c == '\r' || c == '\u2028' || c == '\u2029') {
            return " ";
        }
        if (c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F)) {
            return "";
        }
        if (c == '\u061C' || c == '\u200E' || c == '\u200F' || (c >= '\u202A' && c <= '\u202E')
                || (c >= '\u2066' && c <= '\u2069')) {
            return "";
        }
        return null;
    }
}
