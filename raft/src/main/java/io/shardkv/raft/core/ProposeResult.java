package io.shardkv.raft.core;

/** Outcome of a proposal or request handed to the core: accepted, or dropped with a reason. */
public sealed interface ProposeResult {

    /** Appended to the leader's log (proposals) or sent on its way (reads, transfers). */
    record Accepted(long term, long index) implements ProposeResult {
    }

    /**
     * Not accepted. {@code leaderHint} is the known leader or {@link RawNode#NONE}; {@code detail}
     * explains invalid requests.
     */
    record Dropped(DropReason reason, long leaderHint, String detail) implements ProposeResult {
    }

    default boolean isAccepted() {
        return this instanceof Accepted;
    }
}
