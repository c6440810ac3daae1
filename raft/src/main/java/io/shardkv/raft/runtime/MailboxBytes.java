package io.shardkv.raft.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.shardkv.raft.core.Entry;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the bytes waiting in mailboxes (appended entries from leaders, proposed commands), per
 * group and for the whole server, on top of the mailboxes' count bound: a count alone lets 4,096
 * one-MiB appends sit in one group's mailbox. Beyond either bound an input is refused like one
 * arriving at a full mailbox (a message is dropped and resent by Raft, a proposal gets
 * SERVER_BUSY).
 */
final class MailboxBytes {
    /** What an input with no payload of note counts for. */
    private static final long OVERHEAD = 64;

    private final long maxPerGroup;
    private final long maxTotal;
    private final AtomicLong total = new AtomicLong();
    private final Counter refused;

    MailboxBytes(long maxPerGroup, long maxTotal, MeterRegistry registry) {
        this.maxPerGroup = maxPerGroup;
        this.maxTotal = maxTotal;
        Gauge.builder("raft.mailbox.bytes", total, AtomicLong::get)
                .description("bytes of appends and proposals waiting in the groups' mailboxes").register(registry);
        refused = Counter.builder("raft.mailbox.refused").tag("reason", "bytes")
                .description("inputs refused because the mailboxes held too many bytes").register(registry);
    }

    /** A quarter of the heap, between 32 MiB and 1 GiB, for all groups; at most 64 MiB for one. */
    static MailboxBytes forHeap(long maxHeapBytes, MeterRegistry registry) {
        long totalBound = Math.max(32L << 20, Math.min(1L << 30, maxHeapBytes / 4));
        return new MailboxBytes(Math.min(64L << 20, totalBound), totalBound, registry);
    }

    static long weigh(PeerInput input) {
        if (input instanceof PeerInput.Step s) {
            long n = OVERHEAD;
            for (Entry e : s.message().entries()) {
                n += e.payloadBytes();
            }
            return n;
        }
        if (input instanceof PeerInput.Propose p) {
            return OVERHEAD + p.command().length;
        }
        return 0;
    }

    /** Takes room for {@code bytes} in {@code peer}'s mailbox; false (nothing taken) when over a bound. */
    boolean tryAcquire(GroupPeer peer, long bytes) {
        if (bytes == 0) {
            return true;
        }
        if (peer.mailboxBytes.addAndGet(bytes) > maxPerGroup && peer.mailboxBytes.get() != bytes) {
            peer.mailboxBytes.addAndGet(-bytes);
            refused.increment();
            return false;
        }
        if (total.addAndGet(bytes) > maxTotal && total.get() != bytes) {
            total.addAndGet(-bytes);
            peer.mailboxBytes.addAndGet(-bytes);
            refused.increment();
            return false;
        }
        return true;
    }

    void release(GroupPeer peer, long bytes) {
        if (bytes != 0) {
            peer.mailboxBytes.addAndGet(-bytes);
            total.addAndGet(-bytes);
        }
    }

    long totalBytes() {
        return total.get();
    }
}
