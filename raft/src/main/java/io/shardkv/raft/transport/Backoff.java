package io.shardkv.raft.transport;

import java.util.function.DoubleSupplier;

/**
 * Exponential reconnect backoff with jitter: attempt n waits a random time in
 * [d/2, d] where d = min(maxMillis, minMillis * 2^n). The jitter keeps the servers of a
 * cluster that lost the same peer from redialing it in lockstep.
 *
 * @param minMillis delay before the first retry (before jitter)
 * @param maxMillis bound of every delay
 */
record Backoff(long minMillis, long maxMillis) {

    Backoff {
        if (minMillis <= 0 || maxMillis < minMillis) {
            throw new IllegalArgumentException("need 0 < minMillis <= maxMillis, got " + minMillis + " and "
                    + maxMillis);
        }
    }

    /**
     * The delay before retry number {@code attempt} (0 for the first retry).
     *
     * @param random a source of values in [0, 1)
     */
    long delayMillis(int attempt, DoubleSupplier random) {
        long ceiling = maxMillis;
        // Past 2^40 any sane minimum has long reached the maximum; the shift would overflow.
        if (attempt < 40 && minMillis << attempt < maxMillis && (minMillis << attempt) >> attempt == minMillis) {
            ceiling = minMillis << attempt;
        }
        long half = ceiling / 2;
        long jittered = half + (long) (random.getAsDouble() * (ceiling - half + 1));
        return Math.min(jittered, ceiling);
    }
}
