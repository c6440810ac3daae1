package io.shardkv.raft.snapshot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a snapshot's files as one stream of bytes, the files one after the other in manifest
 * order: what a sender cuts into chunks. Holds no more than the caller's buffer in memory.
 * Not thread-safe.
 */
public final class SnapshotReader implements AutoCloseable {
    private final List<FileChannel> channels;
    private final long totalBytes;
    private int current;
    private long position;

    private SnapshotReader(List<FileChannel> channels, long totalBytes) {
        this.channels = channels;
        this.totalBytes = totalBytes;
    }

    static SnapshotReader open(SnapshotFiles files) throws IOException {
        List<FileChannel> channels = new ArrayList<>();
        try {
            for (var p : files.paths()) {
                channels.add(FileChannel.open(p, StandardOpenOption.READ));
            }
        } catch (IOException e) {
            for (FileChannel c : channels) {
                c.close();
            }
            throw e;
        }
        return new SnapshotReader(channels, files.totalBytes());
    }

    public long totalBytes() {
        return totalBytes;
    }

    /** Bytes read so far: the stream offset of the next read. */
    public long position() {
        return position;
    }

    /**
     * Fills {@code buffer} (up to its limit) with the next bytes of the stream, crossing file
     * boundaries; returns the number read, 0 only at the end.
     *
     * @throws IOException if a file is shorter than its manifest says
     */
    public int read(ByteBuffer buffer) throws IOException {
        int read = 0;
        while (buffer.hasRemaining() && current < channels.size()) {
            int n = channels.get(current).read(buffer);
            if (n < 0) {
                current++;
            } else {
                read += n;
            }
        }
        position += read;
        if (read == 0 && position != totalBytes) {
            throw new IOException("snapshot files ended after " + position + " of " + totalBytes + " bytes");
        }
        return read;
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (FileChannel c : channels) {
            try {
                c.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
