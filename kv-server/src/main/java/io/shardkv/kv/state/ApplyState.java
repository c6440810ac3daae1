package io.shardkv.kv.state;

import java.nio.ByteBuffer;

/**
 * The {@code a | groupId} record, written in the same batch as every apply.
 *
 * @param clockMillis the highest leader timestamp applied so far; session expiry uses it, so
 *                    it never runs backwards when leaders' clocks disagree
 */
record ApplyState(long index, long term, long clockMillis) {
    static final ApplyState EMPTY = new ApplyState(0, 0, 0);

    byte[] encode() {
        return ByteBuffer.allocate(24).putLong(index).putLong(term).putLong(clockMillis).array();
    }

    static ApplyState decode(byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data);
        return new ApplyState(b.getLong(), b.getLong(), b.getLong());
    }
}
