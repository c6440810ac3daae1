package io.shardkv.raft.storage;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.HardState;
import io.shardkv.raft.core.Snapshot;
import io.shardkv.raft.core.SnapshotMetadata;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * The log engine of a server: ONE RocksDB holding the Raft logs and persisted state of every group
 * the server hosts (the raft-engine idea of TiKV and eRaft). A thousand groups cost one WAL and one
 * fsync per poller cycle, not a thousand.
 *
 * <p>On-disk format (see {@link LogKeys}, {@link EntryCodec}, {@link GroupStateCodec}):
 * <ul>
 *   <li>column family {@code log}: {@code groupId (8 bytes BE) | index (8 bytes BE)} to
 *       {@code term (8 bytes BE) | type (1 byte) | data};</li>
 *   <li>column family {@code state}: {@code groupId (8 bytes BE)} to the group's hard state,
 *       truncation point (index and term) and the membership at that point.</li>
 * </ul>
 * A group's entries are exactly {@code [truncatedIndex + 1, lastIndex]}; the last index is not
 * stored but found at open with a seek to the end of the group's key range, so opening costs a
 * few seeks per group, not a scan of the logs.
 *
 * <p>Writes: {@link #write(LogBatch)} (one synced write for many groups), {@link #compact(long,
 * long)}, {@link #createGroup}, {@link #destroyGroup}. Each is one atomic RocksDB write batch,
 * synced before it returns, and updates the in-memory view of the groups only after RocksDB
 * accepted it; a failed write throws {@link LogEngineException} naming the groups, whose
 * in-memory view stays as before. Synced writes of several pollers that arrive together share an
 * fsync too: RocksDB commits concurrent writers as one group.
 *
 * <p>Threads: safe for concurrent use by several pollers, each writing its own groups; one
 * group's writes come from one thread at a time (its owner), which the engine checks. {@link
 * #close()} must come after every user has stopped.
 */
public final class RocksLogEngine implements LogEngine, AutoCloseable {
    private final RocksLogDb db;
    private final RocksLogEngineConfig config;
    private final EntryCacheBudget cacheBudget;
    private final ConcurrentSkipListMap<Long, RocksGroupStorage> groups = new ConcurrentSkipListMap<>();
    /**
     * Serialises creating and destroying groups, which are rare, so that two of them for one id
     * cannot interleave. It is held across their fsync, but never taken by log writes or reads.
     */
    private final Object lifecycleLock = new Object();
    /** The group the last cross-group eviction stopped at; the next one starts after it. */
    private final AtomicLong evictionCursor = new AtomicLong(-1);
    private volatile boolean closed;

    private RocksLogEngine(RocksLogDb db, RocksLogEngineConfig config) {
        this.db = db;
        this.config = config;
        this.cacheBudget = new EntryCacheBudget(config.maxCacheBytesTotal());
    }

    /** Opens (or creates) the engine in {@code dir} with default settings. */
    public static RocksLogEngine open(Path dir) {
        return open(dir, RocksLogEngineConfig.defaults());
    }

    /**
     * Opens (or creates) the engine in {@code dir} and recovers every group's state and log bounds.
     *
     * @throws LogEngineException    if RocksDB cannot be opened or read
     * @throws IllegalStateException if the stored data breaks the format's invariants
     */
    public static RocksLogEngine open(Path dir, RocksLogEngineConfig config) {
        RocksLogDb db = RocksLogDb.open(dir, config);
        try {
            RocksLogEngine engine = new RocksLogEngine(db, config);
            engine.recoverGroups();
            return engine;
        } catch (RocksDBException e) {
            db.close();
            throw new LogEngineException("cannot recover log engine at " + dir + ": " + e.getMessage(), Set.of(), e);
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
    }

    private void recoverGroups() throws RocksDBException {
        Map<Long, GroupState> states = db.loadStates();
        Map<Long, RocksLogDb.LogBounds> bounds = db.scanLogBounds();
        for (long groupId : bounds.keySet()) {
            if (!states.containsKey(groupId)) {
                throw new IllegalStateException("log entries of group " + groupId + " without a state record in "
                        + db.dir());
            }
        }
        for (Map.Entry<Long, GroupState> e : states.entrySet()) {
            long groupId = e.getKey();
            GroupLogMeta meta = recoveredMeta(groupId, e.getValue(), bounds.get(groupId));
            groups.put(groupId, newStorage(groupId, meta));
        }
    }

    private static GroupLogMeta recoveredMeta(long groupId, GroupState state, RocksLogDb.LogBounds b) {
        GroupLogMeta meta;
        if (b == null) {
            meta = GroupLogMeta.emptyLog(state);
        } else if (b.firstIndex() != state.truncatedIndex() + 1) {
            throw new IllegalStateException("group " + groupId + ": first stored entry is " + b.firstIndex()
                    + " but the log was truncated at " + state.truncatedIndex());
        } else {
            meta = new GroupLogMeta(state, b.lastIndex(), b.lastTerm());
        }
        if (state.hardState().commit() > meta.lastIndex()) {
            throw new IllegalStateException("group " + groupId + ": stored commit " + state.hardState().commit()
                    + " beyond last index " + meta.lastIndex());
        }
        return meta;
    }

    private RocksGroupStorage newStorage(long groupId, GroupLogMeta meta) {
        return new RocksGroupStorage(groupId, db, new EntryCache(config.maxCacheBytesPerGroup(), cacheBudget), meta);
    }

    // ---------------------------------------------------------------- groups

    /**
     * Creates a group whose initial members are {@code initialMembers} (bootstrapping a new group),
     * or with {@link ConfState#EMPTY} for a replica that will receive a snapshot from its leader.
     * Durable when this returns.
     *
     * @throws IllegalStateException if the group already exists
     */
    @Override
    public RocksGroupStorage createGroup(long groupId, ConfState initialMembers) {
        LogKeys.checkGroupId(groupId);
        checkOpen();
        synchronized (lifecycleLock) {
            if (groups.containsKey(groupId)) {
                throw new IllegalStateException("group " + groupId + " already exists");
            }
            GroupState state = GroupState.bootstrap(initialMembers);
            try (WriteBatch wb = new WriteBatch()) {
                wb.put(db.stateCf(), LogKeys.groupKey(groupId), GroupStateCodec.encode(state));
                db.writeSynced(wb);
            } catch (RocksDBException e) {
                throw new LogEngineException("cannot create group " + groupId + ": " + e.getMessage(), Set.of(groupId), e);
            }
            RocksGroupStorage storage = newStorage(groupId, GroupLogMeta.emptyLog(state));
            groups.put(groupId, storage);
            return storage;
        }
    }

    /** Creates an empty group: a replica added later, which starts from its leader's snapshot. */
    @Override
    public RocksGroupStorage createGroup(long groupId) {
        return createGroup(groupId, ConfState.EMPTY);
    }

    /** The group's storage, if the group exists. */
    @Override
    public Optional<RocksGroupStorage> group(long groupId) {
        return Optional.ofNullable(groups.get(groupId));
    }

    /** The ids of all groups, in increasing order. */
    @Override
    public List<Long> groupIds() {
        return new ArrayList<>(groups.keySet());
    }

    /**
     * Deletes the group's log and state. Durable when this returns; the group's storage object
     * refuses all use afterwards.
     */
    @Override
    public void destroyGroup(long groupId) {
        checkOpen();
        synchronized (lifecycleLock) {
            RocksGroupStorage storage = groupOrThrow(groupId);
            storage.beginWrite();
            try (WriteBatch wb = new WriteBatch()) {
                wb.deleteRange(db.logCf(), LogKeys.groupKey(groupId), LogKeys.groupEndKey(groupId));
                wb.delete(db.stateCf(), LogKeys.groupKey(groupId));
                wb.delete(db.snapshotCf(), LogKeys.groupKey(groupId));
                db.writeSynced(wb);
                groups.remove(groupId);
                storage.markDestroyed();
            } catch (RocksDBException e) {
                throw new LogEngineException("cannot destroy group " + groupId + ": " + e.getMessage(), Set.of(groupId), e);
            } finally {
                storage.endWrite();
            }
        }
    }

    /**
     * Empties a group's log as if the replica had just been added: no entries, no kept snapshot,
     * no membership, so its leader catches it up with a snapshot. The term and vote are kept,
     * so the replica can never vote twice in a term. For a replica whose state machine lost what
     * the log no longer holds. Durable when this returns; the group's old storage object refuses
     * all use afterwards.
     */
    @Override
    public RocksGroupStorage resetGroup(long groupId) {
        checkOpen();
        synchronized (lifecycleLock) {
            RocksGroupStorage old = groupOrThrow(groupId);
            old.beginWrite();
            try {
                HardState hs = old.meta().hardState();
                GroupState state = GroupState.bootstrap(ConfState.EMPTY)
                        .withHardState(new HardState(hs.term(), hs.vote(), 0));
                try (WriteBatch wb = new WriteBatch()) {
                    wb.deleteRange(db.logCf(), LogKeys.groupKey(groupId), LogKeys.groupEndKey(groupId));
                    wb.delete(db.snapshotCf(), LogKeys.groupKey(groupId));
                    wb.put(db.stateCf(), LogKeys.groupKey(groupId), GroupStateCodec.encode(state));
                    db.writeSynced(wb);
                } catch (RocksDBException e) {
                    throw new LogEngineException("cannot reset group " + groupId + ": " + e.getMessage(),
                            Set.of(groupId), e);
                }
                old.markDestroyed();
                RocksGroupStorage fresh = newStorage(groupId, GroupLogMeta.emptyLog(state));
                groups.put(groupId, fresh);
                return fresh;
            } finally {
                old.endWrite();
            }
        }
    }

    /**
     * The snapshot last installed into the group's log, with its data, if the log still starts
     * right after it. A state machine found behind the log's start on restart (the process died
     * between the install and the state machine's restore) restores it from here.
     */
    @Override
    public Optional<Snapshot> installedSnapshot(long groupId) {
        checkOpen();
        RocksGroupStorage storage = groupOrThrow(groupId);
        byte[] blob;
        try {
            blob = db.get(db.snapshotCf(), LogKeys.groupKey(groupId));
        } catch (RocksDBException e) {
            throw new LogEngineException("cannot read the snapshot of group " + groupId + ": " + e.getMessage(),
                    Set.of(groupId), e);
        }
        if (blob == null) {
            return Optional.empty();
        }
        ByteBuffer b = ByteBuffer.wrap(blob);
        long index = b.getLong();
        long term = b.getLong();
        if (index != storage.firstIndex() - 1) {
            return Optional.empty();
        }
        byte[] data = Arrays.copyOfRange(blob, SNAPSHOT_HEADER_BYTES, blob.length);
        return Optional.of(new Snapshot(new SnapshotMetadata(index, term, storage.confState()), data));
    }

    /**
     * The data of every kept snapshot copy, by group, whether or not the log still starts right
     * after it: what must not be deleted before the groups are opened.
     */
    @Override
    public Map<Long, byte[]> keptSnapshotData() {
        checkOpen();
        Map<Long, byte[]> data = new java.util.TreeMap<>();
        try {
            db.loadKeptSnapshots().forEach((groupId, blob) ->
                    data.put(groupId, Arrays.copyOfRange(blob, SNAPSHOT_HEADER_BYTES, blob.length)));
        } catch (RocksDBException e) {
            throw new LogEngineException("cannot read the kept snapshots: " + e.getMessage(), Set.of(), e);
        }
        return data;
    }

    private static final int SNAPSHOT_HEADER_BYTES = 16;

    /** Index and term (big-endian longs), then the data. */
    private static byte[] encodeSnapshot(SnapshotMetadata s, byte[] data) {
        return ByteBuffer.allocate(SNAPSHOT_HEADER_BYTES + data.length).putLong(s.index()).putLong(s.term()).put(data)
                .array();
    }

    // ---------------------------------------------------------------- writes

    /**
     * Makes everything in {@code batch} durable with one atomic RocksDB write and one fsync, then
     * updates the groups' in-memory state and caches; a batch that only moves commit indexes
     * ({@link LogBatch#needsSync()} false) is written without the fsync. Empties the batch,
     * whether or not it succeeds.
     *
     * @throws LogEngineException    if RocksDB refused the write; nothing in memory changed, and
     *                               the exception names every group in the batch
     * @throws IllegalStateException if the batch does not fit a group's log (an append leaving a
     *                               gap or below the truncation point, an old snapshot, a commit
     *                               beyond the last index, an unknown group); nothing was written
     */
    @Override
    public void write(LogBatch batch) {
        checkOpen();
        if (batch.isEmpty()) {
            return;
        }
        List<LogBatch.GroupWrite> writes = new ArrayList<>(batch.writes());
        List<RocksGroupStorage> writing = new ArrayList<>(writes.size());
        List<GroupLogMeta> next = new ArrayList<>(writes.size());
        byte[] keyScratch = new byte[LogKeys.LOG_KEY_BYTES];
        try (WriteBatch wb = new WriteBatch()) {
            for (LogBatch.GroupWrite w : writes) {
                RocksGroupStorage storage = groupOrThrow(w.groupId);
                storage.beginWrite();
                writing.add(storage);
                next.add(plan(w, storage.meta(), wb, keyScratch));
            }
            try {
                if (batch.needsSync()) {
                    db.writeSynced(wb);
                } else {
                    db.writeUnsynced(wb);
                }
            } catch (RocksDBException e) {
                throw new LogEngineException("write of " + writes.size() + " groups failed: " + e.getMessage(),
                        groupIdsOf(writes), e);
            }
            for (int i = 0; i < writes.size(); i++) {
                writing.get(i).afterWrite(next.get(i), writes.get(i));
            }
        } catch (RocksDBException e) {
            // Only building the batch can get here (the write itself is handled above).
            throw new LogEngineException("cannot build write batch: " + e.getMessage(), groupIdsOf(writes), e);
        } finally {
            writing.forEach(RocksGroupStorage::endWrite);
            batch.clear();
        }
        evictCachesIfOverBudget();
    }

    /**
     * Adds one group's writes to {@code wb} and returns the group's state once they are durable.
     * Order: snapshot install, entries, hard state (see {@link LogBatch}).
     */
    private GroupLogMeta plan(LogBatch.GroupWrite w, GroupLogMeta current, WriteBatch wb, byte[] keyScratch)
            throws RocksDBException {
        long groupId = w.groupId;
        GroupLogMeta m = current;
        boolean stateChanged = false;
        if (w.snapshot != null) {
            SnapshotMetadata s = w.snapshot;
            m = m.afterInstall(groupId, s);
            wb.deleteRange(db.logCf(), LogKeys.groupKey(groupId), LogKeys.groupEndKey(groupId));
            if (w.snapshotData != null) {
                wb.put(db.snapshotCf(), LogKeys.groupKey(groupId), encodeSnapshot(s, w.snapshotData));
            } else {
                wb.delete(db.snapshotCf(), LogKeys.groupKey(groupId));
            }
            stateChanged = true;
        }
        if (!w.entries.isEmpty()) {
            long previousLast = m.lastIndex();
            m = m.afterAppend(groupId, w.entries);
            for (Entry e : w.entries) {
                LogKeys.encodeLogKey(keyScratch, groupId, e.index());
                wb.put(db.logCf(), keyScratch, EntryCodec.encode(e));
            }
            long last = m.lastIndex();
            if (last < previousLast) {
                // The new entries overwrite [first, last]; what followed them conflicts and goes.
                wb.deleteRange(db.logCf(), LogKeys.logKey(groupId, last + 1),
                        LogKeys.logKey(groupId, previousLast + 1));
            }
        }
        if (w.hardState != null) {
            m = m.withState(m.state().withHardState(w.hardState));
            stateChanged = true;
        }
        m.checkCommitWithinLog(groupId);
        if (stateChanged) {
            wb.put(db.stateCf(), LogKeys.groupKey(groupId), GroupStateCodec.encode(m.state()));
        }
        return m;
    }

    /**
     * Deletes the group's entries up to and including {@code index} and records {@code index} (with
     * its term, and the membership in force there) as the new truncation point. Durable when this
     * returns. Pick the index with a {@link RetentionPolicy}: never past what the state machine has
     * made durable.
     *
     * @throws IllegalArgumentException if {@code index} is below the first index, beyond the last
     *                                  index, or beyond the persisted commit index
     * @throws LogEngineException       if RocksDB refused the write
     */
    @Override
    public void compact(long groupId, long index) {
        checkOpen();
        RocksGroupStorage storage = groupOrThrow(groupId);
        storage.beginWrite();
        try {
            GroupLogMeta m = storage.meta();
            if (index < m.firstIndex() || index > m.lastIndex()) {
                throw new IllegalArgumentException("group " + groupId + ": cannot compact to " + index
                        + ", outside the log [" + m.firstIndex() + "," + m.lastIndex() + "]");
            }
            if (index > m.hardState().commit()) {
                throw new IllegalArgumentException("group " + groupId + ": cannot compact to " + index
                        + ", beyond the persisted commit index " + m.hardState().commit());
            }
            ConfState confState = ConfStateReplay.replay(groupId, storage, m.state().confState(),
                    m.firstIndex(), index);
            long term = storage.term(index);
            GroupLogMeta next = m.withState(m.state().withTruncation(index, term, confState));
            // Synced although losing it would only leave more log than needed: compactions are
            // rare, and a caller may then drop what the log no longer covers (old snapshots).
            try (WriteBatch wb = new WriteBatch()) {
                wb.deleteRange(db.logCf(), LogKeys.groupKey(groupId), LogKeys.logKey(groupId, index + 1));
                wb.put(db.stateCf(), LogKeys.groupKey(groupId), GroupStateCodec.encode(next.state()));
                // Compaction follows a durable apply beyond the last installed snapshot: its copy is done.
                wb.delete(db.snapshotCf(), LogKeys.groupKey(groupId));
                db.writeSynced(wb);
            } catch (RocksDBException e) {
                throw new LogEngineException("cannot compact group " + groupId + " to " + index + ": "
                        + e.getMessage(), Set.of(groupId), e);
            }
            storage.afterCompaction(next, index);
        } finally {
            storage.endWrite();
        }
    }

    // ---------------------------------------------------------------- cache

    /** Memory held by all groups' entry caches, in bytes (bounded by the configured total). */
    public long cacheBytes() {
        return cacheBudget.usedBytes();
    }

    /**
     * Brings the caches back within the server-wide bound by evicting the oldest entries of groups
     * in turn, starting after where the last eviction stopped, so that idle groups give memory back
     * to busy ones and no single group pays for everyone.
     */
    private void evictCachesIfOverBudget() {
        long over = cacheBudget.overBytes();
        if (over <= 0) {
            return;
        }
        long start = evictionCursor.get();
        List<RocksGroupStorage> order = new ArrayList<>(groups.tailMap(start, false).values());
        order.addAll(groups.headMap(start, true).values());
        for (RocksGroupStorage g : order) {
            over -= g.cache().evictOldest(over);
            if (over <= 0) {
                evictionCursor.set(g.groupId());
                return;
            }
        }
    }

    /** WAL syncs since open: with group commit, one per {@link #write(LogBatch)} however many groups it carries. */
    public long walSyncCount() {
        return db.walSyncCount();
    }

    // ---------------------------------------------------------------- lifecycle

    /** Closes RocksDB. Every poller must have stopped using the engine and its groups first. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        db.close();
    }

    RocksLogDb db() {
        return db;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("log engine at " + db.dir() + " is closed");
        }
    }

    private RocksGroupStorage groupOrThrow(long groupId) {
        RocksGroupStorage storage = groups.get(groupId);
        if (storage == null) {
            throw new IllegalStateException("group " + groupId + " does not exist in the log engine at " + db.dir());
        }
        return storage;
    }

    private static Set<Long> groupIdsOf(List<LogBatch.GroupWrite> writes) {
        Set<Long> ids = new TreeSet<>();
        for (LogBatch.GroupWrite w : writes) {
            ids.add(w.groupId);
        }
        return ids;
    }
}
