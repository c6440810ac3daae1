package io.shardkv.raft.core;

import java.util.Map;

/**
 * A point-in-time view of one replica, for status pages and metrics (seed 004's Status).
 * {@code replicas} is empty unless this replica leads.
 *
 * <p>Three indexes follow a committed entry: {@code commit} (known committed), {@code
 * handedToApply} (given to the application in a Ready; the core's own "applied") and the index
 * the application has really applied, which only it knows (the runtime's {@code
 * GroupSummary.applied}).
 */
public record RaftStatus(long id, Role role, long term, long vote, long leaderId, long commit, long handedToApply,
                         long firstIndex, long lastIndex, ConfState membership, boolean quiesced,
                         long transferee, Map<Long, ReplicaStatus> replicas) {

    /** The leader's view of one member. */
    public record ReplicaStatus(long id, long match, long next, String state, boolean learner, int inflightMsgs,
                                long inflightBytes, long pendingSnapshot, boolean paused, boolean recentActive,
                                long inactiveTicks) {
    }
}
