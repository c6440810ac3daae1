package io.shardkv.raft.snapshot;

import io.shardkv.raft.proto.SnapshotFileInfo;
import io.shardkv.raft.proto.SnapshotManifest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A snapshot's files on this server, verified against their manifest: what a state machine
 * restores from. The files belong to the store; a state machine may move them (RocksDB's
 * ingestion does) but must not otherwise change them.
 */
public record SnapshotFiles(Path dir, SnapshotManifest manifest) {

    /** The files' paths, in manifest order. */
    public List<Path> paths() {
        List<Path> paths = new ArrayList<>(manifest.getFilesCount());
        for (SnapshotFileInfo f : manifest.getFilesList()) {
            paths.add(dir.resolve(f.getName()));
        }
        return paths;
    }

    /** The path of the named file; the name must be in the manifest. */
    public Path file(String name) {
        for (SnapshotFileInfo f : manifest.getFilesList()) {
            if (f.getName().equals(name)) {
                return dir.resolve(name);
            }
        }
        throw new IllegalArgumentException("snapshot of group " + manifest.getGroupId() + " at "
                + manifest.getIndex() + " has no file " + name);
    }

    /** Total size of the files in bytes. */
    public long totalBytes() {
        return Manifests.totalBytes(manifest);
    }
}
