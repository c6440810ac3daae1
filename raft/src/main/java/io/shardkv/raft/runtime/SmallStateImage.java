package io.shardkv.raft.runtime;

import io.shardkv.raft.snapshot.SnapshotFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The image of a state machine whose whole state is small and already held as bytes (the
 * meta-server's cluster map, a test's counter): one file. Only for state bounded well below the
 * heap; a state machine that grows with its data writes files from its store instead.
 */
public final class SmallStateImage implements SnapshotImage {
    /** The one file's name. */
    public static final String FILE = "state.bin";

    private final byte[] state;

    public SmallStateImage(byte[] state) {
        this.state = state;
    }

    @Override
    public List<String> writeFiles(Path dir) throws IOException {
        Files.write(dir.resolve(FILE), state);
        return List.of(FILE);
    }

    @Override
    public void close() {
    }

    /**
     * Reads the state back from a snapshot's files.
     *
     * @throws IllegalStateException if the snapshot is larger than {@code maxBytes} (not an image of this kind)
     */
    public static byte[] read(SnapshotFiles files, long maxBytes) {
        if (files.totalBytes() > maxBytes) {
            throw new IllegalStateException("snapshot of group " + files.manifest().getGroupId() + " holds "
                    + files.totalBytes() + " bytes, more than the " + maxBytes + " this state can have");
        }
        try {
            return Files.readAllBytes(files.file(FILE));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the snapshot of group " + files.manifest().getGroupId(), e);
        }
    }
}
