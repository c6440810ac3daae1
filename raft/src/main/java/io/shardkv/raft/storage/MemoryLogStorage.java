package io.shardkv.raft.storage;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.HardState;
import io.shardkv.raft.core.LogStorage;
import io.shardkv.raft.core.Snapshot;
import io.shardkv.raft.core.SnapshotMetadata;
import java.util.ArrayList;
import java.util.List;

/**
 * A log kept in memory: for tests and the deterministic simulation, where it plays the part of
 * the disk (whatever was written here survives a simulated crash). Not thread-safe.
 *
 * <p>Invariant: {@code entries.get(0)} is a placeholder holding the index and term of the
 * compaction point (the last snapshot); real entries follow contiguously.
 */
public final class MemoryLogStorage implements LogStorage {
    private HardState hardState = HardState.EMPTY;
    private Snapshot snapshot = new Snapshot(SnapshotMetadata.EMPTY, new byte[0]);
    private final List<Entry> entries = new ArrayList<>();
    /** When set, {@link #snapshot(long)} answers "temporarily unavailable" (as while building one). */
    private boolean snapshotUnavailable;

    public MemoryLogStorage() {
        entries.add(Entry.noOp(0, 0));
    }

    /** See {@link GroupBootstrap}. */
    public static final long BOOTSTRAP_INDEX = GroupBootstrap.INDEX;
    public static final long BOOTSTRAP_TERM = GroupBootstrap.TERM;

    /**
     * Storage that already holds {@code confState} as the membership at index 0, with an empty
     * log. For tests that create every replica of a group with its full membership; a replica
     * added to a running group later must not start this way (see {@link #bootstrap}).
     */
    public static MemoryLogStorage withMembership(ConfState confState) {
        MemoryLogStorage s = new MemoryLogStorage();
        s.snapshot = new Snapshot(new SnapshotMetadata(0, 0, confState), new byte[0]);
        return s;
    }

    /**
     * Storage for an initial member of a brand-new group whose members are {@code confState}:
     * an empty state-machine snapshot at {@link #BOOTSTRAP_INDEX} holding the membership, already
     * committed. A replica added to a running group starts from {@code new MemoryLogStorage()}.
     */
    public static MemoryLogStorage bootstrap(ConfState confState) {
        MemoryLogStorage s = new MemoryLogStorage();
        s.snapshot = new Snapshot(new SnapshotMetadata(BOOTSTRAP_INDEX, BOOTSTRAP_TERM, confState), new byte[0]);
        s.entries.set(0, Entry.noOp(BOOTSTRAP_TERM, BOOTSTRAP_INDEX));
        s.hardState = new HardState(BOOTSTRAP_TERM, 0, BOOTSTRAP_INDEX);
        return s;
    }

    @Override
    public InitialState initialState() {
        return new InitialState(hardState, snapshot.metadata().confState(), snapshot.index());
    }

    @Override
    public List<Entry> entries(long lo, long hi, long maxBytes) {
        long offset = entries.get(0).index();
        if (lo <= offset || hi > lastIndex() + 1 || lo > hi) {
            throw new IllegalArgumentException("entries [" + lo + "," + hi + ") outside [" + (offset + 1) + ","
                    + (lastIndex() + 1) + ")");
        }
        List<Entry> out = new ArrayList<>();
        long bytes = 0;
        for (long i = lo; i < hi; i++) {
            Entry e = entries.get((int) (i - offset));
            if (!out.isEmpty() && bytes + e.payloadBytes() > maxBytes) {
                break;
            }
            bytes += e.payloadBytes();
            out.add(e);
        }
        return out;
    }

    @Override
    public long term(long index) {
        long offset = entries.get(0).index();
        if (index < offset || index > lastIndex()) {
            throw new IllegalArgumentException("term of " + index + " outside [" + offset + "," + lastIndex() + "]");
        }
        return entries.get((int) (index - offset)).term();
    }

    @Override
    public long firstIndex() {
        return entries.get(0).index() + 1;
    }

    @Override
    public long lastIndex() {
        return entries.get(0).index() + entries.size() - 1;
    }

    @Override
    public SnapshotResult snapshot(long requestIndex) {
        if (snapshotUnavailable || snapshot.index() == 0) {
            return new SnapshotResult.TemporarilyUnavailable();
        }
        return new SnapshotResult.Available(snapshot);
    }

    public void setSnapshotUnavailable(boolean unavailable) {
        this.snapshotUnavailable = unavailable;
    }

    public HardState hardState() {
        return hardState;
    }

    public void setHardState(HardState hs) {
        this.hardState = hs;
    }

    public Snapshot latestSnapshot() {
        return snapshot;
    }

    /** Appends entries, overwriting any stored suffix from the first new index. */
    public void append(List<Entry> newEntries) {
        if (newEntries.isEmpty()) {
            return;
        }
        long first = newEntries.get(0).index();
        long offset = entries.get(0).index();
        if (first <= offset) {
            throw new IllegalStateException("append at " + first + " at or below compaction point " + offset);
        }
        if (first > lastIndex() + 1) {
            throw new IllegalStateException("append at " + first + " leaves a gap after " + lastIndex());
        }
        int keep = (int) (first - offset);
        entries.subList(keep, entries.size()).clear();
        for (Entry e : newEntries) {
            if (e.index() != offset + entries.size()) {
                throw new IllegalStateException("non-contiguous entry " + e.index());
            }
            entries.add(e);
        }
    }

    /** Replaces the whole log with a snapshot received from a leader. */
    public void applySnapshot(Snapshot s) {
        if (s.index() <= snapshot.index()) {
            throw new IllegalStateException("snapshot " + s.index() + " is older than " + snapshot.index());
        }
        snapshot = s;
        entries.clear();
        entries.add(Entry.noOp(s.term(), s.index()));
    }

    /**
     * Records a snapshot of the local state machine at {@code index} (already applied) and
     * keeps the log as it is; call {@link #compact(long)} to drop entries.
     */
    public void createSnapshot(long index, ConfState confState, byte[] data) {
        if (index <= snapshot.index()) {
            return;
        }
        if (index > lastIndex()) {
            throw new IllegalStateException("snapshot at " + index + " beyond last index " + lastIndex());
        }
        snapshot = new Snapshot(new SnapshotMetadata(index, term(index), confState), data);
    }

    /** Drops entries up to and including {@code index}; the entry there becomes the placeholder. */
    public void compact(long index) {
        long offset = entries.get(0).index();
        if (index <= offset) {
            return;
        }
        if (index > lastIndex()) {
            throw new IllegalStateException("compact " + index + " beyond last index " + lastIndex());
        }
        Entry placeholder = Entry.noOp(term(index), index);
        entries.subList(0, (int) (index - offset) + 1).clear();
        entries.add(0, placeholder);
    }
}
