package io.shardkv.raft.runtime.sim;

import io.shardkv.raft.sim.SimEventQueue;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * What happened in one seed's world (faults, crashes, restarts, violations), stamped with
 * simulated time; the newest lines are kept and printed when the seed fails.
 */
final class SimWorldLog {
    private static final int KEEP = 300;

    private final SimEventQueue queue;
    private final Deque<String> lines = new ArrayDeque<>();
    private final List<String> violations = new ArrayList<>();
    private final java.util.TreeMap<String, Integer> counts = new java.util.TreeMap<>();

    SimWorldLog(SimEventQueue queue) {
        this.queue = queue;
    }

    void note(String what) {
        if (lines.size() == KEEP) {
            lines.removeFirst();
        }
        lines.addLast(String.format("%9.3f s  %s", queue.now() / 1e9, what));
    }

    /** Records a broken invariant; the first one is what the seed reports. */
    void violation(String what) {
        note("VIOLATION " + what);
        if (violations.size() < 20) {
            violations.add(String.format("at %.3f s: %s", queue.now() / 1e9, what));
        }
    }

    /** Counts one more of {@code what} (a kind of fault that took effect, say). */
    void count(String what) {
        counts.merge(what, 1, Integer::sum);
    }

    java.util.Map<String, Integer> counts() {
        return counts;
    }

    List<String> violations() {
        return violations;
    }

    String tail() {
        return String.join("\n", lines);
    }
}
