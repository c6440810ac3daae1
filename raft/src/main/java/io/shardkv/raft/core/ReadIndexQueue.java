package io.shardkv.raft.core;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The leader's read-index requests waiting for a quorum to confirm its leadership (thesis 6.4).
 * Each request remembers the commit index when it arrived; a heartbeat round tagged with the
 * newest request id confirms that request and every older one, since the round was sent after
 * all of them arrived.
 */
final class ReadIndexQueue {
    /** A pending read: who asked, and the commit index it must wait for. */
    record Request(long requestId, long index, long from, Set<Long> acks) {
    }

    // Insertion order is arrival order; advance() relies on it.
    private final LinkedHashMap<Long, Request> pending = new LinkedHashMap<>();
    private final int maxPending;

    ReadIndexQueue(int maxPending) {
        this.maxPending = maxPending;
    }

    /** Returns false when the request id is already pending or the queue is full. */
    boolean add(long requestId, long index, long from) {
        if (pending.containsKey(requestId) || pending.size() >= maxPending) {
            return false;
        }
        pending.put(requestId, new Request(requestId, index, from, new HashSet<>()));
        return true;
    }

    /** Records {@code voter}'s confirmation of the round for {@code requestId}; null if unknown. */
    Set<Long> ack(long voter, long requestId) {
        Request r = pending.get(requestId);
        if (r == null) {
            return null;
        }
        r.acks().add(voter);
        return r.acks();
    }

    /** Removes and returns {@code requestId} and every request that arrived before it. */
    List<Request> advance(long requestId) {
        if (!pending.containsKey(requestId)) {
            return List.of();
        }
        List<Request> done = new ArrayList<>();
        Iterator<Map.Entry<Long, Request>> it = pending.entrySet().iterator();
        while (it.hasNext()) {
            Request r = it.next().getValue();
            it.remove();
            done.add(r);
            if (r.requestId() == requestId) {
                break;
            }
        }
        return done;
    }

    /** The newest pending request id, to tag the next heartbeat round; 0 when none. */
    long newestRequestId() {
        long newest = 0;
        for (long id : pending.keySet()) {
            newest = id;
        }
        return newest;
    }

    boolean isEmpty() {
        return pending.isEmpty();
    }

    int size() {
        return pending.size();
    }
}
