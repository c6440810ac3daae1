package io.shardkv.raft.storage;

/**
 * Key layout of the shared log engine. A log key is {@code groupId (8 bytes, big-endian) |
 * index (8 bytes, big-endian)}; a state key is {@code groupId (8 bytes, big-endian)}.
 *
 * <p>Group ids and indexes are non-negative, so RocksDB's bytewise order of these keys is the
 * numeric order: all entries of a group are contiguous and sorted by index, and a group's whole
 * log lies in {@code [groupId, groupId + 1)} where both bounds are 8-byte prefixes. For
 * {@code Long.MAX_VALUE} the bound {@code groupId + 1} wraps to {@code 0x80..00}, which still
 * sorts after every key with a non-negative group id, so no special case is needed.
 */
final class LogKeys {
    static final int GROUP_KEY_BYTES = 8;
    static final int LOG_KEY_BYTES = 16;

    private LogKeys() {
    }

    static void checkGroupId(long groupId) {
        if (groupId < 0) {
            // A negative id would sort after every other group and break the range bounds above.
            throw new IllegalArgumentException("group id " + groupId + " is negative");
        }
    }

    /** The key of a group's state record, which is also the first byte string of its log range. */
    static byte[] groupKey(long groupId) {
        byte[] key = new byte[GROUP_KEY_BYTES];
        putLong(key, 0, groupId);
        return key;
    }

    /** The exclusive upper bound of a group's log range. */
    static byte[] groupEndKey(long groupId) {
        return groupKey(groupId + 1);
    }

    static byte[] logKey(long groupId, long index) {
        byte[] key = new byte[LOG_KEY_BYTES];
        encodeLogKey(key, groupId, index);
        return key;
    }

    /** Encodes into a caller's 16-byte array, so the write path can reuse one array. */
    static void encodeLogKey(byte[] into, long groupId, long index) {
        putLong(into, 0, groupId);
        putLong(into, 8, index);
    }

    static long groupOf(byte[] key) {
        return getLong(key, 0);
    }

    static long indexOf(byte[] logKey) {
        if (logKey.length != LOG_KEY_BYTES) {
            throw new IllegalStateException("log key of " + logKey.length + " bytes, expected " + LOG_KEY_BYTES);
        }
        return getLong(logKey, 8);
    }

    static void putLong(byte[] b, int offset, long v) {
        for (int i = 7; i >= 0; i--) {
            b[offset + i] = (byte) v;
            v >>>= 8;
        }
    }

    static long getLong(byte[] b, int offset) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[offset + i] & 0xFF);
        }
        return v;
    }
}
