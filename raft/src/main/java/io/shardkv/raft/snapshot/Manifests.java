package io.shardkv.raft.snapshot;

import io.shardkv.raft.proto.SnapshotFileInfo;
import io.shardkv.raft.proto.SnapshotManifest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * Builds and checks {@link SnapshotManifest}s. A manifest comes from the network on the receiving
 * side, so nothing in it is trusted: names must be plain file names, sizes within bounds.
 */
public final class Manifests {
    /** Plain names only: no directory part, no "..", nothing a shell or a path would read specially. */
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    /** Far more than any state machine writes; bounds what a forged manifest can make us track. */
    static final int MAX_FILES = 4096;
    private static final int READ_BUFFER_BYTES = 1 << 20;

    private Manifests() {
    }

    /** Describes the named files of {@code dir}, reading each once to checksum it (O(buffer) memory). */
    public static SnapshotManifest describe(Path dir, long groupId, long index, long term, List<String> names)
            throws IOException {
        SnapshotManifest.Builder b = SnapshotManifest.newBuilder().setGroupId(groupId).setIndex(index).setTerm(term);
        ByteBuffer buffer = ByteBuffer.allocate(READ_BUFFER_BYTES);
        for (String name : names) {
            Path file = dir.resolve(name);
            CRC32C crc = new CRC32C();
            long size = 0;
            try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
                while (in.read(buffer.clear()) > 0) {
                    buffer.flip();
                    size += buffer.remaining();
                    crc.update(buffer);
                }
            }
            b.addFiles(SnapshotFileInfo.newBuilder().setName(name).setSize(size).setCrc32C((int) crc.getValue()));
        }
        SnapshotManifest m = b.build();
        check(m, Long.MAX_VALUE);
        return m;
    }

    /**
     * Checks a manifest's shape: a group and an index, plain and distinct file names, and a total
     * size within {@code maxBytes}.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static void check(SnapshotManifest m, long maxBytes) {
        if (m.getGroupId() == 0 || m.getIndex() == 0) {
            throw new IllegalArgumentException("snapshot manifest lacks a group or an index: group "
                    + m.getGroupId() + " index " + m.getIndex());
        }
        if (m.getFilesCount() > MAX_FILES) {
            throw new IllegalArgumentException("snapshot manifest lists " + m.getFilesCount() + " files, more than "
                    + MAX_FILES);
        }
        Set<String> names = new HashSet<>();
        long total = 0;
        for (SnapshotFileInfo f : m.getFilesList()) {
            if (!FILE_NAME.matcher(f.getName()).matches()) {
                throw new IllegalArgumentException("snapshot file name " + quoted(f.getName())
                        + " is not a plain file name");
            }
            if (!names.add(f.getName())) {
                throw new IllegalArgumentException("snapshot file " + f.getName() + " is listed twice");
            }
            if (f.getSize() < 0 || f.getSize() > maxBytes - total) {
                throw new TooLargeException("snapshot of group " + m.getGroupId() + " is larger than the limit"
                        + " of " + maxBytes + " bytes (file " + f.getName() + " has " + Long.toUnsignedString(f.getSize())
                        + ")");
            }
            total += f.getSize();
        }
    }

    /** A manifest whose files add up to more than the size limit. */
    public static final class TooLargeException extends IllegalArgumentException {
        TooLargeException(String message) {
            super(message);
        }
    }

    public static long totalBytes(SnapshotManifest m) {
        long total = 0;
        for (SnapshotFileInfo f : m.getFilesList()) {
            total += f.getSize();
        }
        return total;
    }

    /** Checks that every listed file is in {@code dir} with its size (not its checksum: see the writer). */
    static void checkPresent(Path dir, SnapshotManifest m) throws IOException {
        for (SnapshotFileInfo f : m.getFilesList()) {
            Path file = dir.resolve(f.getName());
            if (!Files.isRegularFile(file) || Files.size(file) != f.getSize()) {
                throw new IOException("snapshot file " + file + " is missing or not " + f.getSize() + " bytes long");
            }
        }
    }

    private static String quoted(String s) {
        return "\"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"";
    }
}
