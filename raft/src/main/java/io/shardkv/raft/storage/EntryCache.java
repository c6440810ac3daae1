package io.shardkv.raft.storage;

import io.shardkv.raft.core.Entry;
import java.util.List;

/**
 * The most recent entries of one group, kept in memory in front of RocksDB: followers catching
 * up and the apply path read entries that were appended moments ago, and should not pay a disk
 * read for them.
 *
 * <p>Invariant: when non-empty, the cache holds the contiguous range {@code [firstIndex(),
 * lastIndex]} of the group's durable log (it always ends at the group's last index) and every
 * entry equals the one on disk. The group's owner changes it only after a successful write;
 * eviction removes entries from the front, from any thread.
 *
 * <p>Bounded twice: by {@code maxBytes} for this group, and by the shared {@link
 * EntryCacheBudget} that the engine enforces across groups. Sizes count payload bytes plus
 * {@link #ENTRY_OVERHEAD_BYTES} per entry, so many empty entries still count.
 *
 * <p>Thread-safe: every method holds this cache's monitor, briefly, and never does I/O under it.
 */
final class EntryCache {
    /** A rough per-entry cost of the Entry object, its array header and the ring slot. */
    static final long ENTRY_OVERHEAD_BYTES = 64;

    private final long maxBytes;
    private final EntryCacheBudget budget;
    /** A ring buffer: entry {@code i} of the cache is at {@code ring[(head + i) % ring.length]}. */
    private Entry[] ring = new Entry[16];
    private int head;
    private int size;
    /** Invariant: the sum of {@link #cost(Entry)} over the cached entries. */
    private long bytes;

    EntryCache(long maxBytes, EntryCacheBudget budget) {
        this.maxBytes = maxBytes;
        this.budget = budget;
    }

    static long cost(Entry e) {
        return e.payloadBytes() + ENTRY_OVERHEAD_BYTES;
    }

    /** Index of the first cached entry, or -1 when the cache is empty. */
    synchronized long firstIndex() {
        return size == 0 ? -1 : at(0).index();
    }

    synchronized int size() {
        return size;
    }

    synchronized long sizeBytes() {
        return bytes;
    }

    /**
     * Records entries just made durable, which replaced any stored entries from their first index
     * on. Keeps only the newest entries that fit in {@code maxBytes}.
     */
    synchronized void append(List<Entry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        int from = entries.size();
        long fitting = 0;
        while (from > 0 && fitting + cost(entries.get(from - 1)) <= maxBytes) {
            from--;
            fitting += cost(entries.get(from));
        }
        long first = entries.get(0).index();
        if (from > 0 || size == 0 || first < at(0).index() || first > at(0).index() + size) {
            // Either not all new entries fit, or they do not continue the cached range: what stays
            // must still end at the last index, so start over from the new entries.
            clear();
        } else {
            truncateFrom(first);
        }
        for (int i = from; i < entries.size(); i++) {
            push(entries.get(i));
        }
        evictWhileOver(maxBytes);
    }

    /** Drops entries with index {@code <= index}, after a compaction. */
    synchronized void dropThrough(long index) {
        while (size > 0 && at(0).index() <= index) {
            popFront();
        }
    }

    synchronized void clear() {
        while (size > 0) {
            popFront();
        }
        head = 0;
    }

    /** Evicts the oldest entries until at least {@code wantedBytes} are freed or the cache is empty. */
    synchronized long evictOldest(long wantedBytes) {
        long freed = 0;
        while (size > 0 && freed < wantedBytes) {
            freed += popFront();
        }
        return freed;
    }

    /**
     * Offers cached entries from {@code next} up to {@code hi} (exclusive) to the sink, if
     * {@code next} is cached.
     *
     * @return the index after the last entry taken; {@code next} when nothing was taken
     */
    synchronized long drainInto(long next, long hi, EntrySink sink) {
        if (size == 0) {
            return next;
        }
        long first = at(0).index();
        if (next < first) {
            return next;
        }
        long i = next;
        while (i < hi && i - first < size && sink.offer(at((int) (i - first)))) {
            i++;
        }
        return i;
    }

    /** The term of a cached entry, or -1 when {@code index} is not cached. */
    synchronized long termOrMinusOne(long index) {
        if (size == 0) {
            return -1;
        }
        long offset = index - at(0).index();
        return offset >= 0 && offset < size ? at((int) offset).term() : -1;
    }

    private Entry at(int i) {
        return ring[(head + i) & (ring.length - 1)];
    }

    private void push(Entry e) {
        if (size == ring.length) {
            grow();
        }
        Entry previous = size == 0 ? null : at(size - 1);
        if (previous != null && e.index() != previous.index() + 1) {
            throw new IllegalStateException("cache append of entry " + e.index() + " after " + previous.index());
        }
        ring[(head + size) & (ring.length - 1)] = e;
        size++;
        long c = cost(e);
        bytes += c;
        budget.charge(c);
    }

    private long popFront() {
        Entry e = ring[head];
        ring[head] = null;
        head = (head + 1) & (ring.length - 1);
        size--;
        long c = cost(e);
        bytes -= c;
        budget.release(c);
        return c;
    }

    private void truncateFrom(long index) {
        while (size > 0 && at(size - 1).index() >= index) {
            int slot = (head + size - 1) & (ring.length - 1);
            long c = cost(ring[slot]);
            ring[slot] = null;
            size--;
            bytes -= c;
            budget.release(c);
        }
    }

    private void evictWhileOver(long limitBytes) {
        while (size > 0 && bytes > limitBytes) {
            popFront();
        }
    }

    private void grow() {
        // The ring's length stays a power of two so that slots are found with a mask.
        Entry[] bigger = new Entry[ring.length * 2];
        for (int i = 0; i < size; i++) {
            bigger[i] = at(i);
        }
        ring = bigger;
        head = 0;
    }
}
