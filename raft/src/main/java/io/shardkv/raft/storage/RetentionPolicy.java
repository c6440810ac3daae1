package io.shardkv.raft.storage;

import java.util.OptionalLong;

/**
 * Decides how far a group's log may be compacted. The log is compacted only below an index whose
 * applied state the state machine has made durable (otherwise a crash would need entries that are
 * gone), and keeps a tail of recent entries beyond that so a follower that lags a little catches
 * up from the log instead of needing a whole snapshot.
 *
 * @param retainedEntries       entries kept below the durable applied index (default 20,000, the
 *                              RetainLogs default of tiglabs/raft)
 * @param minCompactionEntries  compact only when at least this many entries would go (default
 *                              1,000), so compaction is one write per many appends, not one per append
 */
public record RetentionPolicy(long retainedEntries, long minCompactionEntries) {

    public RetentionPolicy {
        if (retainedEntries < 0 || minCompactionEntries < 1) {
            throw new IllegalArgumentException("retainedEntries " + retainedEntries
                    + " must be >= 0 and minCompactionEntries " + minCompactionEntries + " >= 1");
        }
    }

    /** 20,000 retained entries, compacting at least 1,000 at a time. */
    public static RetentionPolicy defaults() {
        return new RetentionPolicy(20_000, 1_000);
    }

    /**
     * The index to pass to {@link RocksLogEngine#compact(long, long)}, or empty when there is not
     * enough to compact yet.
     *
     * @param durableAppliedIndex highest index whose applied state is durable in the state machine
     * @param firstIndex          the group's current first log index
     * @param lastIndex           the group's current last log index
     */
    public OptionalLong compactionIndex(long durableAppliedIndex, long firstIndex, long lastIndex) {
        if (durableAppliedIndex < 0 || firstIndex < 1 || lastIndex < firstIndex - 1) {
            throw new IllegalArgumentException("bad indexes: durable applied " + durableAppliedIndex + ", log ["
                    + firstIndex + ", " + lastIndex + "]");
        }
        // Never past the log's end: an applied index beyond it (restored from a snapshot that
        // replaced the log) leaves nothing of this log to keep or remove beyond lastIndex.
        long target = Math.min(durableAppliedIndex, lastIndex) - retainedEntries;
        long removed = target - (firstIndex - 1);
        return removed >= minCompactionEntries ? OptionalLong.of(target) : OptionalLong.empty();
    }
}
