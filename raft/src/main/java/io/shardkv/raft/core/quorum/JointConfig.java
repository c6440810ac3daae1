package io.shardkv.raft.core.quorum;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Two majority configurations that must both agree: the incoming one and, while a joint
 * membership change is in progress, the outgoing one (empty otherwise).
 */
public record JointConfig(MajorityConfig incoming, MajorityConfig outgoing) {

    public static JointConfig of(Set<Long> incoming, Set<Long> outgoing) {
        return new JointConfig(new MajorityConfig(incoming), new MajorityConfig(outgoing));
    }

    public boolean isJoint() {
        return !outgoing.voters().isEmpty();
    }

    /** Every voter of either half. */
    public Set<Long> ids() {
        Set<Long> ids = new HashSet<>(incoming.voters());
        ids.addAll(outgoing.voters());
        return ids;
    }

    public boolean isVoter(long id) {
        return incoming.voters().contains(id) || outgoing.voters().contains(id);
    }

    /** The largest index committed in both halves. */
    public long committedIndex(AckedIndexer acked) {
        long in = incoming.committedIndex(acked);
        long out = outgoing.committedIndex(acked);
        return Math.min(in, out);
    }

    /** Won only if won in both halves; lost if lost in either. */
    public VoteResult voteResult(Map<Long, Boolean> votes) {
        VoteResult in = incoming.voteResult(votes);
        VoteResult out = outgoing.voteResult(votes);
        if (in == out) {
            return in;
        }
        if (in == VoteResult.LOST || out == VoteResult.LOST) {
            return VoteResult.LOST;
        }
        return VoteResult.PENDING;
    }
}
