package io.datafn.server;

import java.io.PrintStream;

/**
 * A one-line progress bar on stderr for {@code export} and {@code import}, drawn only on a terminal
 * ({@link System#console()} non-null): a redirected or piped run gets the summary lines alone. Redraws at most
 * every 100 ms.
 */
final class Progress implements AutoCloseable {
    private static final int WIDTH = 30;
    private final PrintStream out;
    private final String label;
    private final long total;
    private final String unit;
    private long done;
    private long drawnAt;

    private Progress(PrintStream out, String label, long total, String unit) {
        this.out = out;
        this.label = label;
        this.total = total;
        this.unit = unit;
    }

    /** A bar for {@code total} units (records, bytes), or one that draws nothing when stdout is not a terminal. */
    static Progress start(String label, long total, String unit) {
        return new Progress(System.console() != null ? System.err : null, label, total, unit);
    }

    void advance(long n) {
        done += n;
        long now = System.nanoTime();
        if (out != null && now - drawnAt > 100_000_000L) {
            drawnAt = now;
            draw();
        }
    }

    private void draw() {
        double f = total <= 0 ? 1 : Math.min(1, (double) done / total);
        int filled = (int) Math.round(f * WIDTH);
        out.print("\r" + label + " [" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] "
                + Math.round(f * 100) + "% " + done + "/" + total + " " + unit);
        out.flush();
    }

    @Override
    public void close() {
        if (out != null) {
            draw();
            out.println();
        }
    }
}
