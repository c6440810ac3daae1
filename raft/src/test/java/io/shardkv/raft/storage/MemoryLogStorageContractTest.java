package io.shardkv.raft.storage;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.HardState;
import io.shardkv.raft.core.LogStorage;
import io.shardkv.raft.core.Snapshot;
import io.shardkv.raft.core.SnapshotMetadata;
import java.util.List;

/** The {@link LogStorage} contract on the in-memory storage the simulation uses. */
class MemoryLogStorageContractTest extends LogStorageContractTest {

    @Override
    protected Harness bootstrap(ConfState members) {
        MemoryLogStorage m = MemoryLogStorage.withMembership(members);
        return new Harness() {
            @Override
            public LogStorage storage() {
                return m;
            }

            @Override
            public void append(List<Entry> entries) {
                m.append(entries);
            }

            @Override
            public void setHardState(HardState hardState) {
                m.setHardState(hardState);
            }

            @Override
            public void compact(long index) {
                m.compact(index);
            }

            @Override
            public void installSnapshot(SnapshotMetadata metadata) {
                m.applySnapshot(new Snapshot(metadata, new byte[0]));
            }

            @Override
            public void offerSnapshot(long index, ConfState confState, byte[] data) {
                m.createSnapshot(index, confState, data);
            }

            @Override
            public void close() {
            }
        };
    }
}
