package io.shardkv.raft.runtime;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of committed entries a server has handed to its appliers and that are not applied
 * yet, all groups together. Over the bound, a group that still has a backlog of its own is
 * handed no more entries (see {@code RawNode.pauseApply}); a group with none always gets some,
 * so every group keeps moving and the total stays within the bound plus one Ready per group.
 */
final class ApplyBacklog {
    private final long maxBytes;
    private final AtomicLong bytes = new AtomicLong();

    ApplyBacklog(long maxBytes, MeterRegistry registry) {
        this.maxBytes = maxBytes;
        Gauge.builder("raft.apply.backlog.bytes", bytes, AtomicLong::get)
                .description("committed entries handed to the appliers and not applied yet").register(registry);
    }

    void add(long n) {
        bytes.addAndGet(n);
    }

    void remove(long n) {
        bytes.addAndGet(-n);
    }

    /** Whether a group whose own backlog is {@code groupBytes} must wait before it gets more. */
    boolean mustWait(long groupBytes) {
        return groupBytes > 0 && bytes.get() >= maxBytes;
    }

    long bytes() {
        return bytes.get();
    }

    /** What an entry counts for: its data and a fixed overhead for the objects around it. */
    static long weigh(java.util.List<io.shardkv.raft.core.Entry> entries) {
        long n = 0;
        for (io.shardkv.raft.core.Entry e : entries) {
            n += 64 + e.data().length;
        }
        return n;
    }
}
