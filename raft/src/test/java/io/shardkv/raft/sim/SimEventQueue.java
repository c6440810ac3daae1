package io.shardkv.raft.sim;

import java.util.Comparator;
import java.util.PriorityQueue;

/**
 * The simulated clock and its agenda: events run one at a time in (time, sequence) order, so two
 * events scheduled for the same instant run in the order they were scheduled. Nothing here reads
 * a wall clock; time only moves when the next event is taken.
 *
 * <p>Time is in abstract units; the Raft simulation uses {@code TICK_UNITS} units per Raft tick so
 * that message delays can be shorter than a tick.
 */
public final class SimEventQueue {

    /**
     * One scheduled event. {@code kind} and {@code node} label it in traces; {@code detail} is
     * printed lazily (only when a trace is shown) and must therefore be immutable;
     * {@code detailDigest} is a stable hash of it that feeds the run's digest.
     */
    public record Event(long time, long seq, String kind, long node, Object detail, long detailDigest,
                        Runnable action) {
    }

    private final PriorityQueue<Event> queue = new PriorityQueue<>(
            Comparator.comparingLong(Event::time).thenComparingLong(Event::seq));
    // Invariant: now is the time of the last event taken, and no queued event is earlier.
    private long now;
    private long nextSeq;

    public long now() {
        return now;
    }

    /** Schedules {@code action} at absolute {@code time}, which must not be in the past. */
    public void at(long time, String kind, long node, Object detail, long detailDigest, Runnable action) {
        if (time < now) {
            throw new IllegalArgumentException("event " + kind + " at " + time + " is before now " + now);
        }
        queue.add(new Event(time, nextSeq++, kind, node, detail, detailDigest, action));
    }

    /** Schedules {@code action} {@code delay} units from now. */
    public void after(long delay, String kind, long node, Runnable action) {
        at(now + delay, kind, node, null, 0, action);
    }

    /** Takes the next event and moves the clock to its time; null when nothing is scheduled. */
    public Event poll() {
        Event e = queue.poll();
        if (e != null) {
            now = e.time();
        }
        return e;
    }

    public boolean isEmpty() {
        return queue.isEmpty();
    }

    public int size() {
        return queue.size();
    }
}
