package io.shardkv.kv.engine;

/** The keys k with {@code start <= k < end} in the KV database's byte order. */
public record KeyRange(byte[] start, byte[] end) {
    public KeyRange {
        if (KvKeys.compare(start, end) > 0) {
            throw new IllegalArgumentException("key range ends before it starts");
        }
    }
}
