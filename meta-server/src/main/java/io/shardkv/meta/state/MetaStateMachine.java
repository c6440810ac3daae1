package io.shardkv.meta.state;

import com.google.protobuf.InvalidProtocolBufferException;
import io.shardkv.meta.map.MapTransitions;
import io.shardkv.meta.map.MetaCommand;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.EntryType;
import io.shardkv.raft.core.SnapshotMetadata;
import io.shardkv.raft.runtime.SmallStateImage;
import io.shardkv.raft.runtime.SnapshotImage;
import io.shardkv.raft.runtime.StateMachine;
import io.shardkv.raft.snapshot.SnapshotFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The meta group's state machine: applies {@link MetaCommand}s to the {@link ClusterMap} and
 * stores the result with its index in a {@link MapStore}. Each apply call is one write; every
 * {@link #syncEveryEntries} entries the write is synced, which makes everything up to it
 * durable and lets the log be compacted up to there.
 *
 * <p>Each entry's result is a serialized {@link io.shardkv.meta.proto.ClusterShardgroupChangeResponse}.
 * Readers on other threads see the latest applied map through {@link #currentMap()}.
 */
public final class MetaStateMachine implements StateMachine, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetaStateMachine.class);
    private static final byte[] NO_RESULT = new byte[0];
    /** Far above any real map; an image beyond it is not a cluster map. */
    private static final long MAX_MAP_BYTES = 64L << 20;

    private final MapStore store;
    private final int syncEveryEntries;
    private final List<MapListener> listeners = new CopyOnWriteArrayList<>();

    /** Written only by the apply thread. Invariant: durableAppliedIndex <= appliedIndex. */
    private volatile ClusterMap map;
    private volatile long appliedIndex;
    private volatile long durableAppliedIndex;
    private int entriesSinceSync;
    /** Guarded by this: apply, restore and close never overlap, so a closed store is never written. */
    private boolean closed;

    private MetaStateMachine(MapStore store, int syncEveryEntries) {
        this.store = store;
        this.syncEveryEntries = syncEveryEntries;
        this.map = store.readMap();
        this.appliedIndex = store.readAppliedIndex();
        // What a reopen reads survived the previous process: it is durable now.
        this.durableAppliedIndex = appliedIndex;
    }

    /** Opens (or creates) the store in {@code dir}. */
    public static MetaStateMachine open(Path dir, int syncEveryEntries) {
        if (syncEveryEntries <= 0) {
            throw new IllegalArgumentException("syncEveryEntries must be positive: " + syncEveryEntries);
        }
        return new MetaStateMachine(MapStore.open(dir), syncEveryEntries);
    }

    public void addListener(MapListener listener) {
        listeners.add(listener);
    }

    public ClusterMap currentMap() {
        return map;
    }

    public long appliedIndex() {
        return appliedIndex;
    }

    @Override
    public synchronized List<byte[]> apply(List<Entry> committed) {
        requireOpen();
        List<byte[]> results = new ArrayList<>(committed.size());
        ClusterMap next = map;
        for (Entry e : committed) {
            if (e.index() <= appliedIndex) {
                throw new IllegalStateException("entry " + e.index() + " was already applied (applied "
                        + appliedIndex + ")");
            }
            if (e.type() != EntryType.NORMAL) {
                results.add(NO_RESULT);
                continue;
            }
            MapTransitions.Outcome outcome;
            try {
                outcome = MapTransitions.apply(next, MetaCommand.decode(e.data()));
            } catch (IllegalArgumentException bad) {
                // Deterministic on every replica: the same bytes are refused everywhere.
                outcome = MapTransitions.refuse(next, MetaErrorCode.INVALID_ARGUMENT, bad.getMessage());
            }
            next = outcome.map();
            results.add(outcome.result().toByteArray());
        }
        long last = committed.isEmpty() ? appliedIndex : committed.get(committed.size() - 1).index();
        entriesSinceSync += committed.size();
        boolean sync = entriesSinceSync >= syncEveryEntries;
        store.write(next, last, sync);
        boolean changed = next != map;
        map = next;
        appliedIndex = last;
        if (sync) {
            entriesSinceSync = 0;
            durableAppliedIndex = last;
        }
        if (changed) {
            notifyListeners(next);
        }
        return results;
    }

    private void notifyListeners(ClusterMap m) {
        for (MapListener l : listeners) {
            try {
                l.onMapApplied(m);
            } catch (RuntimeException e) {
                // A listener's bug must not stop the meta group; the state is already stored.
                LOG.error("map listener {} failed at version {}", l, m.getConfigVersion(), e);
            }
        }
    }

    @Override
    public long durableAppliedIndex() {
        return durableAppliedIndex;
    }

    /** The map is small (groups, members, 1024 slots): its image is one file. */
    @Override
    public SnapshotImage captureImage() {
        return new SmallStateImage(map.toByteArray());
    }

    @Override
    public synchronized void restore(SnapshotMetadata metadata, SnapshotFiles files) {
        requireOpen();
        ClusterMap restored;
        try {
            restored = ClusterMap.parseFrom(SmallStateImage.read(files, MAX_MAP_BYTES));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("snapshot at index " + metadata.index() + " is not a cluster map", e);
        }
        store.write(restored, metadata.index(), true);
        map = restored;
        appliedIndex = metadata.index();
        durableAppliedIndex = metadata.index();
        entriesSinceSync = 0;
        notifyListeners(restored);
    }

    /** Makes everything applied durable, then closes the store. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        store.write(map, appliedIndex, true);
        store.close();
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the meta state machine is closed");
        }
    }
}
