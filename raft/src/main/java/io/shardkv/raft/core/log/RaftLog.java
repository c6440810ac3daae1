package io.shardkv.raft.core.log;

import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.EntryType;
import io.shardkv.raft.core.LogStorage;
import io.shardkv.raft.core.Snapshot;
import java.util.ArrayList;
import java.util.List;

/**
 * The replicated log as the core sees it: durable entries in {@link LogStorage} followed by
 * unstable ones not yet persisted, plus the commit and applied indexes.
 *
 * <p>Invariant: {@code applied <= committed <= lastIndex()}.
 */
public final class RaftLog {
    private final LogStorage storage;
    private final UnstableLog unstable;
    private long committed;
    private long applied;
    private final long maxCommittedBytesPerReady;

    public RaftLog(LogStorage storage, long maxCommittedBytesPerReady) {
        this.storage = storage;
        this.unstable = new UnstableLog(storage.lastIndex() + 1);
        // Everything up to the compaction point was committed and applied before it was compacted.
        this.committed = storage.firstIndex() - 1;
        this.applied = storage.firstIndex() - 1;
        this.maxCommittedBytesPerReady = maxCommittedBytesPerReady;
    }

    public long firstIndex() {
        long i = unstable.maybeFirstIndex();
        return i >= 0 ? i : storage.firstIndex();
    }

    public long lastIndex() {
        long i = unstable.maybeLastIndex();
        return i >= 0 ? i : storage.lastIndex();
    }

    public long lastTerm() {
        long t = termOrZero(lastIndex());
        if (t == 0 && lastIndex() > 0) {
            throw new IllegalStateException("term of last index " + lastIndex() + " unknown");
        }
        return t;
    }

    /**
     * The term at {@code index}, or 0 when the index is compacted away or beyond the log. Index 0
     * has term 0 by definition.
     */
    public long termOrZero(long index) {
        long dummy = firstIndex() - 1;
        if (index < dummy || index > lastIndex()) {
            return 0;
        }
        long t = unstable.maybeTerm(index);
        if (t >= 0) {
            return t;
        }
        if (index < storage.firstIndex() - 1) {
            return 0;
        }
        return storage.term(index);
    }

    /** Whether the log holds an entry at {@code index} with {@code term}. */
    public boolean matchTerm(long index, long term) {
        if (index == 0) {
            return term == 0;
        }
        long t = termOrZero(index);
        return t != 0 && t == term;
    }

    /** Whether the log can still provide the term of {@code index} (not compacted away). */
    public boolean termAvailable(long index) {
        return index >= firstIndex() - 1 && index <= lastIndex();
    }

    /**
     * Appends a leader's entries that follow {@code (prevIndex, prevTerm)}, dropping any
     * conflicting suffix, and commits up to {@code leaderCommit}. Returns the index of the last
     * new entry, or -1 when the log does not contain the previous entry.
     */
    public long maybeAppend(long prevIndex, long prevTerm, long leaderCommit, List<Entry> entries) {
        if (!matchTerm(prevIndex, prevTerm)) {
            return -1;
        }
        long lastNew = prevIndex + entries.size();
        long conflict = findConflict(entries);
        if (conflict != 0) {
            if (conflict <= committed) {
                throw new IllegalStateException("entry " + conflict + " conflicts with committed entry, committed="
                        + committed);
            }
            int from = (int) (conflict - (prevIndex + 1));
            append(entries.subList(from, entries.size()));
        }
        commitTo(Math.min(leaderCommit, lastNew));
        return lastNew;
    }

    /** Appends entries after truncating anything from their first index; returns the new last index. */
    public long append(List<Entry> entries) {
        if (entries.isEmpty()) {
            return lastIndex();
        }
        long after = entries.get(0).index() - 1;
        if (after < committed) {
            throw new IllegalStateException("append after " + after + " is below committed " + committed);
        }
        unstable.truncateAndAppend(entries);
        return lastIndex();
    }

    /**
     * The index of the first entry whose term differs from the log (or that the log lacks), or 0
     * when all entries are already present.
     */
    long findConflict(List<Entry> entries) {
        for (Entry e : entries) {
            if (!matchTerm(e.index(), e.term())) {
                return e.index();
            }
        }
        return 0;
    }

    /**
     * The largest index at or below {@code index} whose term is at most {@code term}: the best
     * guess of where this log agrees with a log that has {@code term} at {@code index}. Stops at
     * the compaction point, where the term is unknown.
     */
    public long findConflictByTerm(long index, long term) {
        if (index > lastIndex()) {
            return index;
        }
        long first = firstIndex() - 1;
        for (long i = index; i > first; i--) {
            if (termOrZero(i) <= term) {
                return i;
            }
        }
        return first;
    }

    /** True when a log ending at (lastIndex, lastTerm) is at least as up to date as this one (5.4.1). */
    public boolean isUpToDate(long lastIdx, long lastTrm) {
        long myTerm = lastTerm();
        return lastTrm > myTerm || (lastTrm == myTerm && lastIdx >= lastIndex());
    }

    public void commitTo(long index) {
        if (index <= committed) {
            return;
        }
        if (index > lastIndex()) {
            throw new IllegalStateException("commit " + index + " is beyond last index " + lastIndex());
        }
        committed = index;
    }

    /** Commits {@code index} if it carries {@code term} (only current-term entries are counted, 5.4.2). */
    public boolean maybeCommit(long index, long term) {
        if (index > committed && termOrZero(index) == term) {
            commitTo(index);
            return true;
        }
        return false;
    }

    public void appliedTo(long index) {
        if (index == 0) {
            return;
        }
        if (index > committed || index < applied) {
            throw new IllegalStateException("applied " + index + " outside [" + applied + "," + committed + "]");
        }
        applied = index;
    }

    public boolean hasNextCommittedEntries() {
        return !hasPendingSnapshot() && committed > applied;
    }

    /** Committed entries not yet handed to the application, bounded in bytes. */
    public List<Entry> nextCommittedEntries() {
        return nextCommittedEntries(maxCommittedBytesPerReady);
    }

    /** As {@link #nextCommittedEntries()}, within {@code maxBytes} too (at least one entry if any). */
    public List<Entry> nextCommittedEntries(long maxBytes) {
        if (hasPendingSnapshot() || committed <= applied) {
            return List.of();
        }
        long lo = Math.max(applied + 1, firstIndex());
        return slice(lo, committed + 1, Math.min(maxBytes, maxCommittedBytesPerReady));
    }

    /** Entries from {@code lo} to the end of the log, bounded in bytes (at least one if any). */
    public List<Entry> entriesFrom(long lo, long maxBytes) {
        if (lo > lastIndex()) {
            return List.of();
        }
        return slice(lo, lastIndex() + 1, maxBytes);
    }

    /**
     * Whether a membership change may lie in {@code (lo, hi]} (what the log still holds of it).
     * Looks at no more than {@code maxEntries} entries and {@code maxBytes} of them: beyond that
     * it answers true without looking, which costs the caller an fsync, not a large read.
     */
    public boolean mayHaveConfChangeIn(long lo, long hi, int maxEntries, long maxBytes) {
        long from = Math.max(lo + 1, firstIndex());
        if (from > hi) {
            return false;
        }
        if (hi - from + 1 > maxEntries) {
            return true;
        }
        List<Entry> entries = slice(from, hi + 1, maxBytes);
        if (entries.size() < hi - from + 1) {
            return true;
        }
        for (Entry e : entries) {
            if (e.type() == EntryType.CONF_CHANGE) {
                return true;
            }
        }
        return false;
    }

    /** Entries in {@code [lo, hi)}, at least one when non-empty, then up to {@code maxBytes}. */
    public List<Entry> slice(long lo, long hi, long maxBytes) {
        if (lo < firstIndex() || hi > lastIndex() + 1 || lo > hi) {
            throw new IllegalStateException("slice [" + lo + "," + hi + ") outside [" + firstIndex() + ","
                    + (lastIndex() + 1) + ")");
        }
        if (lo == hi) {
            return List.of();
        }
        List<Entry> out = new ArrayList<>();
        long bytes = 0;
        long unstableStart = unstable.offset();
        if (lo < unstableStart) {
            List<Entry> stored = storage.entries(lo, Math.min(hi, unstableStart), maxBytes);
            for (Entry e : stored) {
                bytes += e.payloadBytes();
                out.add(e);
            }
            if (out.size() < Math.min(hi, unstableStart) - lo) {
                return out;
            }
        }
        if (hi > unstableStart) {
            for (Entry e : unstable.slice(Math.max(lo, unstableStart), hi)) {
                if (!out.isEmpty() && bytes + e.payloadBytes() > maxBytes) {
                    break;
                }
                bytes += e.payloadBytes();
                out.add(e);
            }
        }
        return out;
    }

    public List<Entry> unstableEntries() {
        return List.copyOf(unstable.entries());
    }

    public boolean hasPendingSnapshot() {
        return unstable.snapshot() != null;
    }

    public Snapshot pendingSnapshot() {
        return unstable.snapshot();
    }

    /**
     * The last index known durable here: the entries before the unstable ones. 0 while a received
     * snapshot waits to be persisted (nothing after it is durable yet).
     */
    public long lastStableIndex() {
        return unstable.snapshot() != null ? 0 : unstable.offset() - 1;
    }

    public void stableTo(long index, long term) {
        unstable.stableTo(index, term);
    }

    public void stableSnapshotTo(long index) {
        unstable.stableSnapshotTo(index);
    }

    /** Replaces the log with a snapshot received from the leader. */
    public void restore(Snapshot snapshot) {
        committed = snapshot.index();
        unstable.restore(snapshot);
    }

    /** Marks a restored snapshot as applied once the owner has installed it. */
    public void appliedSnapshot(long index) {
        applied = Math.max(applied, index);
    }

    public long committed() {
        return committed;
    }

    public long applied() {
        return applied;
    }

    public LogStorage storage() {
        return storage;
    }

    @Override
    public String toString() {
        return "RaftLog{first=" + firstIndex() + " last=" + lastIndex() + " committed=" + committed
                + " applied=" + applied + " unstable@" + unstable.offset() + "+" + unstable.entries().size() + "}";
    }
}
