package io.shardkv.client;

import io.shardkv.common.Limits;
import java.util.Optional;

/**
 * The request limits ({@link Limits}), checked on the client before anything is sent, so a bad
 * request fails at once with {@code INVALID_ARGUMENT} and the message the servers would give.
 */
public final class RequestChecks {
    private RequestChecks() {
    }

    public static void checkKey(byte[] key) {
        if (key == null) {
            throw KvException.invalidArgument("key is missing");
        }
        orThrow(Limits.key(key.length));
    }

    public static void checkValue(byte[] value) {
        if (value == null) {
            throw KvException.invalidArgument("value is missing");
        }
        orThrow(Limits.value(value.length));
    }

    /** Sum of the keys and values of one batch. */
    public static void checkBatchBytes(long bytes) {
        orThrow(Limits.batch(bytes));
    }

    /** {@code end} empty means unbounded; otherwise it must sort after {@code start}. */
    public static void checkScanRange(byte[] start, byte[] end) {
        orThrow(Limits.scanRange(start.length, end.length, Bytes.compare(end, start) > 0));
    }

    /** The page size of one scan request; 0 means the server default. */
    public static void checkScanLimit(int limit) {
        orThrow(Limits.scanLimit(limit));
    }

    private static void orThrow(Optional<String> problem) {
        if (problem.isPresent()) {
            throw KvException.invalidArgument(problem.get());
        }
    }
}
