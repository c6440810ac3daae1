package io.shardkv.raft.runtime;

import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.SnapshotMetadata;
import io.shardkv.raft.snapshot.SnapshotFiles;
import java.util.List;

/**
 * An application's replicated state for one group. The runtime calls {@link #apply}, {@link
 * #captureImage} and {@link #restore} from an apply worker, one call at a time per group and in
 * log order; different groups run in parallel. Snapshots are files (DESIGN 2.5): the state
 * machine pins a consistent view between two applies, and writes it out later on a snapshot
 * thread while applies go on.
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

    /**
     * Pins the state as of the last apply (for a lagging follower's snapshot). Must be cheap: it
     * runs between two applies. The image is written out and closed later, on another thread.
     */
    SnapshotImage captureImage();

    /**
     * Replaces the whole state with a leader's image taken at {@code metadata.index()}, from files
     * whose sizes and checksums were verified. The new state must be durable when this returns,
     * and a crash during it must leave a state from which restoring again succeeds.
     */
    void restore(SnapshotMetadata metadata, SnapshotFiles files);
}
