package io.shardkv.raft.runtime.sim;

import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.EntryType;
import io.shardkv.raft.core.SnapshotMetadata;
import io.shardkv.raft.runtime.SmallStateImage;
import io.shardkv.raft.runtime.SnapshotImage;
import io.shardkv.raft.runtime.StateMachine;
import io.shardkv.raft.snapshot.SnapshotFiles;
import io.shardkv.raft.storage.GroupBootstrap;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;

/**
 * A key-value state machine for the runtime simulation, as a real one behaves on a crash: its
 * applies reach its "disk" ({@link Durable}) only now and then, so a restart replays the log
 * from an older point, and a restore is durable when it returns but leaves a torn state if the
 * process dies in the middle. It checks what only the state machine can see: every index it is
 * given follows the one it applied last (nothing applied twice, nothing skipped).
 */
final class SimKvMachine implements StateMachine {
    /** Commands: a put, a delete, or the poison that makes this machine throw (every replica alike). */
    static byte[] put(String key, String value) {
        return ("P\u0000" + key + "\u0000" + value).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] delete(String key) {
        return ("D\u0000" + key).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] poison() {
        return "X".getBytes(StandardCharsets.UTF_8);
    }

    /** What survives a crash. */
    static final class Durable {
        TreeMap<String, String> data = new TreeMap<>();
        long applied;
    }

    /** Crash points inside a restore; the simulation decides whether the process dies there. */
    interface RestoreCrash {
        /** Called halfway through a restore; throws {@link SimulatedCrash} to die there. */
        void halfway();
    }

    private final long server;
    private final long groupId;
    private final Durable durable;
    private final Random random;
    private final double flushRate;
    private final AppliedEntries applied;
    private final SimWorldLog log;
    private final RestoreCrash restoreCrash;
    private TreeMap<String, String> data;
    private long appliedIndex;

    SimKvMachine(long server, long groupId, Durable durable, Random random, double flushRate, AppliedEntries applied,
                 SimWorldLog log, RestoreCrash restoreCrash) {
        this.server = server;
        this.groupId = groupId;
        this.durable = durable;
        this.random = random;
        this.flushRate = flushRate;
        this.applied = applied;
        this.log = log;
        this.restoreCrash = restoreCrash;
        this.data = new TreeMap<>(durable.data);
        this.appliedIndex = durable.applied;
    }

    /** The value of {@code key} as this replica has applied it. */
    Optional<String> get(String key) {
        return Optional.ofNullable(data.get(key));
    }

    @Override
    public List<byte[]> apply(List<Entry> committed) {
        List<byte[]> results = new ArrayList<>(committed.size());
        for (Entry e : committed) {
            // An empty machine holds exactly the state at the bootstrap point.
            long expected = appliedIndex == 0 ? GroupBootstrap.INDEX + 1 : appliedIndex + 1;
            if (e.index() != expected) {
                log.violation("server " + server + " group " + groupId + ": the state machine was given entry "
                        + e.index() + " after applying " + appliedIndex
                        + (e.index() <= appliedIndex ? " (applied twice)" : " (entries skipped)"));
            }
            applied.onApply(server, groupId, e);
            appliedIndex = e.index();
            results.add(e.type() == EntryType.NORMAL ? execute(e.data()) : new byte[0]);
        }
        if (random.nextDouble() < flushRate) {
            flush();
        }
        return results;
    }

    private byte[] execute(byte[] command) {
        String[] parts = new String(command, StandardCharsets.UTF_8).split("\u0000", -1);
        switch (parts[0]) {
            case "P" -> data.put(parts[1], parts[2]);
            case "D" -> data.remove(parts[1]);
            case "X" -> throw new IllegalStateException("poisoned command in group " + groupId);
            default -> throw new IllegalStateException("unknown command " + parts[0]);
        }
        return "ok".getBytes(StandardCharsets.UTF_8);
    }

    /** What a flush of the state machine's memtable does: everything applied becomes durable. */
    private void flush() {
        durable.data = new TreeMap<>(data);
        durable.applied = appliedIndex;
    }

    @Override
    public long durableAppliedIndex() {
        return durable.applied;
    }

    @Override
    public SnapshotImage captureImage() {
        return new SmallStateImage(encode(data, appliedIndex));
    }

    @Override
    public void restore(SnapshotMetadata metadata, SnapshotFiles files) {
        byte[] image = SmallStateImage.read(files, 1 << 20);
        TreeMap<String, String> restored = new TreeMap<>();
        long index = decode(image, restored);
        if (index != metadata.index()) {
            log.violation("server " + server + " group " + groupId + ": snapshot at " + metadata.index()
                    + " holds the state at " + index);
        }
        // Halfway: the disk holds part of the new state under the old applied index.
        TreeMap<String, String> torn = new TreeMap<>(durable.data);
        restored.entrySet().stream().limit(restored.size() / 2).forEach(en -> torn.put(en.getKey(), en.getValue()));
        torn.put("torn-marker", "partial restore");
        durable.data = torn;
        restoreCrash.halfway();
        data = restored;
        appliedIndex = metadata.index();
        flush();
        log.count("snapshot restores");
    }

    private static byte[] encode(Map<String, String> data, long index) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeLong(index);
            out.writeInt(data.size());
            for (Map.Entry<String, String> e : data.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeUTF(e.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static long decode(byte[] image, Map<String, String> into) {
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(image))) {
            long index = in.readLong();
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                into.put(in.readUTF(), in.readUTF());
            }
            return index;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
