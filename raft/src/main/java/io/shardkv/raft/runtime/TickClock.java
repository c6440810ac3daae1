package io.shardkv.raft.runtime;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Raft time for every group of a server: whole ticks elapsed on a monotonic clock.
 *
 * <p>Groups are ticked by this count, not by how many tick events reached them. Tick events are
 * only a wake-up: one is skipped when a group's mailbox is full, and none arrive while the whole
 * process is paused (a long GC, SIGSTOP, a frozen VM). A leader that counted events would then
 * think less time had passed than did, and keep serving lease reads after its followers had
 * elected someone else. Counting clock ticks, a leader coming back from a pause first runs the
 * ticks it missed, which ends its lease and, through CheckQuorum, its leadership.
 */
final class TickClock {
    private final LongSupplier nanoTime;
    private final long startNanos;
    private final long tickNanos;

    /** @param nanoTime a monotonic clock in nanoseconds ({@code System::nanoTime} on servers) */
    TickClock(long tickMillis, LongSupplier nanoTime) {
        if (tickMillis <= 0) {
            throw new IllegalArgumentException("tickMillis must be positive, got " + tickMillis);
        }
        this.nanoTime = nanoTime;
        this.startNanos = nanoTime.getAsLong();
        this.tickNanos = TimeUnit.MILLISECONDS.toNanos(tickMillis);
    }

    /** Ticks elapsed since this clock was made. */
    long now() {
        return (nanoTime.getAsLong() - startNanos) / tickNanos;
    }
}
