package io.shardkv.raft.snapshot;

import io.shardkv.raft.proto.SnapshotRef;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Snapshots made of given files, built into a store as a state machine's would be. */
public final class SnapshotFixtures {
    private SnapshotFixtures() {
    }

    /** Builds a snapshot of the given files (in order) in {@code store}'s built area. */
    public static SnapshotRef build(SnapshotStore store, long groupId, long index, long term,
                                    Map<String, byte[]> files) throws IOException {
        Path dir = store.newBuildDir(groupId, index);
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Files.write(dir.resolve(f.getKey()), f.getValue());
            names.add(f.getKey());
        }
        return store.publishBuilt(dir, groupId, index, term, names);
    }

    /** Copies a stored snapshot into another store's received area, as a transfer would. */
    public static SnapshotRef receive(SnapshotStore from, SnapshotRef ref, SnapshotStore into) throws IOException {
        try (SnapshotReader reader = from.openReader(ref); SnapshotWriter writer = into.newWriter(ref.getManifest())) {
            ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
            while (reader.read(buffer.clear()) > 0) {
                writer.write(buffer.flip());
            }
            return writer.finish();
        } catch (SnapshotWriter.SnapshotDamagedException e) {
            throw new IOException(e);
        }
    }

    /** Three files of random bytes (one of them empty) adding up to {@code bytes}. */
    public static Map<String, byte[]> randomFiles(int bytes, long seed) {
        Random random = new Random(seed);
        int first = bytes / 3;
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("first.sst", randomBytes(first, random));
        files.put("empty.sst", new byte[0]);
        files.put("rest.sst", randomBytes(bytes - first, random));
        return files;
    }

    /** The files' contents concatenated in manifest order: the stream a sender sends. */
    public static byte[] stream(Map<String, byte[]> files) {
        int total = files.values().stream().mapToInt(b -> b.length).sum();
        byte[] out = new byte[total];
        int offset = 0;
        for (byte[] b : files.values()) {
            System.arraycopy(b, 0, out, offset, b.length);
            offset += b.length;
        }
        return out;
    }

    /** The contents of a stored snapshot's files, by name, in manifest order. */
    public static Map<String, byte[]> contents(SnapshotStore store, SnapshotRef ref) throws IOException {
        SnapshotFiles files = store.files(ref);
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (Path p : files.paths()) {
            out.put(p.getFileName().toString(), Files.readAllBytes(p));
        }
        return out;
    }

    private static byte[] randomBytes(int n, Random random) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
