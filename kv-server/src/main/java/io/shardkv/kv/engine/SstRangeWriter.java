package io.shardkv.kv.engine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.EnvOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
import org.rocksdb.SstFileWriter;

/**
 * Writes key ranges of the KV database, as of one RocksDB snapshot, into SST files that another
 * database can ingest: a group's whole state for a Raft snapshot, or one slot range for a slot
 * migration. Reads go through an iterator that does not fill the block cache, and files are cut
 * at {@code maxFileBytes}, so memory stays small whatever the ranges hold.
 */
public final class SstRangeWriter {
    private final KvEngine engine;
    private final long maxFileBytes;

    public SstRangeWriter(KvEngine engine, long maxFileBytes) {
        if (maxFileBytes <= 0) {
            throw new IllegalArgumentException("maxFileBytes must be positive: " + maxFileBytes);
        }
        this.engine = engine;
        this.maxFileBytes = maxFileBytes;
    }

    /**
     * Writes every key of {@code ranges} (sorted, not overlapping) as of {@code at} into files
     * {@code <prefix>-<n>.sst} under {@code dir}; an empty range writes no file. Returns the
     * names, in key order.
     */
    public List<String> write(Snapshot at, List<KeyRange> ranges, Path dir, String prefix) throws IOException {
        List<String> names = new ArrayList<>();
        try (EnvOptions env = new EnvOptions();
             ReadOptions ro = new ReadOptions().setSnapshot(at).setFillCache(false);
             RocksIterator it = engine.newIterator(ro)) {
            SstFileWriter out = null;
            long fileBytes = 0;
            try {
                for (KeyRange r : ranges) {
                    for (it.seek(r.start()); it.isValid() && KvKeys.compare(it.key(), r.end()) < 0; it.next()) {
                        if (out == null) {
                            String name = prefix + "-" + names.size() + ".sst";
                            out = engine.newSstWriter(env);
                            out.open(dir.resolve(name).toString());
                            names.add(name);
                            fileBytes = 0;
                        }
                        byte[] key = it.key();
                        byte[] value = it.value();
                        out.put(key, value);
                        fileBytes += key.length + value.length;
                        if (fileBytes >= maxFileBytes) {
                            out.finish();
                            out.close();
                            out = null;
                        }
                    }
                    it.status();
                }
                if (out != null) {
                    out.finish();
                }
            } finally {
                if (out != null) {
                    out.close();
                }
            }
        } catch (RocksDBException e) {
            throw new IOException("cannot write SST files into " + dir + ": " + e.getMessage(), e);
        }
        return names;
    }
}
