package io.shardkv.raft.storage;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.HardState;
import io.shardkv.raft.core.LogStorage;
import io.shardkv.raft.core.Snapshot;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.rocksdb.RocksDBException;

/**
 * One group's log in the shared {@link RocksLogEngine}: the {@link LogStorage} the group's core
 * reads, with the same semantics as {@code MemoryLogStorage}. Obtained from the engine; written
 * only through the engine ({@link RocksLogEngine#write(LogBatch)}, {@link
 * RocksLogEngine#compact(long, long)}), which updates this view after each write succeeds.
 *
 * <p>Reads come from a bounded cache of the newest entries, then from RocksDB.
 *
 * <p>Threads: the index and state accessors may be called from any thread and see the group as
 * of its last completed write. Entries and terms are read by the group's owner (the poller
 * running its core), which is also the only thread that changes its log; a read that races with
 * a compaction of the same range fails with {@link IllegalArgumentException}, as if it came after.
 */
public final class RocksGroupStorage implements GroupLog {
    private final long groupId;
    private final RocksLogDb db;
    private final EntryCache cache;
    /** The durable state of the group; replaced, never mutated, after each successful write. */
    private volatile GroupLogMeta meta;
    private volatile SnapshotSource snapshotSource = SnapshotSource.NONE;
    /** Written by the group's writer only; read by its applier (an estimate, so no lock). */
    private volatile long appendedBytes;
    private volatile long appendedEntries;
    private volatile boolean destroyed;
    /** Set while a write of this group is in progress, to catch two threads writing one group. */
    private final AtomicBoolean writing = new AtomicBoolean();

    RocksGroupStorage(long groupId, RocksLogDb db, EntryCache cache, GroupLogMeta meta) {
        this.groupId = groupId;
        this.db = db;
        this.cache = cache;
        this.meta = meta;
    }

    /** The Raft group whose log this is. */
    @Override
    public long groupId() {
        return groupId;
    }

    @Override
    public InitialState initialState() {
        GroupLogMeta m = meta();
        return new InitialState(m.hardState(), m.state().confState());
    }

    /** The last persisted hard state. */
    public HardState hardState() {
        return meta().hardState();
    }

    /** The membership at the truncation point ({@code firstIndex() - 1}). */
    public ConfState confState() {
        return meta().state().confState();
    }

    @Override
    public long firstIndex() {
        return meta().firstIndex();
    }

    @Override
    public long lastIndex() {
        return meta().lastIndex();
    }

    @Override
    public List<Entry> entries(long lo, long hi, long maxBytes) {
        GroupLogMeta m = meta();
        if (lo <= m.truncatedIndex() || hi > m.lastIndex() + 1 || lo > hi) {
            throw new IllegalArgumentException("group " + groupId + ": entries [" + lo + "," + hi + ") outside ["
                    + m.firstIndex() + "," + (m.lastIndex() + 1) + ")");
        }
        EntrySink sink = new EntrySink(maxBytes);
        long next = lo;
        while (next < hi && !sink.isFull()) {
            next = cache.drainInto(next, hi, sink);
            if (next >= hi || sink.isFull()) {
                break;
            }
            // Not cached: read from disk up to where the cache begins (it may have been evicted
            // meanwhile; then the loop comes back here for the rest).
            long cacheFirst = cache.firstIndex();
            long diskHi = cacheFirst > next ? Math.min(hi, cacheFirst) : hi;
            long read;
            try {
                read = db.readEntries(groupId, next, diskHi, sink);
            } catch (RocksDBException e) {
                throw new LogEngineException("cannot read entries [" + next + "," + diskHi + ") of group " + groupId
                        + ": " + e.getMessage(), Set.of(groupId), e);
            }
            if (read < diskHi && !sink.isFull()) {
                throw missingEntry(read);
            }
            next = read;
        }
        return sink.entries();
    }

    @Override
    public long term(long index) {
        GroupLogMeta m = meta();
        if (index < m.truncatedIndex() || index > m.lastIndex()) {
            throw new IllegalArgumentException("group " + groupId + ": term of " + index + " outside ["
                    + m.truncatedIndex() + "," + m.lastIndex() + "]");
        }
        if (index == m.truncatedIndex()) {
            return m.state().truncatedTerm();
        }
        if (index == m.lastIndex()) {
            return m.lastTerm();
        }
        long term = cache.termOrMinusOne(index);
        if (term >= 0) {
            return term;
        }
        try {
            term = db.readTerm(groupId, index);
        } catch (RocksDBException e) {
            throw new LogEngineException("cannot read the term of entry " + index + " of group " + groupId + ": "
                    + e.getMessage(), Set.of(groupId), e);
        }
        if (term < 0) {
            throw missingEntry(index);
        }
        return term;
    }

    /** Asks the {@link SnapshotSource} (see {@link SnapshotSource#answer}). */
    @Override
    public SnapshotResult snapshot(long requestIndex) {
        return SnapshotSource.answer(snapshotSource, groupId, requestIndex, firstIndex());
    }

    /** Sets where {@link #snapshot(long)} gets snapshots; {@link SnapshotSource#NONE} until the runtime sets one. */
    @Override
    public void setSnapshotSource(SnapshotSource source) {
        if (source == null) {
            throw new IllegalArgumentException("group " + groupId + ": snapshot source is null");
        }
        this.snapshotSource = source;
    }

    // ---------------------------------------------------------------- used by the engine

    GroupLogMeta meta() {
        GroupLogMeta m = meta;
        if (destroyed) {
            throw new IllegalStateException("group " + groupId + " was destroyed");
        }
        return m;
    }

    EntryCache cache() {
        return cache;
    }

    /** Marks the start of a write; two writes of one group at once mean its owner is not alone. */
    void beginWrite() {
        if (!writing.compareAndSet(false, true)) {
            throw new IllegalStateException("group " + groupId + " is already being written by another thread; a"
                    + " group's writes must come from its owner one at a time");
        }
        if (destroyed) {
            writing.set(false);
            throw new IllegalStateException("group " + groupId + " was destroyed");
        }
    }

    void endWrite() {
        writing.set(false);
    }

    /** Publishes the state after a successful batch write. */
    void afterWrite(GroupLogMeta next, LogBatch.GroupWrite w) {
        // The cache changes before the new state is published, so a reader that sees the new
        // state never finds entries in the cache that the write replaced.
        if (w.snapshot != null) {
            cache.clear();
        }
        cache.append(w.entries);
        for (Entry e : w.entries) {
            appendedBytes += EntryCodec.HEADER_BYTES + LogKeys.LOG_KEY_BYTES + e.data().length;
        }
        appendedEntries += w.entries.size();
        meta = next;
    }

    /**
     * The average stored size of the entries appended since open (key, header and data), or 0
     * before the first append: what log retention counts bytes with.
     */
    @Override
    public long averageEntryBytes() {
        long n = appendedEntries;
        return n == 0 ? 0 : Math.max(1, appendedBytes / n);
    }

    /** Publishes the state after a successful compaction through {@code index}. */
    void afterCompaction(GroupLogMeta next, long index) {
        cache.dropThrough(index);
        meta = next;
    }

    void markDestroyed() {
        destroyed = true;
        cache.clear();
    }

    private RuntimeException missingEntry(long index) {
        GroupLogMeta now = meta();
        if (index <= now.truncatedIndex()) {
            return new IllegalArgumentException("group " + groupId + ": entry " + index
                    + " was compacted while being read; first index is now " + now.firstIndex());
        }
        return new IllegalStateException("group " + groupId + ": entry " + index + " is missing from disk though"
                + " the log is [" + now.firstIndex() + "," + now.lastIndex() + "]");
    }

    @Override
    public String toString() {
        GroupLogMeta m = meta;
        return "RocksGroupStorage{group=" + groupId + " log=[" + m.firstIndex() + "," + m.lastIndex() + "] "
                + m.hardState() + " cached=" + cache.size() + "}";
    }
}
