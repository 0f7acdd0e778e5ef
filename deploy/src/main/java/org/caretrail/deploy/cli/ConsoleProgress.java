package org.caretrail.deploy.cli;

import java.io.PrintWriter;

/**
 * Progress for long work: a bar redrawn in place on a terminal, or a plain line every few seconds
 * when the output is a file or a pipe (so logs stay readable).
 */
final class ConsoleProgress {

    private static final int WIDTH = 30;

    private final PrintWriter out;
    private final boolean terminal;
    private long lastPlainLine;
    private boolean drawn;

    ConsoleProgress(PrintWriter out) {
        this.out = out;
        this.terminal = System.console() != null;
    }

    /** @param fraction 0..1, or negative when the total is unknown */
    synchronized void show(double fraction, String text, boolean finished) {
        if (terminal) {
            String bar;
            if (fraction < 0) {
                bar = "";
            } else {
                int filled = (int) Math.round(Math.min(1, fraction) * WIDTH);
                bar = "[" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + String.format("%3d%% ", Math.round(fraction * 100));
            }
            out.print("\r" + bar + text + "\u001b[K");
            if (finished) {
                out.println();
            }
            drawn = !finished;
            out.flush();
        } else {
            long now = System.currentTimeMillis();
            if (finished || now - lastPlainLine >= 5000) {
                lastPlainLine = now;
                out.println((fraction >= 0 ? String.format("%3d%% ", Math.round(fraction * 100)) : "") + text);
                out.flush();
            }
        }
    }

    /** Ends an unfinished bar so the next output starts on its own line. */
    synchronized void end() {
        if (drawn) {
            out.println();
            out.flush();
            drawn = false;
        }
    }

    static String bytes(long n) {
        if (n < 0) {
            return "?";
        }
        if (n < 1024 * 1024) {
            return String.format("%.0f KB", n / 1024.0);
        }
        return String.format("%.1f MB", n / (1024.0 * 1024));
    }
}
