package io.shardkv.raft.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Statistics;
import org.rocksdb.StatsLevel;
import org.rocksdb.TickerType;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The RocksDB instance behind the log engine and the raw operations on it: opening the column
 * families, recovering every group's log bounds, point and range reads of entries, and writing
 * batches. It knows the key and value formats but none of the Raft rules; {@link RocksLogEngine}
 * decides what to write. Thread-safe, as RocksDB is, until {@link #close()}.
 */
final class RocksLogDb implements AutoCloseable {
    static final String LOG_CF = "log";
    static final String STATE_CF = "state";

    static {
        RocksDB.loadLibrary();
    }

    private final Path dir;
    private final DBOptions dbOptions;
    private final Statistics statistics;
    private final List<ColumnFamilyOptions> cfOptions;
    private final List<ColumnFamilyHandle> handles;
    private final RocksDB db;
    private final ColumnFamilyHandle logCf;
    private final ColumnFamilyHandle stateCf;
    /** Replaced only by {@link #breakWritesForTesting()}. */
    private volatile WriteOptions syncWrite;
    private final WriteOptions unsyncedWrite = new WriteOptions();

    private RocksLogDb(Path dir, DBOptions dbOptions, Statistics statistics, List<ColumnFamilyOptions> cfOptions,
                       List<ColumnFamilyHandle> handles, RocksDB db) {
        this.dir = dir;
        this.dbOptions = dbOptions;
        this.statistics = statistics;
        this.cfOptions = cfOptions;
        this.handles = handles;
        this.db = db;
        this.logCf = handles.get(1);
        this.stateCf = handles.get(2);
        // Every write of the engine is synced: a Ready's messages promise that its state is durable.
        this.syncWrite = new WriteOptions().setSync(true);
    }

    static RocksLogDb open(Path dir, RocksLogEngineConfig config) {
        // The cheapest level the Java API offers: counters such as WAL syncs without per-operation timers.
        Statistics statistics = new Statistics();
        statistics.setStatsLevel(StatsLevel.EXCEPT_DETAILED_TIMERS);
        DBOptions dbOptions = new DBOptions()
                .setStatistics(statistics)
                .setCreateIfMissing(true)
                .setCreateMissingColumnFamilies(true)
                .setMaxBackgroundJobs(config.maxBackgroundJobs())
                // After a crash, replay the WAL up to the first torn or corrupt record and stop:
                // every synced write lies before it, and nothing after it was acknowledged.
                .setWalRecoveryMode(WALRecoveryMode.PointInTimeRecovery)
                // All column families share one WAL, and a WAL file stays until every column family
                // with data in it has flushed. The state column family's small memtable fills
                // slowly, so without this bound it would keep old WAL files alive, using disk and
                // lengthening the replay at every start. Past it, RocksDB flushes what pins them.
                .setMaxTotalWalSize(4 * config.logWriteBufferBytes())
                .setKeepLogFileNum(5);
        ColumnFamilyOptions defaultOptions = new ColumnFamilyOptions();
        ColumnFamilyOptions logOptions = new ColumnFamilyOptions()
                .setWriteBufferSize(config.logWriteBufferBytes());
        // The state column family holds one small record per group; a small memtable suffices.
        ColumnFamilyOptions stateOptions = new ColumnFamilyOptions().setWriteBufferSize(4L << 20);
        List<ColumnFamilyOptions> cfOptions = List.of(defaultOptions, logOptions, stateOptions);
        List<ColumnFamilyDescriptor> descriptors = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, defaultOptions),
                new ColumnFamilyDescriptor(LOG_CF.getBytes(StandardCharsets.UTF_8), logOptions),
                new ColumnFamilyDescriptor(STATE_CF.getBytes(StandardCharsets.UTF_8), stateOptions));
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            RocksDB db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
            return new RocksLogDb(dir, dbOptions, statistics, cfOptions, handles, db);
        } catch (RocksDBException | IOException e) {
            handles.forEach(ColumnFamilyHandle::close);
            cfOptions.forEach(ColumnFamilyOptions::close);
            dbOptions.close();
            statistics.close();
            throw new LogEngineException("cannot open log engine at " + dir + ": " + e.getMessage(), Set.of(), e);
        }
    }

    Path dir() {
        return dir;
    }

    ColumnFamilyHandle logCf() {
        return logCf;
    }

    ColumnFamilyHandle stateCf() {
        return stateCf;
    }

    /**
     * The default column family, which holds each group's last installed snapshot: the log is
     * truncated to a snapshot in the same write, so a crash before the state machine restores it
     * leaves the snapshot here to restore on restart.
     */
    ColumnFamilyHandle snapshotCf() {
        return handles.get(0);
    }

    byte[] get(ColumnFamilyHandle cf, byte[] key) throws RocksDBException {
        return db.get(cf, key);
    }

    /** Writes the batch atomically and fsyncs the WAL before returning. */
    void writeSynced(WriteBatch batch) throws RocksDBException {
        db.write(syncWrite, batch);
    }

    /**
     * Writes {@code batch} to the WAL without syncing it: it survives the process dying, not the
     * machine losing power, until a later synced write (of any group) syncs the WAL past it.
     */
    void writeUnsynced(WriteBatch batch) throws RocksDBException {
        db.write(unsyncedWrite, batch);
    }

    /** How many times RocksDB has synced its WAL since open: one per synced write, however large. */
    long walSyncCount() {
        return statistics.getTickerCount(TickerType.WAL_FILE_SYNCED);
    }

    /**
     * Makes every later write fail inside RocksDB itself (it refuses a synced write without a WAL),
     * so tests can check how the engine handles a real write error.
     */
    void breakWritesForTesting() {
        WriteOptions broken = new WriteOptions().setSync(true).setDisableWAL(true);
        WriteOptions old = syncWrite;
        syncWrite = broken;
        old.close();
    }

    /** Every group's state record, by group id. */
    Map<Long, GroupState> loadStates() throws RocksDBException {
        Map<Long, GroupState> states = new TreeMap<>();
        try (RocksIterator it = db.newIterator(stateCf)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] key = it.key();
                if (key.length != LogKeys.GROUP_KEY_BYTES) {
                    throw new IllegalStateException("state key of " + key.length + " bytes in " + dir);
                }
                long groupId = LogKeys.groupOf(key);
                states.put(groupId, GroupStateCodec.decode(groupId, it.value()));
            }
            it.status();
        }
        return states;
    }

    /**
     * The first and last entry of every group that has entries, found with two seeks per group
     * (its first key, then the last key of its prefix) and a jump to the next group's prefix, so
     * opening costs a few seeks per group whatever the length of the logs.
     */
    /** The raw kept-snapshot records of all groups, by group. */
    Map<Long, byte[]> loadKeptSnapshots() throws RocksDBException {
        Map<Long, byte[]> kept = new TreeMap<>();
        try (RocksIterator it = db.newIterator(snapshotCf())) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] key = it.key();
                if (key.length != LogKeys.GROUP_KEY_BYTES) {
                    throw new IllegalStateException("snapshot key of " + key.length + " bytes in " + dir);
                }
                kept.put(LogKeys.groupOf(key), it.value());
            }
            it.status();
        }
        return kept;
    }

    Map<Long, LogBounds> scanLogBounds() throws RocksDBException {
        Map<Long, LogBounds> bounds = new TreeMap<>();
        try (RocksIterator it = db.newIterator(logCf)) {
            it.seekToFirst();
            while (it.isValid()) {
                byte[] firstKey = it.key();
                long groupId = LogKeys.groupOf(firstKey);
                long firstIndex = LogKeys.indexOf(firstKey);
                it.seekForPrev(LogKeys.logKey(groupId, Long.MAX_VALUE));
                byte[] lastKey = it.key();
                if (LogKeys.groupOf(lastKey) != groupId) {
                    throw new IllegalStateException("log of group " + groupId + " has a first key but no last key");
                }
                long lastIndex = LogKeys.indexOf(lastKey);
                long lastTerm = EntryCodec.decodeTerm(it.value());
                bounds.put(groupId, new LogBounds(firstIndex, lastIndex, lastTerm));
                if (groupId == Long.MAX_VALUE) {
                    break;
                }
                it.seek(LogKeys.groupEndKey(groupId));
            }
            it.status();
        }
        return bounds;
    }

    /** The term of the stored entry at {@code index}, or -1 when there is no such entry. */
    long readTerm(long groupId, long index) throws RocksDBException {
        // Only the value's first bytes are copied: RocksDB fills what fits and reports the full size.
        byte[] prefix = new byte[EntryCodec.TERM_PREFIX_BYTES];
        int size = db.get(logCf, LogKeys.logKey(groupId, index), prefix);
        if (size == RocksDB.NOT_FOUND) {
            return -1;
        }
        if (size < EntryCodec.HEADER_BYTES) {
            throw new IllegalStateException("group " + groupId + " entry " + index + " has a " + size + "-byte value");
        }
        return EntryCodec.decodeTerm(prefix);
    }

    /**
     * Offers stored entries {@code [lo, hi)} of a group to the sink, in order, until the sink is
     * full, the range ends, or the next index is missing.
     *
     * @return the index after the last entry taken
     */
    long readEntries(long groupId, long lo, long hi, EntrySink sink) throws RocksDBException {
        long next = lo;
        try (RocksIterator it = db.newIterator(logCf)) {
            for (it.seek(LogKeys.logKey(groupId, lo)); it.isValid() && next < hi; it.next()) {
                byte[] key = it.key();
                if (LogKeys.groupOf(key) != groupId || LogKeys.indexOf(key) != next) {
                    break;
                }
                if (!sink.offer(EntryCodec.decode(groupId, next, it.value()))) {
                    break;
                }
                next++;
            }
            it.status();
        }
        return next;
    }

    @Override
    public void close() {
        syncWrite.close();
        unsyncedWrite.close();
        handles.forEach(ColumnFamilyHandle::close);
        db.close();
        cfOptions.forEach(ColumnFamilyOptions::close);
        dbOptions.close();
        statistics.close();
    }

    /** Where a group's stored entries begin and end. */
    record LogBounds(long firstIndex, long lastIndex, long lastTerm) {
    }
}
