package io.shardkv.raft.runtime;

import io.shardkv.raft.core.Entry;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Proposals accepted by this replica as leader, waiting for their entry to be applied. The
 * poller registers them; the apply worker completes them. An entry applied at the same index
 * with a different term means the proposal was overwritten by another leader and never
 * happened, so its caller may safely retry.
 */
final class ProposalTracker {
    private record Pending(long term, CompletableFuture<byte[]> result) {
    }

    private final long groupId;
    private final Map<Long, Pending> byIndex = new ConcurrentHashMap<>();

    ProposalTracker(long groupId) {
        this.groupId = groupId;
    }

    void register(long index, long term, CompletableFuture<byte[]> result) {
        byIndex.put(index, new Pending(term, result));
    }

    void onApplied(Entry entry, byte[] output) {
        Pending p = byIndex.remove(entry.index());
        if (p == null) {
            return;
        }
        if (p.term() == entry.term()) {
            p.result().complete(output);
        } else {
            p.result().completeExceptionally(new RaftRequestException(RaftRequestException.Kind.DROPPED, groupId, 0,
                    "entry " + entry.index() + " of term " + p.term() + " was replaced by term " + entry.term()));
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
            e.getValue().result().completeExceptionally(new RaftRequestException(
                    RaftRequestException.Kind.UNAVAILABLE, groupId, 0, "entry " + e.getKey()
                    + " was overtaken by a snapshot at " + index + "; it may or may not have applied"));
            return true;
        });
    }

    int pendingCount() {
        return byIndex.size();
    }

    void failAll(RaftRequestException cause) {
        byIndex.values().forEach(p -> p.result().completeExceptionally(cause));
        byIndex.clear();
    }
}
