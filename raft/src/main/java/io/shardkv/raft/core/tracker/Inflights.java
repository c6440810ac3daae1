package io.shardkv.raft.core.tracker;

/**
 * The window of append messages sent to one follower and not yet acknowledged, bounded both by
 * message count and by payload bytes. A ring buffer of (last index, bytes) per message.
 */
public final class Inflights {
    private final int maxCount;
    private final long maxBytes;
    private final long[] lastIndexes;
    private final long[] sizes;
    // Invariant: 0 <= count <= maxCount; entries [start, start + count) mod maxCount are in use,
    // with strictly increasing lastIndexes.
    private int start;
    private int count;
    private long bytes;

    public Inflights(int maxCount, long maxBytes) {
        if (maxCount <= 0 || maxBytes <= 0) {
            throw new IllegalArgumentException("inflight bounds must be positive: " + maxCount + ", " + maxBytes);
        }
        this.maxCount = maxCount;
        this.maxBytes = maxBytes;
        this.lastIndexes = new long[maxCount];
        this.sizes = new long[maxCount];
    }

    /** Records a message whose last entry is {@code lastIndex}. */
    public void add(long lastIndex, long messageBytes) {
        if (count == maxCount) {
            throw new IllegalStateException("inflight window full (" + maxCount + ") adding " + lastIndex);
        }
        if (count > 0) {
            long newest = lastIndexes[(start + count - 1) % maxCount];
            if (lastIndex <= newest) {
                throw new IllegalStateException("inflight index " + lastIndex + " not above newest " + newest);
            }
        }
        int slot = (start + count) % maxCount;
        lastIndexes[slot] = lastIndex;
        sizes[slot] = messageBytes;
        count++;
        bytes += messageBytes;
    }

    /** Frees every message whose last index is at or below {@code index}. */
    public void freeLE(long index) {
        while (count > 0 && lastIndexes[start] <= index) {
            bytes -= sizes[start];
            start = (start + 1) % maxCount;
            count--;
        }
        if (count == 0) {
            start = 0;
        }
    }

    /** Frees the oldest message, letting one more through after a heartbeat shows the follower is alive. */
    public void freeFirstOne() {
        if (count > 0) {
            freeLE(lastIndexes[start]);
        }
    }

    /** True when no further message may be sent. The byte bound admits one message past it. */
    public boolean full() {
        return count == maxCount || bytes >= maxBytes;
    }

    public int count() {
        return count;
    }

    public long bytes() {
        return bytes;
    }

    public void reset() {
        start = 0;
        count = 0;
        bytes = 0;
    }
}
