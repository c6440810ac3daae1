package io.shardkv.kv.state;

import com.google.protobuf.InvalidProtocolBufferException;
import io.shardkv.kv.proto.MigrationCommand;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary form of {@link Command}s in the log. The first byte is the format version, so a
 * later format can be read beside this one; the second is the command type.
 *
 * <pre>
 * WRITE:        1 | 1 | clientId sequence firstIncomplete timestamp (4 x long) | n (int) | n x (op byte | klen int | key | vlen int | value)
 * ASSIGN_SLOTS: 1 | 2 | timestamp configVersion (2 x long) | n (int) | n x slot (short)
 * MIGRATION:    1 | 3 | timestamp (long) | MigrationCommand (protobuf, kv_state.proto)
 * </pre>
 */
public final class CommandCodec {
    static final byte VERSION = 1;
    private static final byte WRITE = 1;
    private static final byte ASSIGN_SLOTS = 2;
    private static final byte MIGRATION = 3;
    private static final byte PUT = 1;
    private static final byte DEL = 2;

    private CommandCodec() {
    }

    public static byte[] encode(Command command) {
        if (command instanceof Command.Write w) {
            int size = 2 + 32 + 4;
            for (Command.Op op : w.ops()) {
                size += 1 + 4 + op.key().length + 4 + op.value().length;
            }
            ByteBuffer b = ByteBuffer.allocate(size).put(VERSION).put(WRITE);
            b.putLong(w.session().clientId()).putLong(w.session().sequence()).putLong(w.session().firstIncomplete())
                    .putLong(w.timestampMillis()).putInt(w.ops().size());
            for (Command.Op op : w.ops()) {
                b.put(op.put() ? PUT : DEL).putInt(op.key().length).put(op.key())
                        .putInt(op.value().length).put(op.value());
            }
            return b.array();
        }
        if (command instanceof Command.Migration m) {
            byte[] step = m.step().toByteArray();
            return ByteBuffer.allocate(2 + 8 + step.length).put(VERSION).put(MIGRATION).putLong(m.timestampMillis())
                    .put(step).array();
        }
        Command.AssignSlots a = (Command.AssignSlots) command;
        ByteBuffer b = ByteBuffer.allocate(2 + 16 + 4 + 2 * a.slots().size()).put(VERSION).put(ASSIGN_SLOTS)
                .putLong(a.timestampMillis()).putLong(a.configVersion()).putInt(a.slots().size());
        a.slots().forEach(s -> b.putShort((short) (int) s));
        return b.array();
    }

    /** Decodes a log entry's data; throws IllegalArgumentException on anything malformed. */
    public static Command decode(byte[] data) {
        try {
            ByteBuffer b = ByteBuffer.wrap(data);
            byte version = b.get();
            if (version != VERSION) {
                throw new IllegalArgumentException("unknown command format " + version);
            }
            byte type = b.get();
            Command c;
            if (type == WRITE) {
                Command.Session session = new Command.Session(b.getLong(), b.getLong(), b.getLong());
                long ts = b.getLong();
                int n = count(b, 9);
                List<Command.Op> ops = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    byte kind = b.get();
                    if (kind != PUT && kind != DEL) {
                        throw new IllegalArgumentException("unknown op " + kind);
                    }
                    byte[] key = bytes(b);
                    byte[] value = bytes(b);
                    ops.add(new Command.Op(kind == PUT, key, value));
                }
                c = new Command.Write(session, ts, ops);
            } else if (type == ASSIGN_SLOTS) {
                long ts = b.getLong();
                long version2 = b.getLong();
                int n = count(b, 2);
                List<Integer> slots = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    slots.add((int) b.getShort());
                }
                c = new Command.AssignSlots(ts, version2, slots);
            } else if (type == MIGRATION) {
                long ts = b.getLong();
                byte[] step = new byte[b.remaining()];
                b.get(step);
                try {
                    c = new Command.Migration(ts, MigrationCommand.parseFrom(step));
                } catch (InvalidProtocolBufferException e) {
                    throw new IllegalArgumentException("malformed migration command: " + e.getMessage(), e);
                }
            } else {
                throw new IllegalArgumentException("unknown command type " + type);
            }
            if (b.hasRemaining()) {
                throw new IllegalArgumentException(b.remaining() + " trailing bytes after a command");
            }
            return c;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated command of " + data.length + " bytes", e);
        }
    }

    private static int count(ByteBuffer b, int minBytesEach) {
        int n = b.getInt();
        if (n < 0 || (long) n * minBytesEach > b.remaining()) {
            throw new IllegalArgumentException("bad count " + n);
        }
        return n;
    }

    private static byte[] bytes(ByteBuffer b) {
        int len = b.getInt();
        if (len < 0 || len > b.remaining()) {
            throw new IllegalArgumentException("bad length " + len);
        }
        byte[] out = new byte[len];
        b.get(out);
        return out;
    }
}
