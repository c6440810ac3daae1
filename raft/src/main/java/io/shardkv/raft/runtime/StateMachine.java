package io.shardkv.raft.runtime;

import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.Snapshot;
import java.util.List;

/**
 * An application's replicated state for one group. The runtime calls it from an apply worker,
 * one call at a time per group and in log order; different groups run in parallel.
 */
public interface StateMachine {

    /**
     * Applies committed entries in order and returns one result per entry (an empty array for
     * entries that carry no command). Applying must record the last index as applied atomically
     * with the state change, so that a replay after a crash starts exactly after it.
     */
    List<byte[]> apply(List<Entry> committed);

    /** The last index whose effects are durable; the log is never compacted past it. */
    long durableAppliedIndex();

    /** A consistent image of the state at the last applied index, for a lagging follower. */
    byte[] snapshotData();

    /** Replaces the whole state with a leader's snapshot taken at {@code snapshot.index()}. */
    void restore(Snapshot snapshot);
}
