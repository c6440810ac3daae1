package io.shardkv.raft.core.quorum;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A set of voters decided by simple majority. Pure functions only.
 *
 * <p>An empty configuration agrees to everything (it commits any index and wins any vote): this
 * makes a joint configuration whose outgoing half is empty behave like its incoming half alone.
 */
public record MajorityConfig(Set<Long> voters) {
    public static final MajorityConfig EMPTY = new MajorityConfig(Set.of());

    public MajorityConfig {
        voters = Set.copyOf(voters);
    }

    public static int quorum(int size) {
        return size / 2 + 1;
    }

    /**
     * The largest index held by a majority of voters. Voters the indexer does not know count as
     * holding nothing.
     */
    public long committedIndex(AckedIndexer acked) {
        int n = voters.size();
        if (n == 0) {
            return Long.MAX_VALUE;
        }
        long[] indexes = new long[n];
        int i = 0;
        for (long id : voters) {
            indexes[i++] = Math.max(0, acked.ackedIndex(id));
        }
        Arrays.sort(indexes);
        // After sorting ascending, the element at n - quorum is held by at least quorum voters.
        return indexes[n - quorum(n)];
    }

    /** Counts votes: {@code true} is granted, {@code false} rejected, absent not yet heard from. */
    public VoteResult voteResult(Map<Long, Boolean> votes) {
        if (voters.isEmpty()) {
            return VoteResult.WON;
        }
        int granted = 0;
        int missing = 0;
        for (long id : voters) {
            Boolean v = votes.get(id);
            if (v == null) {
                missing++;
            } else if (v) {
                granted++;
            }
        }
        int q = quorum(voters.size());
        if (granted >= q) {
            return VoteResult.WON;
        }
        if (granted + missing >= q) {
            return VoteResult.PENDING;
        }
        return VoteResult.LOST;
    }

    @Override
    public String toString() {
        return new TreeSet<>(voters).toString();
    }
}
