package io.shardkv.client;

/**
 * The request limits of DESIGN 3, checked on the client before anything is sent so a bad
 * request fails at once with the same message the servers would give.
 */
public final class Limits {
    public static final int MAX_KEY_BYTES = 8 * 1024;
    public static final int MAX_VALUE_BYTES = 4 * 1024 * 1024;
    public static final int MAX_BATCH_BYTES = 16 * 1024 * 1024;
    public static final int MAX_SCAN_LIMIT = 10_000;
    public static final int DEFAULT_SCAN_LIMIT = 1_000;
    /** Writes one client may have outstanding; the groups keep at most this many replies per client. */
    public static final int MAX_OUTSTANDING_WRITES = 1024;
    /** gRPC inbound message limit on both sides. */
    public static final int MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

    private Limits() {
    }

    public static void checkKey(byte[] key) {
        if (key == null || key.length == 0) {
            throw KvException.invalidArgument("key is empty");
        }
        if (key.length > MAX_KEY_BYTES) {
            throw KvException.invalidArgument(
                    "key is " + key.length + " bytes, over the limit of " + MAX_KEY_BYTES + " bytes");
        }
    }

    public static void checkValue(byte[] value) {
        if (value == null) {
            throw KvException.invalidArgument("value is missing");
        }
        if (value.length > MAX_VALUE_BYTES) {
            throw KvException.invalidArgument(
                    "value is " + value.length + " bytes, over the limit of " + MAX_VALUE_BYTES + " bytes");
        }
    }

    /** Sum of the keys and values of one batch. */
    public static void checkBatchBytes(long bytes) {
        if (bytes > MAX_BATCH_BYTES) {
            throw KvException.invalidArgument(
                    "batch is " + bytes + " bytes, over the limit of " + MAX_BATCH_BYTES + " bytes");
        }
    }

    /** {@code end} empty means unbounded; otherwise it must sort after {@code start}. */
    public static void checkScanRange(byte[] start, byte[] end) {
        if (start.length > MAX_KEY_BYTES || end.length > MAX_KEY_BYTES) {
            throw KvException.invalidArgument("scan bound is over the key limit of " + MAX_KEY_BYTES + " bytes");
        }
        if (end.length > 0 && Bytes.compare(end, start) <= 0) {
            throw KvException.invalidArgument("scan end must be greater than start");
        }
    }

    /** The page size of one scan request; 0 means the server default. */
    public static void checkScanLimit(int limit) {
        if (limit < 0 || limit > MAX_SCAN_LIMIT) {
            throw KvException.invalidArgument(
                    "scan limit " + limit + " is out of range 0.." + MAX_SCAN_LIMIT);
        }
    }
}
