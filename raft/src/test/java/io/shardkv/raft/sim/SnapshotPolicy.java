package io.shardkv.raft.sim;

/**
 * When a {@link SimNode} snapshots its state machine and compacts its log.
 *
 * @param intervalEntries applied entries between snapshots ({@link Integer#MAX_VALUE}: never)
 * @param retainedEntries entries kept below the snapshot index when compacting, so that slightly
 *                        lagging followers can still be served from the log
 */
public record SnapshotPolicy(int intervalEntries, int retainedEntries) {
    public static final SnapshotPolicy NEVER = new SnapshotPolicy(Integer.MAX_VALUE, 0);

    public SnapshotPolicy {
        if (intervalEntries <= 0 || retainedEntries < 0) {
            throw new IllegalArgumentException("bad snapshot policy " + intervalEntries + "/" + retainedEntries);
        }
    }
}
