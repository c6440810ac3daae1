package io.shardkv.raft.storage;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.HardState;
import io.shardkv.raft.core.LogStorage;
import io.shardkv.raft.core.Snapshot;
import io.shardkv.raft.core.SnapshotMetadata;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link LogStorage} contract on a group of the RocksDB engine, with a real RocksDB. Every
 * write is its own synced batch. The cache is kept tiny so that reads exercise both the cache and
 * the disk path, and neighbouring groups share the database so a key-range mistake would show.
 */
class RocksGroupStorageContractTest extends LogStorageContractTest {
    private static final long GROUP = 7;

    @TempDir
    Path dir;

    @Override
    protected Harness bootstrap(ConfState members) {
        RocksLogEngine engine = RocksLogEngine.open(dir, RocksLogEngineConfig.defaults().withCacheBytes(600, 100_000));
        RocksGroupStorage g = engine.createGroup(GROUP, members);
        // Neighbours on both sides of the group's key range, with entries that must never show up.
        for (long neighbour : new long[] {GROUP - 1, GROUP + 1}) {
            engine.createGroup(neighbour, members);
            engine.write(new LogBatch().append(neighbour, entries(1, 30, 9)));
        }
        return new Harness() {
            @Override
            public LogStorage storage() {
                return g;
            }

            @Override
            public void append(List<Entry> entries) {
                engine.write(new LogBatch().append(GROUP, entries));
            }

            @Override
            public void setHardState(HardState hardState) {
                engine.write(new LogBatch().setHardState(GROUP, hardState));
            }

            @Override
            public void compact(long index) {
                engine.compact(GROUP, index);
            }

            @Override
            public void installSnapshot(SnapshotMetadata metadata) {
                engine.write(new LogBatch().installSnapshot(GROUP, metadata));
            }

            @Override
            public void offerSnapshot(long index, ConfState confState, byte[] data) {
                Snapshot snap = new Snapshot(new SnapshotMetadata(index, g.term(index), confState), data);
                g.setSnapshotSource(requestIndex -> requestIndex <= index ? Optional.of(snap) : Optional.empty());
            }

            @Override
            public void close() {
                engine.close();
            }
        };
    }
}
