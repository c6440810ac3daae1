package io.shardkv.raft.runtime;

import io.shardkv.raft.core.RawNode;

/**
 * Why a proposal, read or admin request on a group did not succeed. The kind tells a client
 * what to do next: follow the leader hint, retry later, or give up.
 */
public final class RaftRequestException extends RuntimeException {
    /** What went wrong, as a client sees it. */
    public enum Kind {
        /** This server does not lead the group; {@link #leaderHint()} names the leader if known. */
        NOT_LEADER,
        /** No leader right now (election, transfer or membership change in progress); retry. */
        UNAVAILABLE,
        /** Queues are full; retry with backoff. */
        SERVER_BUSY,
        /** The group is not hosted here. */
        NO_SUCH_GROUP,
        /** The group stopped after a storage or state-machine failure. */
        GROUP_FAILED,
        /** The request itself is invalid (e.g. a membership change that does not apply). */
        INVALID,
        /** The entry was replaced by a new leader's log before it committed: it did not happen. */
        DROPPED,
        /** The server is shutting down. */
        CLOSED
    }

    private final Kind kind;
    private final long groupId;
    private final long leaderHint;

    public RaftRequestException(Kind kind, long groupId, long leaderHint, String message) {
        super("group " + groupId + ": " + kind + (message.isEmpty() ? "" : ": " + message)
                + (leaderHint != RawNode.NONE ? " (leader " + leaderHint + ")" : ""));
        this.kind = kind;
        this.groupId = groupId;
        this.leaderHint = leaderHint;
    }

    public Kind kind() {
        return kind;
    }

    public long groupId() {
        return groupId;
    }

    /** The leader's replica (= server) id, or {@link RawNode#NONE}. */
    public long leaderHint() {
        return leaderHint;
    }
}
