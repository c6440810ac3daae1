package io.shardkv.raft.runtime;

import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.EntryType;
import io.shardkv.raft.core.Snapshot;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A test state machine that keeps the commands it applied, in order. It can pretend its state is
 * durable (so the runtime compacts the log) and can be told to fail on a command.
 */
final class RecordingStateMachine implements StateMachine {
    private final List<String> commands = new ArrayList<>();
    private final boolean durable;
    private final String poison;
    private volatile long applied;

    RecordingStateMachine(boolean durable, String poison) {
        this.durable = durable;
        this.poison = poison;
    }

    static RecordingStateMachine inMemory() {
        return new RecordingStateMachine(false, null);
    }

    @Override
    public synchronized List<byte[]> apply(List<Entry> committed) {
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
    public synchronized byte[] snapshotData() {
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
    public synchronized void restore(Snapshot snapshot) {
        commands.clear();
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(snapshot.data()))) {
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                commands.add(in.readUTF());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        applied = snapshot.index();
    }

    synchronized List<String> commands() {
        return List.copyOf(commands);
    }
}
