package io.shardkv.raft.storage;

import java.util.OptionalLong;

/**
 * Decides how far a group's log may be compacted. The log is compacted only below an index whose
 * applied state the state machine has made durable (otherwise a crash would need entries that are
 * gone), and keeps a tail beyond that so a follower that lags catches up from the log instead of
 * needing a whole snapshot: at least {@code retainedEntries}, and everything the group's slowest
 * member still needs (the leader tracks it and tells its followers in every append, so whichever
 * replica leads next still has those entries), so a follower away for a while (a restart, a
 * short partition) gets entries, not a snapshot. Both are bounded by {@code maxRetainedBytes}: a follower further
 * behind than that gets a snapshot, and the log's disk use stays bounded.
 *
 * @param retainedEntries       entries kept below the durable applied index (default 20,000, the
 *                              RetainLogs default of tiglabs/raft)
 * @param minCompactionEntries  compact only when at least this many entries would go (default
 *                              1,000), so compaction is one write per many appends, not one per append
 * @param maxRetainedBytes      the most log kept below the durable applied index, counted with the
 *                              log's average entry size (default 256 MiB)
 */
public record RetentionPolicy(long retainedEntries, long minCompactionEntries, long maxRetainedBytes) {
    public static final long DEFAULT_MAX_RETAINED_BYTES = 256L << 20;

    public RetentionPolicy {
        if (retainedEntries < 0 || minCompactionEntries < 1 || maxRetainedBytes < 0) {
            throw new IllegalArgumentException("retainedEntries " + retainedEntries
                    + " and maxRetainedBytes " + maxRetainedBytes + " must be >= 0 and minCompactionEntries "
                    + minCompactionEntries + " >= 1");
        }
    }

    public RetentionPolicy(long retainedEntries, long minCompactionEntries) {
        this(retainedEntries, minCompactionEntries, DEFAULT_MAX_RETAINED_BYTES);
    }

    /** 20,000 retained entries and what followers need, up to 256 MiB, compacting at least 1,000 at a time. */
    public static RetentionPolicy defaults() {
        return new RetentionPolicy(20_000, 1_000, DEFAULT_MAX_RETAINED_BYTES);
    }

    /** The compaction index without knowledge of followers or entry sizes (see the full form). */
    public OptionalLong compactionIndex(long durableAppliedIndex, long firstIndex, long lastIndex) {
        return compactionIndex(durableAppliedIndex, firstIndex, lastIndex, Long.MAX_VALUE, 0);
    }

    /**
     * The index to pass to {@link RocksLogEngine#compact(long, long)}, or empty when there is not
     * enough to compact yet.
     *
     * @param durableAppliedIndex  highest index whose applied state is durable in the state machine
     * @param firstIndex           the group's current first log index
     * @param lastIndex            the group's current last log index
     * @param slowestFollowerMatch the highest index every member is known to hold, as the group's
     *                             leader tracks it; {@code Long.MAX_VALUE} when unknown
     * @param averageEntryBytes    the log's average entry size; 0 when unknown (no byte bound then)
     */
    public OptionalLong compactionIndex(long durableAppliedIndex, long firstIndex, long lastIndex,
                                        long slowestFollowerMatch, long averageEntryBytes) {
        if (durableAppliedIndex < 0 || firstIndex < 1 || lastIndex < firstIndex - 1 || slowestFollowerMatch < 0
                || averageEntryBytes < 0) {
            throw new IllegalArgumentException("bad indexes: durable applied " + durableAppliedIndex + ", log ["
                    + firstIndex + ", " + lastIndex + "], slowest follower at " + slowestFollowerMatch
                    + ", entries of " + averageEntryBytes + " bytes");
        }
        // Never past the log's end: an applied index beyond it (restored from a snapshot that
        // replaced the log) leaves nothing of this log to keep or remove beyond lastIndex.
        long upTo = Math.min(durableAppliedIndex, lastIndex);
        long keep = retainedEntries;
        if (slowestFollowerMatch < upTo) {
            // The follower needs the entries after its match index.
            keep = Math.max(keep, upTo - slowestFollowerMatch);
        }
        if (averageEntryBytes > 0) {
            keep = Math.min(keep, maxRetainedBytes / averageEntryBytes);
        }
        long target = upTo - keep;
        long removed = target - (firstIndex - 1);
        return removed >= minCompactionEntries ? OptionalLong.of(target) : OptionalLong.empty();
    }
}
