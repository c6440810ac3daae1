package io.shardkv.bench;

import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.SnapshotMetadata;
import io.shardkv.raft.runtime.SmallStateImage;
import io.shardkv.raft.runtime.SnapshotImage;
import io.shardkv.raft.runtime.StateMachine;
import io.shardkv.raft.snapshot.SnapshotFiles;
import java.util.ArrayList;
import java.util.List;

/** A state machine that only counts the entries it applied; nothing is durable. */
final class CountingStateMachine implements StateMachine {
    private static final byte[] EMPTY = new byte[0];

    private volatile long applied;
    private volatile long count;

    @Override
    public List<byte[]> apply(List<Entry> committed) {
        List<byte[]> results = new ArrayList<>(committed.size());
        for (Entry e : committed) {
            results.add(EMPTY);
            applied = e.index();
        }
        count += committed.size();
        return results;
    }

    @Override
    public long durableAppliedIndex() {
        return 0;
    }

    @Override
    public SnapshotImage captureImage() {
        return new SmallStateImage(EMPTY);
    }

    @Override
    public void restore(SnapshotMetadata metadata, SnapshotFiles files) {
        applied = metadata.index();
    }

    long count() {
        return count;
    }

    long applied() {
        return applied;
    }
}
