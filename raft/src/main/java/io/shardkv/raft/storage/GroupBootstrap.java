package io.shardkv.raft.storage;

/**
 * Where a new group's log starts. Its initial membership is stored as an empty snapshot point
 * at this index and term, already committed, so every bootstrapped log begins above index 1. A
 * replica added later starts with an empty log below that point, so the leader must send it a
 * snapshot, which carries the membership; replaying membership changes from index 1 against
 * an empty membership would build a wrong one. (TiKV bootstraps regions the same way.)
 */
public final class GroupBootstrap {
    public static final long INDEX = 1;
    public static final long TERM = 1;

    private GroupBootstrap() {
    }
}
