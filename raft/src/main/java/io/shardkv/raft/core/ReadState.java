package io.shardkv.raft.core;

/**
 * The answer to a read-index request: once the local state machine has applied {@code index},
 * a read issued with {@code requestId} may be served linearizably.
 */
public record ReadState(long index, long requestId) {
}
