package io.shardkv.raft.sim;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The simulated application: a string map changed by {@link KvCommand}s. A sorted map keeps its
 * snapshot bytes identical on every node holding the same state.
 */
public final class KvStateMachine implements StateMachine {
    private final TreeMap<String, String> data = new TreeMap<>();

    @Override
    public void apply(long index, byte[] command) {
        KvCommand c = KvCommand.decode(command);
        switch (c.kind()) {
            case PUT -> data.put(c.key(), c.value());
            case DELETE -> data.remove(c.key());
        }
    }

    public Optional<String> get(String key) {
        return Optional.ofNullable(data.get(key));
    }

    @Override
    public byte[] snapshot() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
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

    @Override
    public void restore(byte[] snapshot) {
        data.clear();
        if (snapshot.length == 0) {
            return;
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(snapshot))) {
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                data.put(in.readUTF(), in.readUTF());
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed snapshot of " + snapshot.length + " bytes", e);
        }
    }
}
