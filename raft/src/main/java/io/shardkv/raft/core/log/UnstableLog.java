package io.shardkv.raft.core.log;

import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.Snapshot;
import java.util.ArrayList;
import java.util.List;

/**
 * Entries and a snapshot that the core has accepted but the owner has not yet persisted.
 *
 * <p>Invariant: entries, when present, are contiguous starting at {@code offset}; a pending
 * snapshot, when present, has index {@code offset - 1}.
 */
final class UnstableLog {
    private Snapshot snapshot;
    private List<Entry> entries = new ArrayList<>();
    private long offset;

    UnstableLog(long offset) {
        this.offset = offset;
    }

    /** First index implied by a pending snapshot, or -1. */
    long maybeFirstIndex() {
        return snapshot == null ? -1 : snapshot.index() + 1;
    }

    /** Last index held here, or -1 when nothing is pending. */
    long maybeLastIndex() {
        if (!entries.isEmpty()) {
            return offset + entries.size() - 1;
        }
        return snapshot == null ? -1 : snapshot.index();
    }

    /** Term at {@code index} if known here, or -1. */
    long maybeTerm(long index) {
        if (index < offset) {
            return snapshot != null && snapshot.index() == index ? snapshot.term() : -1;
        }
        long last = maybeLastIndex();
        if (last < 0 || index > last) {
            return -1;
        }
        return entries.get((int) (index - offset)).term();
    }

    /** The owner persisted entries up to {@code index} with {@code term}; drop them from here. */
    void stableTo(long index, long term) {
        long t = maybeTerm(index);
        if (t != term || index < offset) {
            // Superseded by a newer append in the meantime; those entries stay unstable.
            return;
        }
        int persisted = (int) (index + 1 - offset);
        entries = new ArrayList<>(entries.subList(persisted, entries.size()));
        offset = index + 1;
    }

    void stableSnapshotTo(long index) {
        if (snapshot != null && snapshot.index() == index) {
            snapshot = null;
        }
    }

    void restore(Snapshot s) {
        offset = s.index() + 1;
        entries = new ArrayList<>();
        snapshot = s;
    }

    void truncateAndAppend(List<Entry> newEntries) {
        long first = newEntries.get(0).index();
        if (first == offset + entries.size()) {
            entries.addAll(newEntries);
        } else if (first <= offset) {
            // Replaces everything unstable; the storage suffix from `first` is overwritten when
            // these entries are persisted.
            offset = first;
            entries = new ArrayList<>(newEntries);
        } else {
            List<Entry> kept = new ArrayList<>(entries.subList(0, (int) (first - offset)));
            kept.addAll(newEntries);
            entries = kept;
        }
    }

    /** Entries in {@code [lo, hi)}; the range must lie within this unstable log. */
    List<Entry> slice(long lo, long hi) {
        if (lo > hi || lo < offset || hi > offset + entries.size()) {
            throw new IllegalStateException("unstable slice [" + lo + "," + hi + ") outside [" + offset + ","
                    + (offset + entries.size()) + ")");
        }
        return entries.subList((int) (lo - offset), (int) (hi - offset));
    }

    List<Entry> entries() {
        return entries;
    }

    Snapshot snapshot() {
        return snapshot;
    }

    long offset() {
        return offset;
    }
}
