package io.shardkv.client;

import io.shardkv.common.ClientIds;
import io.shardkv.common.Limits;
import io.shardkv.kv.proto.WriteSession;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * Numbers this client's writes for exactly-once (Raft thesis 6.3). Each write takes the next
 * sequence when it starts and keeps it across retries; {@code first_incomplete} is the lowest
 * sequence still outstanding, so writes that finish out of order never let the servers drop
 * a reply a retry may still ask for.
 *
 * <p>Sequences belong to a client id ({@link ClientIds}, stamped with the second it was made).
 * When a group answers SESSION_EXPIRED (it evicted this client's session), {@link #renew}
 * moves new writes to a fresh id stamped after the group's horizon; writes already numbered
 * keep the id they were numbered under.
 */
final class WriteSequencer {
    /** One client id and the writes numbered under it. */
    static final class Epoch {
        final long clientId;
        // Invariant: every element is < nextSequence; the set holds the writes not yet finished.
        private final TreeSet<Long> outstanding = new TreeSet<>();
        private long nextSequence = 1;

        Epoch(long clientId) {
            if (clientId == 0) {
                throw new IllegalArgumentException("client id 0 is reserved");
            }
            this.clientId = clientId;
        }

        private long firstIncomplete() {
            return outstanding.isEmpty() ? nextSequence : outstanding.first();
        }
    }

    /** A write's place: its client id and its sequence under that id. */
    record Ticket(Epoch epoch, long sequence) {
        long clientId() {
            return epoch.clientId;
        }
    }

    private final RandomGenerator random;
    private final LongSupplier nowSeconds;
    private Epoch current;
    /** Writes waiting for room in the window, in arrival order. */
    private final ArrayDeque<CompletableFuture<Ticket>> waiting = new ArrayDeque<>();

    WriteSequencer(long clientId, RandomGenerator random, LongSupplier nowSeconds) {
        this.current = new Epoch(clientId);
        this.random = random;
        this.nowSeconds = nowSeconds;
    }

    WriteSequencer(long clientId) {
        this(clientId, new SecureRandom(), () -> System.currentTimeMillis() / 1000);
    }

    static WriteSequencer withRandomId() {
        SecureRandom random = new SecureRandom();
        LongSupplier now = () -> System.currentTimeMillis() / 1000;
        return new WriteSequencer(ClientIds.newId(now.getAsLong(), 0, random), random, now);
    }

    synchronized long clientId() {
        return current.clientId;
    }

    /**
     * A ticket for a new write, at once while the window has room, else once earlier writes
     * finish. The window is what a group stores replies for: every sequence from
     * {@code first_incomplete} on, finished or not, at most {@link Limits#MAX_OUTSTANDING_WRITES}.
     * Counting only unfinished writes would let one slow write (a group electing a leader) and
     * fast writes to other groups overfill it, and the groups would refuse those writes. A caller
     * that stops waiting completes the future itself; a ticket granted to it is released.
     */
    CompletableFuture<Ticket> begin() {
        synchronized (this) {
            if (waiting.isEmpty() && hasRoom()) {
                return CompletableFuture.completedFuture(take());
            }
            CompletableFuture<Ticket> granted = new CompletableFuture<>();
            waiting.add(granted);
            return granted;
        }
    }

    private boolean hasRoom() {
        return current.nextSequence - current.firstIncomplete() < Limits.MAX_OUTSTANDING_WRITES;
    }

    private Ticket take() {
        long sequence = current.nextSequence++;
        current.outstanding.add(sequence);
        return new Ticket(current, sequence);
    }

    /** The write got its reply, or was given up on (it will never be retried). */
    void finish(Ticket ticket) {
        synchronized (this) {
            ticket.epoch().outstanding.remove(ticket.sequence());
        }
        grantWaiting();
    }

    /**
     * A group has no session for this client any more and names its horizon: new writes take a
     * new client id stamped after it (unless the current one already is).
     */
    void renew(long horizon) {
        synchronized (this) {
            if (ClientIds.stampOf(current.clientId) <= horizon) {
                current = new Epoch(ClientIds.newId(nowSeconds.getAsLong(), horizon, random));
            }
        }
        grantWaiting();
    }

    private void grantWaiting() {
        List<CompletableFuture<Ticket>> granted = new ArrayList<>();
        List<Ticket> tickets = new ArrayList<>();
        synchronized (this) {
            while (!waiting.isEmpty() && hasRoom()) {
                CompletableFuture<Ticket> next = waiting.poll();
                if (!next.isDone()) {
                    granted.add(next);
                    tickets.add(take());
                }
            }
        }
        for (int i = 0; i < granted.size(); i++) {
            if (!granted.get(i).complete(tickets.get(i))) {
                finish(tickets.get(i)); // its caller stopped waiting meanwhile
            }
        }
    }

    synchronized int waitingCount() {
        return waiting.size();
    }

    /** The current id's lowest unfinished sequence. */
    synchronized long firstIncomplete() {
        return current.firstIncomplete();
    }

    synchronized int outstandingCount() {
        return current.outstanding.size();
    }

    /** The session to send with an attempt of {@code ticket}'s write, with its id's current low mark. */
    WriteSession session(Ticket ticket) {
        long firstIncomplete;
        synchronized (this) {
            firstIncomplete = ticket.epoch().firstIncomplete();
        }
        return WriteSession.newBuilder()
                .setClientId(ticket.clientId())
                .setSequence(ticket.sequence())
                .setFirstIncomplete(firstIncomplete)
                .build();
    }
}
