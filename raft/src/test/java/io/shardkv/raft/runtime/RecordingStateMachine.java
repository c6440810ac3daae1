package io.shardkv.raft.runtime;

import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.EntryType;
import io.shardkv.raft.core.SnapshotMetadata;
import io.shardkv.raft.snapshot.SnapshotFiles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test state machine that keeps the commands it applied, in order. It can pretend its state is
 * durable (so the runtime compacts the log) and can be told to fail on a command.
 */
final class RecordingStateMachine implements StateMachine {
    private final List<String> commands = new ArrayList<>();
    private final boolean durable;
    private final String poison;
    private final AtomicInteger imagesToFail;
    /** Applies wait while this is closed (a slow disk, a long GC in the state machine). */
    private volatile java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(0);
    private volatile long applied;

    RecordingStateMachine(boolean durable, String poison) {
        this(durable, poison, new AtomicInteger());
    }

    /** @param imagesToFail this many images (shared by the machines given it) fail as they are written */
    RecordingStateMachine(boolean durable, String poison, AtomicInteger imagesToFail) {
        this.durable = durable;
        this.poison = poison;
        this.imagesToFail = imagesToFail;
    }

    static RecordingStateMachine inMemory() {
        return new RecordingStateMachine(false, null);
    }

    /** From now on, applies wait until {@link #releaseApplies()}. */
    void holdApplies() {
        gate = new java.util.concurrent.CountDownLatch(1);
    }

    void releaseApplies() {
        gate.countDown();
    }

    @Override
    public List<byte[]> apply(List<Entry> committed) {
        try {
            gate.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to apply", e);
        }
        return applyNow(committed);
    }

    private synchronized List<byte[]> applyNow(List<Entry> committed) {
        List<byte[]> results = new ArrayList<>(committed.size());
        for (Entry e : committed) {
            if (e.type() == EntryType.NORMAL) {
                String command = new String(e.data(), StandardCharsets.UTF_8);
                if (command.equals(poison)) {
                    throw new IllegalStateException("poisoned command " + command);
                }
                commands.add(command);
                results.add(("ok:" + command).getBytes(StandardCharsets.UTF_8));
            } else {
                results.add(new byte[0]);
            }
            applied = e.index();
        }
        return results;
    }

    @Override
    public long durableAppliedIndex() {
        return durable ? applied : 0;
    }

    @Override
    public synchronized SnapshotImage captureImage() {
        SmallStateImage image = new SmallStateImage(encode());
        if (imagesToFail.getAndUpdate(n -> Math.max(0, n - 1)) == 0) {
            return image;
        }
        return new SnapshotImage() {
            @Override
            public List<String> writeFiles(java.nio.file.Path dir) {
                throw new OutOfMemoryError("Java heap space (simulated while writing a snapshot)");
            }

            @Override
            public void close() {
            }
        };
    }

    private byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(commands.size());
            for (String c : commands) {
                out.writeUTF(c);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    @Override
    public synchronized void restore(SnapshotMetadata metadata, SnapshotFiles files) {
        commands.clear();
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(SmallStateImage.read(files, 1 << 30)))) {
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                commands.add(in.readUTF());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        applied = metadata.index();
    }

    synchronized List<String> commands() {
        return List.copyOf(commands);
    }
}
