package io.shardkv.kv.engine;

import java.util.List;

/**
 * One page of a scan: pairs in key order, and whether more keys follow in the range.
 *
 * @param keys   user keys in increasing byte order
 * @param values the value of each key, same positions
 */
public record ScanPage(List<byte[]> keys, List<byte[]> values, boolean more) {
    public ScanPage {
        keys = List.copyOf(keys);
        values = List.copyOf(values);
    }

    /** The key to resume after (exclusive), or null for an empty page. */
    public byte[] lastKey() {
        return keys.isEmpty() ? null : keys.get(keys.size() - 1);
    }
}
