package io.shardkv.raft.storage;

import io.shardkv.raft.core.Entry;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects entries for {@code entries(lo, hi, maxBytes)} across the cache and the disk: it takes
 * the first entry whatever its size and further entries while their payload bytes stay within
 * {@code maxBytes}, the same rule as {@code MemoryLogStorage}.
 */
final class EntrySink {
    private final List<Entry> entries = new ArrayList<>();
    private final long maxBytes;
    private long bytes;
    private boolean full;

    EntrySink(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** Adds {@code e} if it fits; once one does not, the sink is full and takes nothing more. */
    boolean offer(Entry e) {
        if (full) {
            return false;
        }
        if (!entries.isEmpty() && bytes + e.payloadBytes() > maxBytes) {
            full = true;
            return false;
        }
        bytes += e.payloadBytes();
        entries.add(e);
        return true;
    }

    boolean isFull() {
        return full;
    }

    List<Entry> entries() {
        return entries;
    }
}
