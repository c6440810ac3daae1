package io.shardkv.raft.core;

/** Where a snapshot sits in the log and which membership was in force at that index. */
public record SnapshotMetadata(long index, long term, ConfState confState) {
    public static final SnapshotMetadata EMPTY = new SnapshotMetadata(0, 0, ConfState.EMPTY);

    public SnapshotMetadata {
        if (index < 0 || term < 0 || confState == null) {
            throw new IllegalArgumentException("bad snapshot metadata " + index + "@" + term);
        }
    }
}
