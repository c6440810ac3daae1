package io.shardkv.raft.runtime;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of committed entries a server has handed to its appliers and that are not applied
 * yet, all groups together. A group is handed at most what is left of the bound (see {@code
 * RawNode.setApplyBudget}); a group with no backlog of its own always gets at least one entry,
 * so every group keeps moving and the total stays within the bound plus one entry per group.
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

    /**
     * The bytes of committed entries a group whose own backlog is {@code groupBytes} may be handed
     * now: what is left of the bound, and at least one entry's worth when it has no backlog.
     */
    long budgetFor(long groupBytes) {
        long left = Math.max(0, maxBytes - bytes.get());
        return groupBytes == 0 ? Math.max(1, left) : left;
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
