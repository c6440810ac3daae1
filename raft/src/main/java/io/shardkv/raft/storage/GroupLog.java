package io.shardkv.raft.storage;

import io.shardkv.raft.core.LogStorage;

/**
 * One group's log in a {@link LogEngine}: the {@link LogStorage} its core reads, changed only
 * through the engine's writes. Index accessors may be called from any thread.
 */
public interface GroupLog extends LogStorage {

    /** The Raft group whose log this is. */
    long groupId();

    /**
     * The average stored size of the entries appended since open, or 0 before the first append:
     * what log retention counts bytes with.
     */
    long averageEntryBytes();

    /** Sets where snapshots for lagging followers come from. */
    void setSnapshotSource(SnapshotSource source);
}
