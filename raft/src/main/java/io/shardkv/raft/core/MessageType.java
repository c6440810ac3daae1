package io.shardkv.raft.core;

/** The kinds of message replicas exchange. Local inputs are methods of {@link RawNode}, not messages. */
public enum MessageType {
    /** Append entries (also used as a probe with no entries). */
    APPEND,
    APPEND_RESPONSE,
    /** A real vote request (RequestVote with prevote=false). */
    VOTE,
    VOTE_RESPONSE,
    /** A trial vote that does not change anyone's term (RequestVote with prevote=true). */
    PRE_VOTE,
    PRE_VOTE_RESPONSE,
    /** Install a snapshot. */
    SNAPSHOT,
    /** Leader liveness, commit propagation and read-index confirmation. */
    HEARTBEAT,
    HEARTBEAT_RESPONSE,
    /** A follower forwards a read-index request to the leader. */
    READ_INDEX,
    READ_INDEX_RESPONSE,
    /** A follower forwards a leadership-transfer request to the leader. */
    TRANSFER_LEADER,
    /** The leader tells the transfer target to campaign at once. */
    TIMEOUT_NOW,
    /**
     * The leader tells a caught-up follower that the group is idle: both stop ticking until
     * any message, proposal or failure report wakes them.
     */
    QUIESCE;

    public boolean isResponse() {
        return this == APPEND_RESPONSE || this == VOTE_RESPONSE || this == PRE_VOTE_RESPONSE
                || this == HEARTBEAT_RESPONSE || this == READ_INDEX_RESPONSE;
    }
}
