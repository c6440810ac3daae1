package io.shardkv.raft.storage;

import java.util.Set;
import java.util.TreeSet;

/**
 * The log engine could not read or write RocksDB. Names the groups the failed operation touched:
 * the runtime stops exactly those groups, marks them failed, and keeps serving the others. The
 * in-memory state of the named groups was left as it was before the failed write; their durable
 * state is unknown until the engine is reopened.
 */
public final class LogEngineException extends RuntimeException {
    private final Set<Long> groupIds;

    /**
     * @param message  what failed, with the values involved
     * @param groupIds the groups the failed operation touched
     * @param cause    RocksDB's error
     */
    public LogEngineException(String message, Set<Long> groupIds, Throwable cause) {
        super(message + " (groups " + new TreeSet<>(groupIds) + ")", cause);
        this.groupIds = Set.copyOf(groupIds);
    }

    /** The groups whose write or read failed; empty when the failure was not about groups (open). */
    public Set<Long> groupIds() {
        return groupIds;
    }
}
