package io.shardkv.kv.state;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * What applying a command produced, handed back to the proposer as bytes and stored as the
 * session reply of a write. {@code code} is a {@code io.shardkv.kv.proto.ErrorCode} number.
 *
 * @param found          per op: DEL whether the key existed; PUT always false
 * @param configVersion  WRONG_GROUP: the owned-slot set's map version; SESSION_EXPIRED: the group's
 *                       session horizon (see {@link SessionTable})
 */
public record CommandResult(int code, String message, long configVersion, boolean[] found) {
    public static final int OK = 0;
    public static final int WRONG_GROUP = 2;
    public static final int INVALID_ARGUMENT = 6;
    public static final int SESSION_EXPIRED = 8;

    public static CommandResult ok(boolean[] found) {
        return new CommandResult(OK, "", 0, found);
    }

    public static CommandResult error(int code, String message, long configVersion) {
        return new CommandResult(code, message, configVersion, new boolean[0]);
    }

    public boolean isOk() {
        return code == OK;
    }

    public byte[] encode() {
        byte[] msg = message.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(1 + 8 + 4 + msg.length + 4 + found.length).put((byte) code)
                .putLong(configVersion).putInt(msg.length).put(msg).putInt(found.length);
        for (boolean f : found) {
            b.put((byte) (f ? 1 : 0));
        }
        return b.array();
    }

    public static CommandResult decode(byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data);
        int code = b.get();
        long version = b.getLong();
        byte[] msg = new byte[b.getInt()];
        b.get(msg);
        boolean[] found = new boolean[b.getInt()];
        for (int i = 0; i < found.length; i++) {
            found[i] = b.get() != 0;
        }
        return new CommandResult(code, new String(msg, StandardCharsets.UTF_8), version, found);
    }
}
