package io.shardkv.raft.runtime;

import io.shardkv.raft.core.Entry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Proposals accepted by this replica as leader, waiting for their entry to be applied. The
 * poller registers them; the apply worker completes them. An entry applied at the same index
 * with a different term means the proposal was overwritten by another leader and never
 * happened, so its caller may safely retry.
 *
 * <p>It also times the three stages of a proposal's life here, so that an operator can see where
 * a slow write spends its time: waiting in the mailbox for the poller ({@link Stage#QUEUE}), being
 * replicated and made durable on a quorum ({@link Stage#COMMIT}), and waiting for and running its
 * apply ({@link Stage#APPLY}).
 */
final class ProposalTracker {
    /** The stages of a proposal, in order. */
    enum Stage {
        QUEUE, COMMIT, APPLY
    }

    /** Hears how long each stage of a proposal took. */
    interface StageTimes {
        void record(Stage stage, long nanos);
    }

    private static final class Pending {
        final long term;
        final CompletableFuture<byte[]> result;
        final long proposedNanos;
        /** Set by the poller when the entry commits; read by the apply worker, which got the entry after that. */
        volatile long committedNanos;

        Pending(long term, CompletableFuture<byte[]> result, long proposedNanos) {
            this.term = term;
            this.result = result;
            this.proposedNanos = proposedNanos;
        }
    }

    private final long groupId;
    private final StageTimes times;
    private final Map<Long, Pending> byIndex = new ConcurrentHashMap<>();

    ProposalTracker(long groupId, StageTimes times) {
        this.groupId = groupId;
        this.times = times;
    }

    /**
     * A proposal the core accepted at {@code index}: it waits for the entry. {@code queuedNanos}
     * is when it was handed to the group, {@code nowNanos} when the poller proposed it.
     */
    void register(long index, long term, CompletableFuture<byte[]> result, long queuedNanos, long nowNanos) {
        times.record(Stage.QUEUE, nowNanos - queuedNanos);
        byIndex.put(index, new Pending(term, result, nowNanos));
    }

    /** Entries the core just handed out as committed (called by the poller, before they are applied). */
    void onCommitted(List<Entry> committed, long nowNanos) {
        if (byIndex.isEmpty()) {
            return; // a follower, or a leader whose entries were all someone else's
        }
        for (Entry e : committed) {
            Pending p = byIndex.get(e.index());
            if (p != null && p.term == e.term() && p.committedNanos == 0) {
                p.committedNanos = nowNanos;
                times.record(Stage.COMMIT, nowNanos - p.proposedNanos);
            }
        }
    }

    void onApplied(Entry entry, byte[] output, long nowNanos) {
        Pending p = byIndex.remove(entry.index());
        if (p == null) {
            return;
        }
        long committed = p.committedNanos;
        if (committed != 0) {
            times.record(Stage.APPLY, nowNanos - committed);
        }
        if (p.term == entry.term()) {
            p.result.complete(output);
        } else {
            p.result.completeExceptionally(new RaftRequestException(RaftRequestException.Kind.DROPPED, groupId, 0,
                    "entry " + entry.index() + " of term " + p.term + " was replaced by term " + entry.term()));
        }
    }

    /**
     * A snapshot up to {@code index} replaced the state machine: entries at or below it will not
     * be applied here one by one, so their proposals end with an unknown outcome (what they
     * proposed may or may not be in the snapshot) instead of waiting for ever.
     */
    void onRestored(long index) {
        byIndex.entrySet().removeIf(e -> {
            if (e.getKey() > index) {
                return false;
            }
            e.getValue().result.completeExceptionally(new RaftRequestException(
                    RaftRequestException.Kind.UNAVAILABLE, groupId, 0, "entry " + e.getKey()
                    + " was overtaken by a snapshot at " + index + "; it may or may not have applied"));
            return true;
        });
    }

    int pendingCount() {
        return byIndex.size();
    }

    void failAll(RaftRequestException cause) {
        byIndex.values().forEach(p -> p.result.completeExceptionally(cause));
        byIndex.clear();
    }
}
