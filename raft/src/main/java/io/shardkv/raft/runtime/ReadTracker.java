package io.shardkv.raft.runtime;

import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Linearizable reads of one group in their two waits: first for the leader to confirm a read
 * index (keyed by request id), then for the local state machine to apply up to that index.
 * A read whose caller gave up is forgotten when its future completes.
 */
final class ReadTracker {
    private record Waiting(long index, CompletableFuture<Long> result) {
    }

    private final Map<Long, CompletableFuture<Long>> awaitingIndex = new ConcurrentHashMap<>();
    // Guarded by this; ordered by index so one applied index releases a prefix.
    private final PriorityQueue<Waiting> awaitingApply = new PriorityQueue<>((a, b) -> Long.compare(a.index, b.index));
    /**
     * The highest applied index {@link #onApplied} has announced; guarded by this. A read is
     * checked against it under the same lock it is queued under, so an apply that finishes
     * between the poller's look at the applied index and the queueing cannot be missed.
     */
    private long announcedApplied;

    void register(long requestId, CompletableFuture<Long> result) {
        awaitingIndex.put(requestId, result);
        result.whenComplete((v, e) -> awaitingIndex.remove(requestId));
    }

    void forget(long requestId) {
        awaitingIndex.remove(requestId);
    }

    /** The leader confirmed {@code index} for {@code requestId}; wait for the apply of it. */
    void onReadIndex(long requestId, long index, long appliedIndex) {
        CompletableFuture<Long> result = awaitingIndex.remove(requestId);
        if (result == null) {
            return;
        }
        boolean applied;
        synchronized (this) {
            applied = index <= Math.max(appliedIndex, announcedApplied);
            if (!applied) {
                awaitingApply.add(new Waiting(index, result));
            }
        }
        if (applied) {
            result.complete(index);
        }
    }

    /** Called after applying up to {@code appliedIndex}: releases every read at or below it. */
    void onApplied(long appliedIndex) {
        synchronized (this) {
            announcedApplied = Math.max(announcedApplied, appliedIndex);
        }
        while (true) {
            Waiting w;
            synchronized (this) {
                w = awaitingApply.peek();
                if (w == null || w.index > appliedIndex) {
                    return;
                }
                awaitingApply.poll();
            }
            w.result.complete(w.index);
        }
    }

    void failAll(RaftRequestException cause) {
        awaitingIndex.values().forEach(f -> f.completeExceptionally(cause));
        awaitingIndex.clear();
        synchronized (this) {
            awaitingApply.forEach(w -> w.result.completeExceptionally(cause));
            awaitingApply.clear();
        }
    }
}
