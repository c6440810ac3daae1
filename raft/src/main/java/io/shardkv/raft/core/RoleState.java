package io.shardkv.raft.core;

/**
 * The data that belongs to one role. {@link Raft} owns all transitions between roles; each role
 * class holds only what that role needs, so a follower cannot touch replication progress.
 */
sealed interface RoleState permits FollowerState, CandidateState, LeaderState {
    Role role();
}
