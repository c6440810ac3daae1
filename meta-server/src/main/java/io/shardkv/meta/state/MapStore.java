package io.shardkv.meta.state;

import com.google.protobuf.InvalidProtocolBufferException;
import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.proto.ClusterMap;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The meta state machine's own RocksDB ({@code DIR/meta}): the serialized cluster map and the
 * index it reflects, always written together in one batch so a reopen finds a map and the
 * exact log position to replay from.
 */
public final class MapStore implements AutoCloseable {
    private static final byte[] MAP_KEY = "map".getBytes(StandardCharsets.UTF_8);
    private static final byte[] APPLIED_KEY = "applied".getBytes(StandardCharsets.UTF_8);

    static {
        RocksDB.loadLibrary();
    }

    private final Options options;
    private final RocksDB db;
    private final WriteOptions unsynced = new WriteOptions().setSync(false);
    private final WriteOptions synced = new WriteOptions().setSync(true);

    private MapStore(Options options, RocksDB db) {
        this.options = options;
        this.db = db;
    }

    public static MapStore open(Path dir) {
        Options options = new Options().setCreateIfMissing(true);
        try {
            Files.createDirectories(dir);
            return new MapStore(options, RocksDB.open(options, dir.toString()));
        } catch (RocksDBException | java.io.IOException e) {
            options.close();
            throw new IllegalStateException("cannot open the meta map store at " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The stored map, or the initial map when nothing was stored yet. */
    public ClusterMap readMap() {
        try {
            byte[] bytes = db.get(MAP_KEY);
            return bytes == null ? ClusterMaps.initial() : ClusterMap.parseFrom(bytes);
        } catch (RocksDBException | InvalidProtocolBufferException e) {
            throw new IllegalStateException("cannot read the stored cluster map: " + e.getMessage(), e);
        }
    }

    /** The log index the stored map reflects; 0 when nothing was stored yet. */
    public long readAppliedIndex() {
        try {
            byte[] bytes = db.get(APPLIED_KEY);
            return bytes == null ? 0 : ByteBuffer.wrap(bytes).getLong();
        } catch (RocksDBException e) {
            throw new IllegalStateException("cannot read the stored applied index: " + e.getMessage(), e);
        }
    }

    /**
     * Stores the map as of {@code appliedIndex} atomically. With {@code sync} the write is on
     * disk when this returns, together with every earlier write.
     */
    public void write(ClusterMap map, long appliedIndex, boolean sync) {
        try (WriteBatch batch = new WriteBatch()) {
            batch.put(MAP_KEY, map.toByteArray());
            batch.put(APPLIED_KEY, ByteBuffer.allocate(Long.BYTES).putLong(appliedIndex).array());
            db.write(sync ? synced : unsynced, batch);
        } catch (RocksDBException e) {
            throw new IllegalStateException("cannot store the cluster map at index " + appliedIndex + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        unsynced.close();
        synced.close();
        db.close();
        options.close();
    }
}
