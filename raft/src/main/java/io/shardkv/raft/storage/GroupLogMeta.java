package io.shardkv.raft.storage;

import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.SnapshotMetadata;
import java.util.List;

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

    /**
     * The meta after installing snapshot {@code s} in place of the whole log.
     *
     * @throws IllegalStateException if the snapshot is not after the truncation point
     */
    GroupLogMeta afterInstall(long groupId, SnapshotMetadata s) {
        if (s.index() <= truncatedIndex()) {
            throw new IllegalStateException("group " + groupId + ": snapshot at " + s.index()
                    + " is not after the truncation point " + truncatedIndex());
        }
        return emptyLog(state.withTruncation(s.index(), s.term(), s.confState()));
    }

    /**
     * The meta after appending contiguous {@code entries} (replacing what followed their first
     * index); unchanged when there are none.
     *
     * @throws IllegalStateException if they start at or below the truncation point or leave a gap
     */
    GroupLogMeta afterAppend(long groupId, List<Entry> entries) {
        if (entries.isEmpty()) {
            return this;
        }
        Entry first = entries.get(0);
        Entry last = entries.get(entries.size() - 1);
        if (first.index() <= truncatedIndex()) {
            throw new IllegalStateException("group " + groupId + ": append at " + first.index()
                    + " at or below truncation point " + truncatedIndex());
        }
        if (first.index() > lastIndex + 1) {
            throw new IllegalStateException("group " + groupId + ": append at " + first.index()
                    + " leaves a gap after " + lastIndex);
        }
        return withLast(last.index(), last.term());
    }

    /** @throws IllegalStateException if the commit index is beyond the log */
    void checkCommitWithinLog(long groupId) {
        if (hardState().commit() > lastIndex) {
            throw new IllegalStateException("group " + groupId + ": commit " + hardState().commit()
                    + " would be beyond last index " + lastIndex);
        }
    }
}
