package io.shardkv.raft.core;

import java.util.Set;
import java.util.TreeSet;

/**
 * Group membership as persisted beside a snapshot: who votes, who votes in the outgoing half
 * of a joint configuration, who only learns.
 *
 * @param voters         voters of the incoming (or only) configuration
 * @param votersOutgoing voters of the outgoing configuration; empty unless joint
 * @param learners       members that receive the log but do not vote
 * @param autoLeave      whether the leader leaves the joint configuration by itself
 */
public record ConfState(Set<Long> voters, Set<Long> votersOutgoing, Set<Long> learners, boolean autoLeave) {
    public static final ConfState EMPTY = new ConfState(Set.of(), Set.of(), Set.of(), false);

    public ConfState {
        voters = Set.copyOf(new TreeSet<>(voters));
        votersOutgoing = Set.copyOf(new TreeSet<>(votersOutgoing));
        learners = Set.copyOf(new TreeSet<>(learners));
        for (Long learner : learners) {
            if (voters.contains(learner) || votersOutgoing.contains(learner)) {
                throw new IllegalArgumentException("node " + learner + " is both voter and learner");
            }
        }
    }

    public static ConfState ofVoters(Long... ids) {
        return new ConfState(Set.of(ids), Set.of(), Set.of(), false);
    }

    /** Whether {@code replica} is a voter (in either half of a joint configuration) or a learner. */
    public boolean includes(long replica) {
        return voters().contains(replica) || votersOutgoing().contains(replica) || learners().contains(replica);
    }

    public boolean isJoint() {
        return !votersOutgoing.isEmpty();
    }

    @Override
    public String toString() {
        return "ConfState{voters=" + new TreeSet<>(voters) + (isJoint() ? " outgoing=" + new TreeSet<>(votersOutgoing) : "")
                + " learners=" + new TreeSet<>(learners) + (autoLeave ? " autoLeave" : "") + "}";
    }
}
