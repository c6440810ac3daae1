package io.shardkv.raft.core;

import java.util.Arrays;

/**
 * One log entry. The data array is never modified after construction; callers must not
 * mutate the array they pass in or get back.
 */
public record Entry(long term, long index, EntryType type, byte[] data) {
    private static final byte[] EMPTY = new byte[0];

    public Entry {
        if (term < 0 || index < 0) {
            throw new IllegalArgumentException("negative term " + term + " or index " + index);
        }
        if (type == null) {
            throw new IllegalArgumentException("entry type is required");
        }
        data = data == null ? EMPTY : data;
    }

    public static Entry normal(long term, long index, byte[] data) {
        return new Entry(term, index, EntryType.NORMAL, data);
    }

    public static Entry noOp(long term, long index) {
        return new Entry(term, index, EntryType.NO_OP, EMPTY);
    }

    /** The size counted against byte limits (message size, inflight bytes, uncommitted bytes). */
    public long payloadBytes() {
        return data.length;
    }

    public Entry withTermAndIndex(long newTerm, long newIndex) {
        return new Entry(newTerm, newIndex, type, data);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Entry e && e.term == term && e.index == index && e.type == type
                && Arrays.equals(e.data, data);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(term) * 31 + Long.hashCode(index) * 17 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Entry{" + index + "@" + term + " " + type + " " + data.length + "B}";
    }
}
