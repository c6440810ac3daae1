package io.shardkv.raft.sim;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A write to the simulated key-value store, as carried in a log entry. {@code commandId} is unique
 * per proposal attempt in a run, so a client can tell its own entry from another one that took
 * its log index.
 */
public record KvCommand(long clientId, long commandId, Kind kind, String key, String value) {

    public enum Kind { PUT, DELETE }

    public static KvCommand put(long clientId, long commandId, String key, String value) {
        return new KvCommand(clientId, commandId, Kind.PUT, key, value);
    }

    public static KvCommand delete(long clientId, long commandId, String key) {
        return new KvCommand(clientId, commandId, Kind.DELETE, key, "");
    }

    public byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(32 + key.length() + value.length());
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeLong(clientId);
            out.writeLong(commandId);
            out.writeByte(kind.ordinal());
            out.writeUTF(key);
            out.writeUTF(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static KvCommand decode(byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            long clientId = in.readLong();
            long commandId = in.readLong();
            Kind kind = Kind.values()[in.readUnsignedByte()];
            String key = in.readUTF();
            String value = in.readUTF();
            return new KvCommand(clientId, commandId, kind, key, value);
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed command of " + data.length + " bytes", e);
        }
    }
}
