package io.shardkv.client;

import io.shardkv.kv.proto.WriteSession;
import java.security.SecureRandom;
import java.util.TreeSet;

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
     * Takes a sequence for a new write; it stays outstanding until {@link #finish}. Fails
     * with INVALID_ARGUMENT when {@link Limits#MAX_OUTSTANDING_WRITES} are outstanding, as
     * the group would (it keeps only that many replies per client).
     */
    synchronized long begin() {
        if (outstanding.size() >= Limits.MAX_OUTSTANDING_WRITES) {
            throw KvException.invalidArgument("too many outstanding writes");
        }
        long sequence = nextSequence++;
        outstanding.add(sequence);
        return sequence;
    }

    /** The write got its reply, or was given up on (it will never be retried). */
    synchronized void finish(long sequence) {
        outstanding.remove(sequence);
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
