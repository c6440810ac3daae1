package io.shardkv.raft.core;

/** The role of a replica in its group (eRaft's StateEnum). */
public enum Role {
    FOLLOWER,
    PRE_CANDIDATE,
    CANDIDATE,
    LEADER
}
