package io.shardkv.raft.core.tracker;

/** How the leader replicates to one follower. */
public enum ProgressState {
    /** One append at a time until the leader finds where the follower's log matches. */
    PROBE,
    /** Optimistic pipelining of appends, bounded by the inflight window. */
    REPLICATE,
    /** The follower needs a snapshot; appends pause until it is installed or fails. */
    SNAPSHOT
}
