package io.shardkv.raft.sim;

import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * What happened in one run: a bounded tail of trace lines for failure reports, optionally every
 * line printed as it happens (replay of one seed), and a digest of everything so two runs of the
 * same seed can be compared exactly.
 *
 * <p>Lines are kept as (time, kind, node, detail) and formatted only when shown, because most runs
 * never show them and formatting every event would dominate the cost of a run.
 */
public final class SimTrace {
    private record Line(long time, String kind, long node, Object detail) {
        @Override
        public String toString() {
            return String.format("%7d %-14s n%-2d %s", time, kind, node, detail == null ? "" : detail);
        }
    }

    private final int tailLength;
    private final ArrayDeque<Line> tail;
    private final PrintStream verbose;
    private long digest = 0xcbf29ce484222325L;
    private long lines;

    /**
     * @param tailLength how many recent lines to keep for a failure report
     * @param verbose    where to print every line as it is recorded, or null
     */
    public SimTrace(int tailLength, PrintStream verbose) {
        this.tailLength = tailLength;
        this.tail = new ArrayDeque<>(tailLength);
        this.verbose = verbose;
    }

    /**
     * Records a line. {@code detail} must be immutable (it is formatted later); {@code detailDigest}
     * must be a stable hash of it (never an identity hash) so that digests are reproducible.
     */
    public void record(long time, String kind, long node, Object detail, long detailDigest) {
        lines++;
        digest = mix(digest, time);
        digest = mix(digest, kind.hashCode());
        digest = mix(digest, node);
        digest = mix(digest, detailDigest);
        Line line = new Line(time, kind, node, detail);
        if (tail.size() == tailLength) {
            tail.removeFirst();
        }
        tail.addLast(line);
        if (verbose != null) {
            verbose.println(line);
        }
    }

    /** A free-form note; its text feeds the digest. */
    public void note(long time, String kind, long node, String text) {
        record(time, kind, node, text, text.hashCode());
    }

    /** Folds a value into the digest without a trace line (end-of-run state, for instance). */
    public void fold(long value) {
        digest = mix(digest, value);
    }

    public long digest() {
        return digest;
    }

    public long lineCount() {
        return lines;
    }

    /** The most recent lines, oldest first. */
    public List<String> tail() {
        List<String> out = new ArrayList<>(tail.size());
        for (Line l : tail) {
            out.add(l.toString());
        }
        return out;
    }

    /** A 64-bit mixing step (splitmix64 finalizer over the running value). */
    public static long mix(long h, long v) {
        long z = h ^ (v + 0x9e3779b97f4a7c15L + (h << 6) + (h >>> 2));
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** A stable 64-bit hash of a byte array. */
    public static long hash(byte[] data) {
        long h = 0x84222325cbf29ce4L ^ data.length;
        for (byte b : data) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return mix(h, data.length);
    }
}
