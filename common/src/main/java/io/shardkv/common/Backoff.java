package io.shardkv.common;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with jitter, for client retries and server redials alike: retry n (from
 * 0) waits a random time in [cap/2, cap] where cap = min(max, initial * 2^n). The random half
 * spreads those that failed together so they do not retry together; the fixed half keeps the
 * growth.
 */
public final class Backoff {
    private final long initialMillis;
    private final long maxMillis;
    private final DoubleSupplier random;

    /** @param random values in [0, 1), e.g. {@code () -> ThreadLocalRandom.current().nextDouble()} */
    public Backoff(Duration initial, Duration max, DoubleSupplier random) {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < initial <= max, got " + initial + ", " + max);
        }
        this.initialMillis = initial.toMillis();
        this.maxMillis = max.toMillis();
        this.random = random;
    }

    /** Milliseconds to wait before retry number {@code retry} (0 for the first retry). */
    public long delayMillis(int retry) {
        long cap = maxMillis;
        // Shift only while it cannot overflow; past that the cap is max anyway.
        if (retry >= 0 && retry < 30) {
            cap = Math.min(maxMillis, initialMillis << retry);
        }
        long half = cap / 2;
        return Math.min(cap, half + (long) (random.getAsDouble() * (cap - half + 1)));
    }

    public long maxMillis() {
        return maxMillis;
    }
}
