package io.shardkv.raft.storage;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.HardState;

/**
 * What the log engine persists per group in the {@code state} column family, besides the entries
 * themselves: the hard state, the truncation point (the snapshot or compaction point, whose
 * entry is gone but whose term is kept for matching) and the membership at that point.
 *
 * <p>The membership is the one in force at {@code truncatedIndex}, not the latest: on restart
 * the core starts from it and replays the membership changes in the log after that index.
 *
 * @param hardState      the last persisted hard state
 * @param truncatedIndex index of the last entry removed by a snapshot or compaction; 0 if none
 * @param truncatedTerm  term of the entry at {@code truncatedIndex}; 0 if none
 * @param confState      membership at {@code truncatedIndex}
 */
record GroupState(HardState hardState, long truncatedIndex, long truncatedTerm, ConfState confState) {

    GroupState {
        if (hardState == null || confState == null) {
            throw new IllegalArgumentException("hard state and conf state are required");
        }
        if (truncatedIndex < 0 || truncatedTerm < 0) {
            throw new IllegalArgumentException("negative truncation point " + truncatedIndex + "@" + truncatedTerm);
        }
    }

    /** The state of a new group whose initial members are {@code confState} (empty for a replica added later). */
    static GroupState bootstrap(ConfState confState) {
        return new GroupState(HardState.EMPTY, 0, 0, confState);
    }

    long firstIndex() {
        return truncatedIndex + 1;
    }

    GroupState withHardState(HardState hs) {
        return new GroupState(hs, truncatedIndex, truncatedTerm, confState);
    }

    GroupState withTruncation(long index, long term, ConfState cs) {
        return new GroupState(hardState, index, term, cs);
    }
}
