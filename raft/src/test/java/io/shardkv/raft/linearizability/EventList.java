package io.shardkv.raft.linearizability;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The call and return events of one partition in time order, as a doubly linked list.
 *
 * <p>Linearizing an operation "lifts" its two events out of the list; backtracking "unlifts" them.
 * Unlinked nodes keep their own {@code prev}/{@code next} pointers, so restoring them in the
 * reverse order of removal (which a depth-first search does naturally) puts them back exactly
 * where they were, in O(1).
 */
final class EventList {

    /** One call or return event. A call node points at its matching return node. */
    static final class Event {
        final int op;
        final long time;
        final boolean isCall;
        Event match;
        Event prev;
        Event next;

        Event(int op, long time, boolean isCall) {
            this.op = op;
            this.time = time;
            this.isCall = isCall;
        }
    }

    /**
     * Sort order of events. Ties on time put calls before returns: an operation called at the
     * instant another returns is then treated as overlapping it, so the checker never assumes a
     * real-time order that the timestamps do not establish. This is the conservative choice: it can
     * hide a violation that depends on the order of events within one instant, but it never reports
     * a violation that did not happen. The operation index breaks remaining ties, keeping the
     * search (and therefore its step count) deterministic.
     */
    private static final Comparator<Event> ORDER = Comparator
            .comparingLong((Event e) -> e.time)
            .thenComparing(e -> !e.isCall)
            .thenComparingInt(e -> e.op);

    private final Event head = new Event(-1, Long.MIN_VALUE, false);

    EventList(List<? extends Operation<?, ?>> ops) {
        List<Event> events = new ArrayList<>(2 * ops.size());
        for (int i = 0; i < ops.size(); i++) {
            Operation<?, ?> op = ops.get(i);
            Event call = new Event(i, op.callTime(), true);
            Event ret = new Event(i, op.returnTime(), false);
            call.match = ret;
            events.add(call);
            events.add(ret);
        }
        events.sort(ORDER);
        Event last = head;
        for (Event e : events) {
            last.next = e;
            e.prev = last;
            last = e;
        }
    }

    /** First event still in the list, or null if every operation has been lifted. */
    Event first() {
        return head.next;
    }

    /** Removes a call event and its return event. */
    void lift(Event call) {
        unlink(call);
        unlink(call.match);
    }

    /** Undoes the most recent {@link #lift} that has not been undone yet. */
    void unlift(Event call) {
        relink(call.match);
        relink(call);
    }

    private static void unlink(Event e) {
        e.prev.next = e.next;
        if (e.next != null) {
            e.next.prev = e.prev;
        }
    }

    private static void relink(Event e) {
        e.prev.next = e;
        if (e.next != null) {
            e.next.prev = e;
        }
    }
}
