package io.shardkv.raft.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The leader's read-index requests waiting for a quorum to confirm its leadership (thesis 6.4).
 * Each request remembers the commit index when it arrived; a heartbeat round tagged with the
 * newest request's round tag confirms that request and every older one, since the round was
 * sent after all of them arrived.
 *
 * <p>Request ids are chosen by each replica on its own, so two replicas may use the same id at
 * once: a request is identified by (origin, request id), and heartbeat rounds carry a tag the
 * leader assigns, unique within its term.
 */
final class ReadIndexQueue {
    /** A pending read: who asked, and the commit index it must wait for. */
    record Request(long requestId, long index, long from, long tag, Set<Long> acks) {
    }

    private record Key(long from, long requestId) {
    }

    // Keyed by tag; insertion order is arrival order and tags increase with it. advance() relies on it.
    private final LinkedHashMap<Long, Request> pending = new LinkedHashMap<>();
    private final Map<Key, Long> tagOf = new HashMap<>();
    private final int maxPending;
    private long lastTag;

    ReadIndexQueue(int maxPending) {
        this.maxPending = maxPending;
    }

    /**
     * Queues a request and returns the tag of its heartbeat round. The caller first checks that the
     * request is not already pending ({@link #isPending}) and that the queue is not full
     * ({@link #isFull}).
     */
    long add(long requestId, long index, long from) {
        Key key = new Key(from, requestId);
        if (tagOf.containsKey(key)) {
            throw new IllegalStateException("read " + requestId + " of " + from + " is already pending");
        }
        if (isFull()) {
            throw new IllegalStateException("read queue full: " + pending.size() + " pending");
        }
        long tag = ++lastTag;
        pending.put(tag, new Request(requestId, index, from, tag, new HashSet<>()));
        tagOf.put(key, tag);
        return tag;
    }

    /** Records {@code voter}'s confirmation of the round tagged {@code tag}; null if unknown. */
    Set<Long> ack(long voter, long tag) {
        Request r = pending.get(tag);
        if (r == null) {
            return null;
        }
        r.acks().add(voter);
        return r.acks();
    }

    /** Removes and returns the request tagged {@code tag} and every request that arrived before it. */
    List<Request> advance(long tag) {
        if (!pending.containsKey(tag)) {
            return List.of();
        }
        List<Request> done = new ArrayList<>();
        Iterator<Map.Entry<Long, Request>> it = pending.entrySet().iterator();
        while (it.hasNext()) {
            Request r = it.next().getValue();
            it.remove();
            tagOf.remove(new Key(r.from(), r.requestId()));
            done.add(r);
            if (r.tag() == tag) {
                break;
            }
        }
        return done;
    }

    /** The tag of the newest pending request, to tag the next heartbeat round; 0 when none. */
    long newestTag() {
        return pending.isEmpty() ? 0 : lastTag;
    }

    /** Whether request {@code requestId} of replica {@code from} is waiting for its round. */
    boolean isPending(long from, long requestId) {
        return tagOf.containsKey(new Key(from, requestId));
    }

    /** Whether the queue holds as many requests as it keeps: {@link #add} takes no more. */
    boolean isFull() {
        return pending.size() >= maxPending;
    }

    boolean isEmpty() {
        return pending.isEmpty();
    }

    int size() {
        return pending.size();
    }
}
