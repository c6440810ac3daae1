package io.shardkv.chaos;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The run's clock and its account of what it did. Every time in a run (an operation's call and
 * return in the history, a fault's start and end) is microseconds since {@link #origin} on the
 * monotonic clock, so all of them compare, and the history file shows the same numbers as the
 * checker's messages; each line printed carries the seconds since the start.
 * Lines go to standard output and to {@code DIR/events.log}. Thread-safe.
 */
final class EventLog implements AutoCloseable {
    private final long origin = System.nanoTime();
    private final PrintStream out;
    private final Writer file;

    EventLog(PrintStream out, Path file) {
        this.out = out;
        try {
            this.file = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Microseconds since the run started. */
    long nowMicros() {
        return (System.nanoTime() - origin) / 1_000;
    }

    /** {@code 12.3} for 12.3 s. */
    static String seconds(long micros) {
        return String.format(Locale.ROOT, "%.1f", micros / 1e6);
    }

    /** Prints {@code [  12.3s] message}. */
    synchronized void event(String message) {
        line(String.format(Locale.ROOT, "[%7.1fs] %s", nowMicros() / 1e6, message));
    }

    /** Prints {@code message} as it is. */
    synchronized void line(String message) {
        out.println(message);
        out.flush();
        try {
            file.write(message);
            file.write('\n');
            file.flush();
        } catch (IOException e) {
            // The copy on standard output is the one that counts; a full disk must not stop the run.
        }
    }

    @Override
    public synchronized void close() {
        try {
            file.close();
        } catch (IOException e) {
            // Nothing left to write.
        }
    }
}
