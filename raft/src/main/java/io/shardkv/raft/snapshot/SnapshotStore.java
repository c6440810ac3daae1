package io.shardkv.raft.snapshot;

import com.google.protobuf.InvalidProtocolBufferException;
import io.shardkv.raft.proto.SnapshotManifest;
import io.shardkv.raft.proto.SnapshotRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where one server keeps snapshot files, under one directory:
 * <ul>
 *   <li>{@code tmp/}: snapshots being written (built here, or arriving from a leader); never
 *       referenced by anything, deleted at open;</li>
 *   <li>{@code built/}: images this server's state machines wrote for followers; rebuilt on
 *       demand, so deleted at open;</li>
 *   <li>{@code received/}: complete, verified snapshots from leaders, waiting to be installed or
 *       kept as the log engine's crash-safety copy of an install; deleted once installed, and at
 *       open unless the log engine still refers to them.</li>
 * </ul>
 * A directory moves from {@code tmp/} to its final place with one atomic rename, after its files
 * and the directory are synced, so a final directory is always complete. What the raft core
 * carries as a snapshot's data is a {@link SnapshotRef}: the directory's name and the manifest.
 * Thread-safe.
 */
public final class SnapshotStore {
    private static final System.Logger LOG = System.getLogger(SnapshotStore.class.getName());
    static final String TMP = "tmp";
    static final String BUILT = "built";
    static final String RECEIVED = "received";

    private final Path root;
    private final AtomicLong sequence = new AtomicLong(System.nanoTime() & 0xffff_ffffL);

    private SnapshotStore(Path root) {
        this.root = root;
    }

    /**
     * Opens the store in {@code root}, creating it if needed, and deletes what an earlier process
     * left unfinished ({@code tmp/}) or can rebuild ({@code built/}).
     *
     * @throws UncheckedIOException if the directories cannot be created or cleaned
     */
    public static SnapshotStore open(Path root) {
        SnapshotStore store = new SnapshotStore(root);
        try {
            for (String sub : new String[] {TMP, BUILT, RECEIVED}) {
                Files.createDirectories(root.resolve(sub));
            }
            deleteChildren(root.resolve(TMP));
            deleteChildren(root.resolve(BUILT));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the snapshot directory " + root, e);
        }
        return store;
    }

    public Path root() {
        return root;
    }

    /**
     * Deletes every received snapshot except those named in {@code keep} (the copies the log
     * engine still refers to). Call once at start, before any snapshot arrives.
     */
    public void retainReceived(Set<String> keep) {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root.resolve(RECEIVED))) {
            for (Path d : dirs) {
                String name = RECEIVED + "/" + d.getFileName();
                if (!keep.contains(name)) {
                    LOG.log(System.Logger.Level.INFO, "deleting snapshot {0}: nothing refers to it", d);
                    deleteTree(d);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean received snapshots in " + root, e);
        }
    }

    // ------------------------------------------------------------------ refs

    /** Parses the data of a core snapshot made by this store. */
    public static SnapshotRef parseRef(byte[] data) {
        try {
            SnapshotRef ref = SnapshotRef.parseFrom(data);
            if (!ref.hasManifest() || ref.getDir().isEmpty()) {
                throw new IllegalArgumentException("snapshot data of " + data.length + " bytes is not a snapshot reference");
            }
            return ref;
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("snapshot data of " + data.length + " bytes is not a snapshot reference",
                    e);
        }
    }

    /** The directory a reference names, checked to lie inside this store's final areas. */
    public Path dirOf(SnapshotRef ref) {
        String[] parts = ref.getDir().split("/", -1);
        if (parts.length != 2 || !(parts[0].equals(BUILT) || parts[0].equals(RECEIVED))
                || !parts[1].matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new IllegalArgumentException("snapshot directory " + ref.getDir() + " is not in the store");
        }
        return root.resolve(parts[0]).resolve(parts[1]);
    }

    /** The files of a stored snapshot, after checking they are all there with their sizes. */
    public SnapshotFiles files(SnapshotRef ref) throws IOException {
        Path dir = dirOf(ref);
        Manifests.checkPresent(dir, ref.getManifest());
        return new SnapshotFiles(dir, ref.getManifest());
    }

    /** Deletes the snapshot a core snapshot's data refers to; data that is no reference is logged and ignored. */
    public void deleteReferenced(byte[] snapshotData) {
        SnapshotRef ref;
        try {
            ref = parseRef(snapshotData);
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "a snapshot message without a file reference: " + e.getMessage());
            return;
        }
        delete(ref);
    }

    /** Deletes a stored snapshot (a no-op if it is already gone); failures are logged, not thrown. */
    public void delete(SnapshotRef ref) {
        Path dir;
        try {
            dir = dirOf(ref);
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "not deleting " + ref.getDir() + ": " + e.getMessage());
            return;
        }
        try {
            deleteTree(dir);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot delete snapshot " + dir, e);
        }
    }

    // ------------------------------------------------------------------ building

    /** A new empty directory under {@code tmp/} for a state machine to write an image into. */
    public Path newBuildDir(long groupId, long index) throws IOException {
        return Files.createDirectory(root.resolve(TMP).resolve(uniqueName(groupId, index)));
    }

    /** Deletes a build directory whose image could not be written. */
    public void abandonBuild(Path tmpDir) {
        if (!tmpDir.getParent().equals(root.resolve(TMP))) {
            throw new IllegalArgumentException(tmpDir + " is not a build directory of " + root);
        }
        deleteQuietly(tmpDir);
    }

    /**
     * Makes a written image final: describes its files and moves the directory to {@code
     * built/}. The files are not synced: built images are deleted at every start, so a crash
     * cannot leave one behind that anything relies on. On failure the directory is deleted.
     */
    public SnapshotRef publishBuilt(Path tmpDir, long groupId, long index, long term, java.util.List<String> names)
            throws IOException {
        try {
            SnapshotManifest manifest = Manifests.describe(tmpDir, groupId, index, term, names);
            return publish(tmpDir, BUILT, manifest, false);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(tmpDir);
            throw e;
        }
    }

    // ------------------------------------------------------------------ streaming

    /** Opens a stored snapshot for streaming: every file is opened now, so a later delete cannot cut it short. */
    public SnapshotReader openReader(SnapshotRef ref) throws IOException {
        return SnapshotReader.open(files(ref));
    }

    /**
     * Starts receiving a snapshot described by {@code manifest} (already checked by the caller
     * with {@link Manifests#check}) into a new directory under {@code tmp/}.
     */
    public SnapshotWriter newWriter(SnapshotManifest manifest) throws IOException {
        Path dir = Files.createDirectory(root.resolve(TMP).resolve(uniqueName(manifest.getGroupId(),
                manifest.getIndex())));
        return new SnapshotWriter(this, dir, manifest);
    }

    /**
     * Moves a complete {@code tmp/} directory to {@code area} and returns its reference; with
     * {@code durable} (its files already synced) the directory entries are synced too.
     */
    SnapshotRef publish(Path tmpDir, String area, SnapshotManifest manifest, boolean durable) throws IOException {
        if (durable) {
            syncDir(tmpDir);
        }
        Path target = root.resolve(area).resolve(tmpDir.getFileName());
        try {
            Files.move(tmpDir, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot rename " + tmpDir + " to " + target + " atomically", e);
        }
        if (durable) {
            syncDir(root.resolve(area));
        }
        return SnapshotRef.newBuilder().setDir(area + "/" + target.getFileName()).setManifest(manifest).build();
    }

    private String uniqueName(long groupId, long index) {
        return "g" + groupId + "-i" + index + "-" + Long.toHexString(sequence.incrementAndGet());
    }

    // ------------------------------------------------------------------ files

    static void syncDir(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems refuse to open a directory for sync; the rename is then as durable as they allow.
            if (!(e.getMessage() != null && e.getMessage().contains("Is a directory"))) {
                throw e;
            }
        }
    }

    static void deleteQuietly(Path dir) {
        try {
            deleteTree(dir);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot delete " + dir, e);
        }
    }

    private static void deleteChildren(Path dir) throws IOException {
        try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
            for (Path c : children) {
                LOG.log(System.Logger.Level.INFO, "deleting leftover snapshot {0}", c);
                deleteTree(c);
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                if (exc instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw exc;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                Files.deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
