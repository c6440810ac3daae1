package io.shardkv.common;

import java.util.random.RandomGenerator;

/**
 * Client ids carry the second they were made in: {@code stamp (36 bits, seconds) | random (27
 * bits)}, positive. A group that evicted sessions remembers the newest stamp among them (its
 * horizon); a client it has no session for is new if its stamp is above the horizon, and may
 * have been evicted otherwise, so its writes are refused with SESSION_EXPIRED rather than
 * risk applying a retry twice. The stamp needs no agreement on clocks: a refused client takes a
 * new id stamped above the horizon the refusal names.
 */
public final class ClientIds {
    static final int RANDOM_BITS = 27;
    private static final long MAX_STAMP = (1L << (63 - RANDOM_BITS)) - 1;

    private ClientIds() {
    }

    /** A new id stamped {@code max(nowSeconds, aboveStamp + 1)}; never 0. */
    public static long newId(long nowSeconds, long aboveStamp, RandomGenerator random) {
        long stamp = Math.min(MAX_STAMP, Math.max(Math.max(1, nowSeconds), aboveStamp + 1));
        long low = random.nextLong() & ((1L << RANDOM_BITS) - 1);
        return (stamp << RANDOM_BITS) | low;
    }

    /** The second an id was made in (its stamp). */
    public static long stampOf(long clientId) {
        return clientId >>> RANDOM_BITS;
    }
}
