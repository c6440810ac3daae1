package io.shardkv.raft.core;

/** A follower knows, at most, who leads its current term. */
final class FollowerState implements RoleState {
    /** The leader of the current term, or {@link RawNode#NONE} while unknown. */
    long leaderId;

    FollowerState(long leaderId) {
        this.leaderId = leaderId;
    }

    @Override
    public Role role() {
        return Role.FOLLOWER;
    }
}
