package io.shardkv.raft.snapshot;

import io.shardkv.raft.proto.SnapshotFileInfo;
import io.shardkv.raft.proto.SnapshotManifest;
import io.shardkv.raft.proto.SnapshotRef;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Writes an arriving snapshot stream into its files: the stream is the files' contents one after
 * the other in manifest order, so each byte belongs to the file whose declared size it falls in.
 * Every file's checksum is computed as it is written and compared with the manifest when it is
 * complete; {@link #finish()} syncs and publishes the directory, {@link #abort()} deletes it.
 * Memory is whatever the caller hands in. Not thread-safe.
 */
public final class SnapshotWriter implements AutoCloseable {
    private final SnapshotStore store;
    private final Path dir;
    private final SnapshotManifest manifest;
    private final long totalBytes;
    private int fileIndex = -1;
    private FileChannel out;
    private CRC32C crc;
    private long fileWritten;
    private long written;
    private boolean done;

    SnapshotWriter(SnapshotStore store, Path dir, SnapshotManifest manifest) {
        this.store = store;
        this.dir = dir;
        this.manifest = manifest;
        this.totalBytes = Manifests.totalBytes(manifest);
    }

    /**
     * Appends the next bytes of the stream.
     *
     * @throws SnapshotDamagedException if they go beyond the manifest's total, or complete a file
     *                                  whose checksum differs from the manifest's
     */
    public void write(ByteBuffer data) throws IOException, SnapshotDamagedException {
        if (data.remaining() > totalBytes - written) {
            throw new SnapshotDamagedException("snapshot of group " + manifest.getGroupId() + " has more than the "
                    + totalBytes + " bytes its manifest lists");
        }
        while (true) {
            advanceOverCompleteFiles();
            if (!data.hasRemaining()) {
                return;
            }
            SnapshotFileInfo f = manifest.getFiles(fileIndex);
            int n = (int) Math.min(data.remaining(), f.getSize() - fileWritten);
            ByteBuffer slice = data.slice(data.position(), n);
            crc.update(slice.duplicate());
            while (slice.hasRemaining()) {
                out.write(slice);
            }
            data.position(data.position() + n);
            fileWritten += n;
            written += n;
        }
    }

    /** Closes every file that has all its bytes (checking it) and opens the next that needs some. */
    private void advanceOverCompleteFiles() throws IOException, SnapshotDamagedException {
        while (fileIndex < 0 || (fileIndex < manifest.getFilesCount()
                && fileWritten == manifest.getFiles(fileIndex).getSize())) {
            if (fileIndex >= 0) {
                closeCurrent();
            }
            fileIndex++;
            if (fileIndex == manifest.getFilesCount()) {
                return;
            }
            out = FileChannel.open(dir.resolve(manifest.getFiles(fileIndex).getName()), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE);
            crc = new CRC32C();
            fileWritten = 0;
        }
    }

    private void closeCurrent() throws IOException, SnapshotDamagedException {
        SnapshotFileInfo f = manifest.getFiles(fileIndex);
        out.force(true);
        out.close();
        out = null;
        if ((int) crc.getValue() != f.getCrc32C()) {
            throw new SnapshotDamagedException("snapshot file " + f.getName() + " of group " + manifest.getGroupId()
                    + " does not match its checksum");
        }
    }

    /**
     * Checks that every byte arrived, then makes the snapshot final under {@code received/}.
     *
     * @throws SnapshotDamagedException if bytes are missing or the last file is damaged
     */
    public SnapshotRef finish() throws IOException, SnapshotDamagedException {
        if (written != totalBytes) {
            throw new SnapshotDamagedException("snapshot of group " + manifest.getGroupId() + " ended after "
                    + written + " of " + totalBytes + " bytes");
        }
        advanceOverCompleteFiles();
        SnapshotRef ref = store.publish(dir, SnapshotStore.RECEIVED, manifest, true);
        done = true;
        return ref;
    }

    /** Deletes what was written; a no-op after {@link #finish()}. */
    public void abort() {
        if (done) {
            return;
        }
        done = true;
        try {
            if (out != null) {
                out.close();
            }
        } catch (IOException ignored) {
            // the directory goes anyway
        }
        SnapshotStore.deleteQuietly(dir);
    }

    @Override
    public void close() {
        abort();
    }

    /** The stream does not match its manifest. */
    public static final class SnapshotDamagedException extends Exception {
        public SnapshotDamagedException(String message) {
            super(message);
        }
    }
}
