package io.shardkv.raft.linearizability;

/**
 * Verdict of a linearizability check.
 */
public enum CheckResult {
    /** Some linearization of every partition was found: the history is linearizable. */
    OK,
    /** Exhaustive search proved that some partition has no linearization. */
    ILLEGAL,
    /**
     * The step budget ran out before the search could decide a partition (and no partition was
     * proved illegal). Because the budget counts search steps rather than wall-clock time, the same
     * history and budget always give the same verdict.
     */
    UNKNOWN
}
