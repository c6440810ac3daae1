package io.shardkv.raft.storage;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The server-wide bound on memory held by all groups' entry caches. Caches charge and release
 * bytes here; the engine evicts from caches when the total is over {@code maxBytes}.
 */
final class EntryCacheBudget {
    private final long maxBytes;
    /** Invariant: the sum of {@link EntryCache#sizeBytes()} over all live caches. */
    private final AtomicLong usedBytes = new AtomicLong();

    EntryCacheBudget(long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes " + maxBytes + " is negative");
        }
        this.maxBytes = maxBytes;
    }

    void charge(long bytes) {
        usedBytes.addAndGet(bytes);
    }

    void release(long bytes) {
        long now = usedBytes.addAndGet(-bytes);
        if (now < 0) {
            throw new IllegalStateException("entry cache budget went negative: " + now + " after releasing " + bytes);
        }
    }

    /** How many bytes must be evicted to get back within the bound; 0 or less when within it. */
    long overBytes() {
        return usedBytes.get() - maxBytes;
    }

    long usedBytes() {
        return usedBytes.get();
    }

    long maxBytes() {
        return maxBytes;
    }
}
