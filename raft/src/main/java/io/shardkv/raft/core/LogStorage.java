package io.shardkv.raft.core;

import java.util.List;

/**
 * The core's read-only view of a replica's durable log (the TiKV PeerStorage contract). The
 * owner writes to it while processing a {@link Ready}; the core only reads. The owner must not
 * compact or rewrite the log between {@link RawNode#ready()} and {@link RawNode#advance(Ready)}
 * in a way that removes entries above the applied index.
 *
 * <p>Index ranges: entries exist for {@code [firstIndex(), lastIndex()]}; the term of
 * {@code firstIndex() - 1} (the snapshot or compaction point) is also known. An empty log has
 * {@code lastIndex() == firstIndex() - 1}.
 */
public interface LogStorage {

    /** Hard state and membership as of the last persisted state; read once at start. */
    InitialState initialState();

    /**
     * Entries in {@code [lo, hi)}, stopping once {@code maxBytes} would be exceeded but always
     * returning at least one entry when the range is non-empty.
     *
     * @throws IllegalArgumentException if the range is outside {@code [firstIndex, lastIndex + 1]}
     */
    List<Entry> entries(long lo, long hi, long maxBytes);

    /**
     * The term of the entry at {@code index}.
     *
     * @throws IllegalArgumentException if index is outside {@code [firstIndex - 1, lastIndex]}
     */
    long term(long index);

    long firstIndex();

    long lastIndex();

    /**
     * A snapshot at or after {@code requestIndex}, to send to a follower that needs entries that
     * were compacted away. Building one may take time; until it is ready the storage answers
     * {@link SnapshotResult.TemporarilyUnavailable} and the core asks again later.
     */
    SnapshotResult snapshot(long requestIndex);

    /**
     * What the storage held when the replica started.
     *
     * @param confState      the membership after applying every entry up to {@code confStateIndex}
     * @param confStateIndex the index {@code confState} describes, normally the latest snapshot's.
     *                       The log may still hold entries at or below it (a retained tail); the
     *                       core replays only membership changes after it.
     */
    record InitialState(HardState hardState, ConfState confState, long confStateIndex) {
        /** For storages whose membership describes the compaction point ({@code firstIndex() - 1}). */
        public InitialState(HardState hardState, ConfState confState) {
            this(hardState, confState, 0);
        }
    }

    /** Result of asking storage for a snapshot. */
    sealed interface SnapshotResult {
        record Available(Snapshot snapshot) implements SnapshotResult {
        }

        record TemporarilyUnavailable() implements SnapshotResult {
        }
    }
}
