package io.shardkv.raft.storage;

import io.shardkv.raft.core.LogStorage;
import io.shardkv.raft.core.Snapshot;
import java.util.Optional;

/**
 * Where a group's storage gets the snapshots it hands the core for followers that need compacted
 * entries. The state machine builds them in the runtime, off the poller threads; the log engine
 * only asks. Implementations must be cheap and non-blocking: they are called on a poller thread.
 */
@FunctionalInterface
public interface SnapshotSource {

    /** A source with nothing to offer: every request is answered "temporarily unavailable". */
    SnapshotSource NONE = requestIndex -> Optional.empty();

    /**
     * A snapshot at {@code requestIndex} or later if one is ready, or empty while one is still being
     * built (the source should start building one if it is not already). Returning a snapshot
     * older than {@code requestIndex} is a bug.
     */
    Optional<Snapshot> snapshotAtOrAfter(long requestIndex);

    /**
     * What a group's storage answers the core for {@code requestIndex}: this source's snapshot,
     * which must also reach the log's start (one older than the compacted prefix would leave the
     * follower a gap the log cannot fill), or "temporarily unavailable" until it has one.
     */
    static LogStorage.SnapshotResult answer(SnapshotSource source, long groupId, long requestIndex,
                                            long firstIndex) {
        long needed = Math.max(requestIndex, firstIndex - 1);
        Optional<Snapshot> ready = source.snapshotAtOrAfter(needed);
        if (ready.isEmpty()) {
            return new LogStorage.SnapshotResult.TemporarilyUnavailable();
        }
        Snapshot s = ready.get();
        if (s.index() < needed) {
            throw new IllegalStateException("group " + groupId + ": snapshot source returned a snapshot at "
                    + s.index() + " for a request at " + needed);
        }
        return new LogStorage.SnapshotResult.Available(s);
    }
}
