package io.shardkv.raft.core;

/** What a log entry carries. Maps to the entry types of the eRaft wire format. */
public enum EntryType {
    /** An application command, handed to the state machine when committed. */
    NORMAL,
    /** The empty entry a new leader appends so that it can commit entries of earlier terms. */
    NO_OP,
    /**
     * A membership change: the data is an encoded {@link io.shardkv.raft.core.confchange.ConfChange}.
     * Covers JOIN_NODE, JOIN_NO_VOTE_NODE and LEAVE_NODE, one or several at a time.
     */
    CONF_CHANGE
}
