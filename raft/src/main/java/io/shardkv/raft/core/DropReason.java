package io.shardkv.raft.core;

/** Why a proposal, read or transfer request was not accepted. */
public enum DropReason {
    /** This replica is not the leader; the result carries the leader hint if one is known. */
    NOT_LEADER,
    /** No leader is known right now; retry after an election. */
    NO_LEADER,
    /** The leader is handing leadership over and refuses new proposals until it ends. */
    TRANSFER_IN_PROGRESS,
    /** The uncommitted tail of the log is over its byte bound; retry when it drains. */
    UNCOMMITTED_LIMIT,
    /** Another membership change has not been applied yet; only one may be in flight. */
    CONF_CHANGE_PENDING,
    /** The membership change is not valid against the current configuration. */
    INVALID_CONF_CHANGE,
    /** This replica is not a member of the group (removed, or not yet added). */
    NOT_MEMBER,
    /** The leader already holds as many reads waiting for confirmation as it keeps; retry with backoff. */
    READ_QUEUE_FULL,
    /** A leadership transfer names a target that is not a voter (a learner, or not a member). */
    TRANSFER_TARGET_NOT_VOTER
}
