package io.shardkv.kv.state;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * What applying a command produced, handed back to the proposer as bytes and stored as the
 * session reply of a write. {@code code} is a {@code io.shardkv.kv.proto.ErrorCode} number.
 *
 * @param found          per op: DEL whether the key existed; PUT always false
 * @param configVersion  WRONG_GROUP: the slot table's map version; SESSION_EXPIRED: the group's
 *                       session horizon (see {@link SessionTable})
 * @param ownerGroup     WRONG_GROUP: the group the slot was given to, when this group gave it away (else 0)
 * @param slot           WRONG_GROUP: the slot
 * @param slotEpoch      WRONG_GROUP: the slot's epoch at its new owner
 */
public record CommandResult(int code, String message, long configVersion, boolean[] found, long ownerGroup, int slot,
                            long slotEpoch) {
    public static final int OK = 0;
    public static final int WRONG_GROUP = 2;
    public static final int SLOT_MIGRATING = 3;
    public static final int UNAVAILABLE = 7;
    public static final int INVALID_ARGUMENT = 6;
    public static final int SESSION_EXPIRED = 8;

    public static CommandResult ok(boolean[] found) {
        return new CommandResult(OK, "", 0, found, 0, 0, 0);
    }

    public static CommandResult error(int code, String message, long configVersion) {
        return new CommandResult(code, message, configVersion, new boolean[0], 0, 0, 0);
    }

    /** WRONG_GROUP naming where the slot went, so the client need not wait for a new map. */
    public static CommandResult wrongGroup(String message, long configVersion, long ownerGroup, int slot,
                                           long slotEpoch) {
        return new CommandResult(WRONG_GROUP, message, configVersion, new boolean[0], ownerGroup, slot, slotEpoch);
    }

    public boolean isOk() {
        return code == OK;
    }

    public byte[] encode() {
        byte[] msg = message.getBytes(StandardCharsets.UTF_8);
        boolean routed = ownerGroup != 0;
        ByteBuffer b = ByteBuffer.allocate(1 + 8 + 4 + msg.length + 4 + found.length + (routed ? 20 : 0))
                .put((byte) code).putLong(configVersion).putInt(msg.length).put(msg).putInt(found.length);
        for (boolean f : found) {
            b.put((byte) (f ? 1 : 0));
        }
        if (routed) {
            // Only errors carry a route, and errors are never stored as session replies: the replies
            // written before routes existed decode as they always did.
            b.putLong(ownerGroup).putInt(slot).putLong(slotEpoch);
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
        long owner = 0;
        int slot = 0;
        long epoch = 0;
        if (b.remaining() >= 20) {
            owner = b.getLong();
            slot = b.getInt();
            epoch = b.getLong();
        }
        return new CommandResult(code, new String(msg, StandardCharsets.UTF_8), version, found, owner, slot, epoch);
    }
}
