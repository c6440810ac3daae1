package io.shardkv.raft.runtime;

import io.shardkv.raft.core.Snapshot;
import io.shardkv.raft.core.SnapshotMetadata;
import io.shardkv.raft.proto.SnapshotRef;
import io.shardkv.raft.snapshot.SnapshotStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * Writes pinned state-machine images to snapshot files on the server's snapshot threads, so the
 * apply threads never wait for a snapshot and a failed build (full disk, OutOfMemoryError) fails
 * only that snapshot. The pool bounds how many are written at once and how many wait; beyond that
 * a build is refused at once, and the group asks again later.
 */
public final class SnapshotBuilder {
    private static final System.Logger LOG = System.getLogger(SnapshotBuilder.class.getName());

    private final SnapshotStore store;
    private final RuntimeMetrics metrics;
    private final Executor pool;
    private final java.util.function.LongSupplier nanoClock;

    /**
     * @param pool runs the builds; it may refuse one ({@link RejectedExecutionException}) when too
     *             many wait, and the group asks again later
     */
    SnapshotBuilder(SnapshotStore store, RuntimeMetrics metrics, Executor pool,
                    java.util.function.LongSupplier nanoClock) {
        this.store = store;
        this.metrics = metrics;
        this.pool = pool;
        this.nanoClock = nanoClock;
    }

    /**
     * Writes {@code image} (which this builder now owns and closes) as the snapshot described by
     * {@code metadata}; exactly one of the callbacks runs, on a snapshot thread or at once.
     */
    void build(long groupId, SnapshotMetadata metadata, SnapshotImage image, Consumer<Snapshot> onBuilt,
               Consumer<Throwable> onFailed) {
        try {
            pool.execute(() -> write(groupId, metadata, image, onBuilt, onFailed));
        } catch (RejectedExecutionException e) {
            image.close();
            onFailed.accept(new IllegalStateException("no snapshot thread takes it now (too many builds wait,"
                    + " or the server is closing)", e));
        }
    }

    private void write(long groupId, SnapshotMetadata metadata, SnapshotImage image, Consumer<Snapshot> onBuilt,
                       Consumer<Throwable> onFailed) {
        long start = nanoClock.getAsLong();
        SnapshotRef ref;
        try {
            ref = writeToStore(store, groupId, metadata, image);
        } catch (Throwable t) {
            // OutOfMemoryError included: the files were the only thing this build held on to.
            LOG.log(System.Logger.Level.WARNING, "group " + groupId + ": building the snapshot at "
                    + metadata.index() + " failed; the group goes on and will try again", t);
            metrics.snapshotBuildFailed();
            onFailed.accept(t);
            return;
        }
        metrics.snapshotBuilt(nanoClock.getAsLong() - start, ref.getManifest());
        onBuilt.accept(new Snapshot(metadata, ref.toByteArray()));
    }

    /**
     * Writes an image into {@code store}'s built area and closes it; on failure nothing of it is
     * left. Public for tools and tests that need a state machine's snapshot as files.
     */
    public static SnapshotRef writeToStore(SnapshotStore store, long groupId, SnapshotMetadata metadata,
                                           SnapshotImage image) throws IOException {
        try (image) {
            Path dir = store.newBuildDir(groupId, metadata.index());
            try {
                List<String> names = image.writeFiles(dir);
                return store.publishBuilt(dir, groupId, metadata.index(), metadata.term(), names);
            } catch (Throwable t) {
                store.abandonBuild(dir);
                throw t;
            }
        }
    }
}
