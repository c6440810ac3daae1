package io.shardkv.raft.core.confchange;

/** One membership step, named after the eRaft entry types in parentheses. */
public enum ConfChangeType {
    /** Add a voter, or promote a learner to voter (JOIN_NODE). */
    ADD_VOTER,
    /** Add a member that receives the log but does not vote (JOIN_NO_VOTE_NODE). */
    ADD_LEARNER,
    /** Remove a voter or learner (LEAVE_NODE). */
    REMOVE_NODE
}
