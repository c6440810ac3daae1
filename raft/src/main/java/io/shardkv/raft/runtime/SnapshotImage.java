package io.shardkv.raft.runtime;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A state machine's state pinned at one applied index, not yet written out. The runtime writes
 * it on a snapshot thread, so applies go on meanwhile, and always closes it.
 */
public interface SnapshotImage extends AutoCloseable {

    /**
     * Writes the image as files into the empty directory {@code dir} and returns their names, in
     * the order a receiver should get them. Memory use must not grow with the state's size.
     */
    List<String> writeFiles(Path dir) throws IOException;

    /** Releases what the image pins (a database snapshot, say); called exactly once. */
    @Override
    void close();
}
