package io.shardkv.meta.liveness;

/** Where the scheduler looks first for a kv group's leader. */
@FunctionalInterface
public interface LeaderHints {
    /** The server id last reported as the group's leader, or 0 when none is known. */
    long leaderOf(long groupId);
}
