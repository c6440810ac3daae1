package io.shardkv.common;

import java.util.Optional;

/**
 * The request limits, checked by the client before anything is sent and by the servers before
 * anything is proposed, with one wording: each check answers why a request is refused, or empty
 * when it is fine.
 */
public final class Limits {
    public static final int MAX_KEY_BYTES = 8 * 1024;
    public static final int MAX_VALUE_BYTES = 4 * 1024 * 1024;
    public static final long MAX_BATCH_BYTES = 16L * 1024 * 1024;
    public static final int MAX_SCAN_LIMIT = 10_000;
    public static final int DEFAULT_SCAN_LIMIT = 1_000;
    /** Writes one client may have outstanding; the groups keep at most this many replies per client. */
    public static final int MAX_OUTSTANDING_WRITES = 1024;
    /**
     * Bytes of keys and values a scan page carries at most, plus one pair: the page stops there
     * and says {@code more}. Small, as many scans may run at once.
     */
    public static final long MAX_SCAN_PAGE_BYTES = 4L * 1024 * 1024;
    /**
     * Bytes of keys and values a batch read may answer with; a batch asking for more is refused
     * (read it in smaller batches). It fits {@link #MAX_MESSAGE_BYTES} with room to spare.
     */
    public static final long MAX_RESPONSE_BYTES = MAX_BATCH_BYTES;
    /** gRPC's inbound message bound on both sides: a whole batch plus its framing fits. */
    public static final int MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

    private Limits() {
    }

    /** A key of {@code bytes} bytes. */
    public static Optional<String> key(int bytes) {
        if (bytes == 0) {
            return Optional.of("key is empty");
        }
        if (bytes > MAX_KEY_BYTES) {
            return Optional.of("key is " + bytes + " bytes, over the limit of " + MAX_KEY_BYTES + " bytes");
        }
        return Optional.empty();
    }

    /** A value of {@code bytes} bytes. */
    public static Optional<String> value(int bytes) {
        if (bytes > MAX_VALUE_BYTES) {
            return Optional.of("value is " + bytes + " bytes, over the limit of " + MAX_VALUE_BYTES + " bytes");
        }
        return Optional.empty();
    }

    /** The keys and values of one batch, {@code bytes} in all. */
    public static Optional<String> batch(long bytes) {
        if (bytes > MAX_BATCH_BYTES) {
            return Optional.of("batch is " + bytes + " bytes, over the limit of " + MAX_BATCH_BYTES + " bytes");
        }
        return Optional.empty();
    }

    /** The page size of one scan request (unsigned on the wire); 0 means the server default. */
    public static Optional<String> scanLimit(long limit) {
        if (limit < 0 || limit > MAX_SCAN_LIMIT) {
            return Optional.of("scan limit " + limit + " is out of range 0.." + MAX_SCAN_LIMIT);
        }
        return Optional.empty();
    }

    /**
     * Scan bounds of the given sizes; {@code endAfterStart} says whether a non-empty end sorts
     * after the start (an empty end means no bound).
     */
    public static Optional<String> scanRange(int startBytes, int endBytes, boolean endAfterStart) {
        if (startBytes > MAX_KEY_BYTES || endBytes > MAX_KEY_BYTES) {
            return Optional.of("scan bound is over the key limit of " + MAX_KEY_BYTES + " bytes");
        }
        if (endBytes > 0 && !endAfterStart) {
            return Optional.of("scan end must be greater than start (or empty for no bound)");
        }
        return Optional.empty();
    }
}
