package io.shardkv.raft.core;

/** How a read index is confirmed. */
public enum ReadMode {
    /** The leader confirms it still leads with a quorum heartbeat round (ReadIndex). */
    SAFE,
    /**
     * The leader trusts its lease: it answers at once while CheckQuorum guarantees that no other
     * leader can exist. Falls back to {@link #SAFE} when the lease is not established.
     */
    LEASE
}
