package io.shardkv.client;

import io.shardkv.common.Limits;
import io.shardkv.kv.proto.WriteSession;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * Numbers this client's writes for exactly-once (Raft thesis 6.3). Each write takes the next
 * sequence when it starts and keeps it across retries; {@code first_incomplete} is the lowest
 * sequence still outstanding, so writes that finish out of order never let the servers drop
 * a reply a retry may still ask for.
 */
final class WriteSequencer {
    private final long clientId;
    // Invariant: every element is < nextSequence; the set holds the writes not yet finished.
    private final TreeSet<Long> outstanding = new TreeSet<>();
    private long nextSequence = 1;
    /** Writes waiting for room in the window, in arrival order. */
    private final ArrayDeque<CompletableFuture<Long>> waiting = new ArrayDeque<>();

    WriteSequencer(long clientId) {
        if (clientId == 0) {
            throw new IllegalArgumentException("client id 0 is reserved");
        }
        this.clientId = clientId;
    }

    static WriteSequencer withRandomId() {
        SecureRandom random = new SecureRandom();
        long id;
        do {
            id = random.nextLong();
        } while (id == 0);
        return new WriteSequencer(id);
    }

    long clientId() {
        return clientId;
    }

    /**
     * A sequence for a new write, at once while the window has room, else once earlier writes
     * finish. The window is what a group stores replies for: every sequence from
     * {@code first_incomplete} on, finished or not, at most {@link Limits#MAX_OUTSTANDING_WRITES}.
     * Counting only unfinished writes would let one slow write (a group electing a leader) and
     * fast writes to other groups overfill it, and the groups would refuse those writes. A caller
     * that stops waiting completes the future itself; a sequence granted to it is released.
     */
    CompletableFuture<Long> begin() {
        synchronized (this) {
            if (waiting.isEmpty() && hasRoom()) {
                return CompletableFuture.completedFuture(take());
            }
            CompletableFuture<Long> granted = new CompletableFuture<>();
            waiting.add(granted);
            return granted;
        }
    }

    private boolean hasRoom() {
        return nextSequence - firstIncomplete() < Limits.MAX_OUTSTANDING_WRITES;
    }

    private long take() {
        long sequence = nextSequence++;
        outstanding.add(sequence);
        return sequence;
    }

    /** The write got its reply, or was given up on (it will never be retried). */
    void finish(long sequence) {
        List<CompletableFuture<Long>> granted = new ArrayList<>();
        List<Long> sequences = new ArrayList<>();
        synchronized (this) {
            outstanding.remove(sequence);
            while (!waiting.isEmpty() && hasRoom()) {
                CompletableFuture<Long> next = waiting.poll();
                if (!next.isDone()) {
                    granted.add(next);
                    sequences.add(take());
                }
            }
        }
        for (int i = 0; i < granted.size(); i++) {
            if (!granted.get(i).complete(sequences.get(i))) {
                finish(sequences.get(i)); // its caller stopped waiting meanwhile
            }
        }
    }

    synchronized int waitingCount() {
        return waiting.size();
    }

    synchronized long firstIncomplete() {
        return outstanding.isEmpty() ? nextSequence : outstanding.first();
    }

    synchronized int outstandingCount() {
        return outstanding.size();
    }

    /** The session to send with an attempt of {@code sequence}, with the current low mark. */
    WriteSession session(long sequence) {
        return WriteSession.newBuilder()
                .setClientId(clientId)
                .setSequence(sequence)
                .setFirstIncomplete(firstIncomplete())
                .build();
    }
}
