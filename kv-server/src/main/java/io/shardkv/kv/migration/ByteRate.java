package io.shardkv.kv.migration;

import java.util.concurrent.TimeUnit;

/**
 * A byte-rate throttle shared by a server's importers, so slot migrations leave the disk and
 * network to client traffic (DESIGN 5). A simple debt clock: each acquire books its bytes after
 * the previous ones and sleeps until the booking's start is no longer in the future. 0 means no
 * limit. Thread-safe.
 */
final class ByteRate {
    private final long bytesPerSecond;
    private long nextFreeNanos;

    ByteRate(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
    }

    void acquire(long bytes) throws InterruptedException {
        if (bytesPerSecond <= 0) {
            return;
        }
        long waitNanos;
        synchronized (this) {
            long now = System.nanoTime();
            long start = Math.max(now, nextFreeNanos);
            nextFreeNanos = start + bytes * 1_000_000_000L / bytesPerSecond;
            waitNanos = start - now;
        }
        if (waitNanos > 0) {
            TimeUnit.NANOSECONDS.sleep(waitNanos);
        }
    }
}
