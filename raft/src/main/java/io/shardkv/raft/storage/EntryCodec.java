package io.shardkv.raft.storage;

import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.EntryType;
import java.util.Arrays;

/**
 * Value format of one stored entry: {@code term (8 bytes, big-endian) | type (1 byte) | data}.
 * The index is in the key and not repeated. The term comes first so that a term lookup can read
 * just the first {@link #TERM_PREFIX_BYTES} bytes of a value without copying its data.
 *
 * <p>Type codes are fixed here (they match the numbers of the raft.proto enum), never taken from
 * {@code EntryType.ordinal()}, so reordering the Java enum cannot change the meaning of stored
 * entries.
 */
final class EntryCodec {
    static final int HEADER_BYTES = 9;
    static final int TERM_PREFIX_BYTES = 8;

    private static final byte NORMAL = 0;
    private static final byte NO_OP = 1;
    private static final byte CONF_CHANGE = 2;

    private EntryCodec() {
    }

    static byte[] encode(Entry e) {
        byte[] data = e.data();
        byte[] value = new byte[HEADER_BYTES + data.length];
        LogKeys.putLong(value, 0, e.term());
        value[8] = typeCode(e.type());
        System.arraycopy(data, 0, value, HEADER_BYTES, data.length);
        return value;
    }

    static Entry decode(long groupId, long index, byte[] value) {
        if (value.length < HEADER_BYTES) {
            throw new IllegalStateException("group " + groupId + " entry " + index + " has a " + value.length
                    + "-byte value, shorter than the " + HEADER_BYTES + "-byte header");
        }
        long term = LogKeys.getLong(value, 0);
        EntryType type = typeOf(groupId, index, value[8]);
        return new Entry(term, index, type, Arrays.copyOfRange(value, HEADER_BYTES, value.length));
    }

    /** The term from the first bytes of a value (at least {@link #TERM_PREFIX_BYTES} of them). */
    static long decodeTerm(byte[] valuePrefix) {
        return LogKeys.getLong(valuePrefix, 0);
    }

    private static byte typeCode(EntryType type) {
        return switch (type) {
            case NORMAL -> NORMAL;
            case NO_OP -> NO_OP;
            case CONF_CHANGE -> CONF_CHANGE;
        };
    }

    private static EntryType typeOf(long groupId, long index, byte code) {
        return switch (code) {
            case NORMAL -> EntryType.NORMAL;
            case NO_OP -> EntryType.NO_OP;
            case CONF_CHANGE -> EntryType.CONF_CHANGE;
            default -> throw new IllegalStateException("group " + groupId + " entry " + index
                    + " has unknown type code " + code);
        };
    }
}
