package io.shardkv.raft.core.quorum;

/** Outcome of counting votes against a configuration. */
public enum VoteResult {
    /** Not decided: more votes could still win or lose. */
    PENDING,
    LOST,
    WON
}
