package io.shardkv.raft.storage;

import io.shardkv.raft.core.HardState;

/**
 * The in-memory picture of one group's durable log: its persisted {@link GroupState} plus the
 * index and term of its last entry, which are not stored separately but recovered from the last
 * log key at open. Immutable, so a reader on any thread sees one consistent version; a writer
 * computes the next version and publishes it only after the write that makes it true succeeded.
 *
 * <p>Invariants: {@code truncatedIndex <= lastIndex}; {@code lastTerm == truncatedTerm} when
 * {@code lastIndex == truncatedIndex}; {@code hardState.commit <= lastIndex}.
 */
record GroupLogMeta(GroupState state, long lastIndex, long lastTerm) {

    GroupLogMeta {
        if (lastIndex < state.truncatedIndex()) {
            throw new IllegalStateException("last index " + lastIndex + " below truncated index "
                    + state.truncatedIndex());
        }
        if (lastIndex == state.truncatedIndex() && lastTerm != state.truncatedTerm()) {
            throw new IllegalStateException("empty log with last term " + lastTerm + " but truncated term "
                    + state.truncatedTerm());
        }
    }

    /** A group whose log holds no entries after its truncation point. */
    static GroupLogMeta emptyLog(GroupState state) {
        return new GroupLogMeta(state, state.truncatedIndex(), state.truncatedTerm());
    }

    long firstIndex() {
        return state.firstIndex();
    }

    long truncatedIndex() {
        return state.truncatedIndex();
    }

    HardState hardState() {
        return state.hardState();
    }

    GroupLogMeta withState(GroupState s) {
        return new GroupLogMeta(s, lastIndex, lastTerm);
    }

    GroupLogMeta withLast(long index, long term) {
        return new GroupLogMeta(state, index, term);
    }
}
