package io.shardkv.raft.storage;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.LogStorage;
import io.shardkv.raft.core.confchange.MembershipConfig;
import java.util.List;

/**
 * Computes the membership at a compaction point. The stored membership must be the one in force
 * at the truncation point, because on restart the core starts from it and replays only the
 * membership changes still in the log; so compacting past a membership change must fold that
 * change into the stored membership, exactly as the core applies it.
 */
final class ConfStateReplay {
    /** Entries are read in chunks of this size so that replaying a long range stays bounded in memory. */
    private static final long READ_CHUNK_BYTES = 4L << 20;

    private ConfStateReplay() {
    }

    /**
     * The membership after applying the membership changes in {@code [from, to]} of {@code log}
     * to {@code start}.
     *
     * @throws IllegalStateException if a stored change is invalid, which the core would also refuse
     */
    static ConfState replay(long groupId, LogStorage log, ConfState start, long from, long to) {
        MembershipConfig config = null;
        for (long i = from; i <= to; ) {
            List<Entry> chunk = log.entries(i, to + 1, READ_CHUNK_BYTES);
            MembershipConfig current = config != null ? config : MembershipConfig.fromConfState(start);
            try {
                MembershipConfig after = current.applyCommittedEntries(chunk);
                if (after != current) {
                    config = after;
                }
            } catch (IllegalStateException invalid) {
                throw new IllegalStateException("group " + groupId + ": " + invalid.getMessage(), invalid);
            }
            i += chunk.size();
        }
        // Without a change in the range, keep the stored value exactly as it was.
        return config == null ? start : config.toConfState();
    }
}
