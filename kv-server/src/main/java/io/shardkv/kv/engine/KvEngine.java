package io.shardkv.kv.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.EnvOptions;
import org.rocksdb.IngestExternalFileOptions;
import org.rocksdb.Options;
import org.rocksdb.SstFileWriter;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The one KV RocksDB of a kv-server, shared by all its replicas (DESIGN 3); {@link KvKeys}
 * separates the groups. Applies write with the WAL on but without fsync; {@link #syncWal()}
 * makes everything written so far durable at once, for all groups. Thread-safe.
 */
public final class KvEngine implements AutoCloseable {
    static {
        RocksDB.loadLibrary();
    }

    private final Options options;
    private final RocksDB db;
    private final WriteOptions unsynced = new WriteOptions().setSync(false);
    private final WriteOptions synced = new WriteOptions().setSync(true);

    private KvEngine(Options options, RocksDB db) {
        this.options = options;
        this.db = db;
    }

    /** Opens (creating if needed) the KV database in {@code dir}. */
    public static KvEngine open(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        Options options = new Options().setCreateIfMissing(true);
        try {
            return new KvEngine(options, RocksDB.open(options, dir.toString()));
        } catch (RocksDBException e) {
            options.close();
            throw new KvEngineException("cannot open the KV database in " + dir, e);
        }
    }

    /** RocksDB's estimate of the bytes keys in [start, end) take, in files and memtables. */
    public long approximateSize(byte[] start, byte[] end) {
        try (org.rocksdb.Slice from = new org.rocksdb.Slice(start); org.rocksdb.Slice to = new org.rocksdb.Slice(end)) {
            long[] sizes = db.getApproximateSizes(List.of(new org.rocksdb.Range(from, to)),
                    org.rocksdb.SizeApproximationFlag.INCLUDE_FILES, org.rocksdb.SizeApproximationFlag.INCLUDE_MEMTABLES);
            return sizes.length == 0 ? 0 : sizes[0];
        }
    }

    public byte[] get(byte[] key) {
        try {
            return db.get(key);
        } catch (RocksDBException e) {
            throw new KvEngineException("read failed", e);
        }
    }

    public byte[] get(ReadOptions readOptions, byte[] key) {
        try {
            return db.get(readOptions, key);
        } catch (RocksDBException e) {
            throw new KvEngineException("read failed", e);
        }
    }

    /** Writes a batch atomically; with {@code sync} it is durable on return, else once the WAL syncs. */
    public void write(WriteBatch batch, boolean sync) {
        try {
            db.write(sync ? synced : unsynced, batch);
        } catch (RocksDBException e) {
            throw new KvEngineException("write failed", e);
        }
    }

    /** Makes every write so far durable: one fsync of the WAL serves all groups. */
    public void syncWal() {
        try {
            db.flushWal(true);
        } catch (RocksDBException e) {
            throw new KvEngineException("WAL sync failed", e);
        }
    }

    /** A point-in-time view; release it with {@link #release(Snapshot)}. */
    public Snapshot snapshot() {
        return db.getSnapshot();
    }

    public void release(Snapshot snapshot) {
        db.releaseSnapshot(snapshot);
    }

    public RocksIterator newIterator(ReadOptions readOptions) {
        return db.newIterator(readOptions);
    }

    /** A writer of SST files that this database can ingest (same comparator and options). */
    public SstFileWriter newSstWriter(EnvOptions envOptions) {
        return new SstFileWriter(envOptions, options);
    }

    /**
     * Adds SST files to the database atomically: either all their keys become visible, above
     * every earlier write, or none. Durable on return. With {@code move} the files are linked into
     * the database and their old names removed; otherwise they are copied and stay.
     */
    public void ingest(List<Path> files, boolean move) {
        if (files.isEmpty()) {
            return;
        }
        List<String> paths = new ArrayList<>(files.size());
        files.forEach(f -> paths.add(f.toString()));
        try (IngestExternalFileOptions o = new IngestExternalFileOptions().setMoveFiles(move)) {
            db.ingestExternalFile(paths, o);
        } catch (RocksDBException e) {
            throw new KvEngineException("cannot ingest " + files.size() + " SST files", e);
        }
    }

    /** Deletes every key of a group (data, sessions, slots, apply state) durably. */
    public void deleteGroup(long groupId) {
        try (WriteBatch batch = new WriteBatch()) {
            for (byte kind : KvKeys.GROUP_KINDS) {
                batch.deleteRange(KvKeys.groupStart(kind, groupId), KvKeys.groupEnd(kind, groupId));
            }
            write(batch, true);
        } catch (RocksDBException e) {
            throw new KvEngineException("cannot delete group " + groupId, e);
        }
    }

    /** Groups that have an apply state here, i.e. whose KV state exists in this database. */
    public List<Long> groupsWithState() {
        List<Long> ids = new ArrayList<>();
        try (ReadOptions ro = new ReadOptions(); RocksIterator it = db.newIterator(ro)) {
            it.seek(new byte[] {KvKeys.APPLY});
            while (it.isValid() && it.key()[0] == KvKeys.APPLY) {
                ids.add(KvKeys.groupOf(it.key()));
                it.next();
            }
        }
        return ids;
    }

    @Override
    public void close() {
        try {
            db.flushWal(true);
        } catch (RocksDBException e) {
            throw new KvEngineException("WAL sync on close failed", e);
        } finally {
            unsynced.close();
            synced.close();
            db.close();
            options.close();
        }
    }
}
