package io.shardkv.kv.state;

import io.shardkv.kv.engine.KeyRange;
import io.shardkv.kv.engine.KvEngine;
import io.shardkv.kv.engine.KvKeys;
import io.shardkv.kv.engine.SstRangeWriter;
import io.shardkv.raft.runtime.SnapshotImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.Snapshot;

/**
 * A group's KV state pinned by a RocksDB snapshot between two applies, written out later as SST
 * files: one series per key kind, in key order ({@code a-*.sst} apply state, {@code c-*.sst}
 * client sessions, {@code d-*.sst} data, {@code j-*.sst} migration journals, {@code m-*.sst}
 * migration records, {@code s-*.sst} the slot table). Keys keep their group
 * prefix: a snapshot goes to replicas of the same group, which ingest the files as they are.
 */
final class KvGroupImage implements SnapshotImage {
    /** Files are cut at this size, so a transfer's progress and a failed file cost little. */
    static final long MAX_FILE_BYTES = 128L << 20;
    static final String APPLY_PREFIX = "a";

    private final KvEngine engine;
    private final long groupId;
    private final Snapshot pinned;
    private boolean closed;

    KvGroupImage(KvEngine engine, long groupId) {
        this.engine = engine;
        this.groupId = groupId;
        this.pinned = engine.snapshot();
    }

    @Override
    public List<String> writeFiles(Path dir) throws IOException {
        SstRangeWriter writer = new SstRangeWriter(engine, MAX_FILE_BYTES);
        List<String> names = new ArrayList<>();
        for (byte kind : KvKeys.GROUP_KINDS) {
            KeyRange range = new KeyRange(KvKeys.groupStart(kind, groupId), KvKeys.groupEnd(kind, groupId));
            names.addAll(writer.write(pinned, List.of(range), dir, String.valueOf((char) kind)));
        }
        return names;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            engine.release(pinned);
        }
    }
}
