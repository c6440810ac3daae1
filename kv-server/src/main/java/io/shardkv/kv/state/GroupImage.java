package io.shardkv.kv.state;

import io.shardkv.kv.engine.KvEngine;
import io.shardkv.kv.engine.KvKeys;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteBatch;

/**
 * A group's keys as a snapshot image. Keys are stored without their kind and group prefix, so
 * an image restores into the same group id on any server.
 *
 * <pre>
 * format (1 byte) | records... | 0
 * record: kind (1 byte: a, c, d or s) | suffix length (int) | suffix | value length (int) | value
 * </pre>
 */
final class GroupImage {
    private static final int PREFIX = 9;

    private final byte[] bytes;

    private GroupImage(byte[] bytes) {
        this.bytes = bytes;
    }

    /** Reads every key of the group from one RocksDB snapshot. */
    static GroupImage read(KvEngine engine, long groupId) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        Snapshot snapshot = engine.snapshot();
        try (DataOutputStream out = new DataOutputStream(buffer);
             ReadOptions ro = new ReadOptions().setSnapshot(snapshot);
             RocksIterator it = engine.newIterator(ro)) {
            out.writeByte(0);
            for (byte kind : KvKeys.GROUP_KINDS) {
                byte[] end = KvKeys.groupEnd(kind, groupId);
                for (it.seek(KvKeys.groupStart(kind, groupId)); it.isValid() && KvKeys.compare(it.key(), end) < 0;
                     it.next()) {
                    byte[] key = it.key();
                    byte[] value = it.value();
                    out.writeByte(kind);
                    out.writeInt(key.length - PREFIX);
                    out.write(key, PREFIX, key.length - PREFIX);
                    out.writeInt(value.length);
                    out.write(value);
                }
            }
            out.writeByte(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            engine.release(snapshot);
        }
        return new GroupImage(buffer.toByteArray());
    }

    byte[] encode(byte format) {
        bytes[0] = format;
        return bytes;
    }

    static GroupImage decode(byte[] data, byte format) {
        if (data.length < 2 || data[0] != format) {
            throw new IllegalArgumentException("not a KV snapshot of format " + format + " (" + data.length + " bytes)");
        }
        return new GroupImage(data);
    }

    /** The apply state recorded in the image, or null if the group had none. */
    ApplyState applyState() {
        ApplyState[] found = new ApplyState[1];
        forEach((kind, suffix, value) -> {
            if (kind == KvKeys.APPLY) {
                found[0] = ApplyState.decode(value);
            }
        });
        return found[0];
    }

    /** Adds a put of every record, keyed for {@code groupId}, to the batch. */
    void writeTo(WriteBatch batch, long groupId) {
        forEach((kind, suffix, value) -> {
            byte[] key = ByteBuffer.allocate(PREFIX + suffix.length).put(kind).putLong(groupId).put(suffix).array();
            try {
                batch.put(key, value);
            } catch (RocksDBException e) {
                throw new IllegalStateException("cannot add a snapshot record to the batch", e);
            }
        });
    }

    private interface RecordVisitor {
        void visit(byte kind, byte[] suffix, byte[] value);
    }

    private void forEach(RecordVisitor visitor) {
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes, 1, bytes.length - 1);
            while (true) {
                byte kind = b.get();
                if (kind == 0) {
                    break;
                }
                byte[] suffix = new byte[b.getInt()];
                b.get(suffix);
                byte[] value = new byte[b.getInt()];
                b.get(value);
                visitor.visit(kind, suffix, value);
            }
            if (b.hasRemaining()) {
                throw new IllegalArgumentException("trailing bytes in a KV snapshot");
            }
        } catch (BufferUnderflowException | NegativeArraySizeException e) {
            throw new IllegalArgumentException("truncated KV snapshot of " + bytes.length + " bytes", e);
        }
    }
}
