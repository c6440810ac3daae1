package io.shardkv.raft.storage;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.HardState;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * Binary format of a {@link GroupState} record, all integers big-endian:
 * <pre>
 *   version        1 byte (= 1)
 *   term, vote, commit                 3 x 8 bytes
 *   truncatedIndex, truncatedTerm      2 x 8 bytes
 *   voters          count (4 bytes) then that many 8-byte ids
 *   votersOutgoing  count (4 bytes) then ids
 *   learners        count (4 bytes) then ids
 *   autoLeave       1 byte (0 or 1)
 * </pre>
 * The version byte lets a later format be read beside this one. Decoding checks every length,
 * because a record that does not parse must stop the group rather than start it with wrong state.
 */
final class GroupStateCodec {
    private static final byte VERSION = 1;
    private static final int FIXED_BYTES = 1 + 5 * 8 + 3 * 4 + 1;

    private GroupStateCodec() {
    }

    static byte[] encode(GroupState s) {
        ConfState cs = s.confState();
        int ids = cs.voters().size() + cs.votersOutgoing().size() + cs.learners().size();
        ByteBuffer buf = ByteBuffer.allocate(FIXED_BYTES + 8 * ids);
        buf.put(VERSION);
        buf.putLong(s.hardState().term()).putLong(s.hardState().vote()).putLong(s.hardState().commit());
        buf.putLong(s.truncatedIndex()).putLong(s.truncatedTerm());
        putIds(buf, cs.voters());
        putIds(buf, cs.votersOutgoing());
        putIds(buf, cs.learners());
        buf.put((byte) (cs.autoLeave() ? 1 : 0));
        return buf.array();
    }

    static GroupState decode(long groupId, byte[] bytes) {
        try {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            byte version = buf.get();
            if (version != VERSION) {
                throw corrupt(groupId, "unknown version " + version);
            }
            HardState hs = new HardState(buf.getLong(), buf.getLong(), buf.getLong());
            long truncatedIndex = buf.getLong();
            long truncatedTerm = buf.getLong();
            Set<Long> voters = getIds(groupId, buf);
            Set<Long> outgoing = getIds(groupId, buf);
            Set<Long> learners = getIds(groupId, buf);
            byte autoLeave = buf.get();
            if (buf.hasRemaining() || (autoLeave != 0 && autoLeave != 1)) {
                throw corrupt(groupId, buf.remaining() + " trailing bytes, autoLeave byte " + autoLeave);
            }
            return new GroupState(hs, truncatedIndex, truncatedTerm,
                    new ConfState(voters, outgoing, learners, autoLeave == 1));
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            IllegalStateException ex = corrupt(groupId, bytes.length + " bytes do not parse: " + e);
            ex.initCause(e);
            throw ex;
        }
    }

    private static void putIds(ByteBuffer buf, Set<Long> ids) {
        buf.putInt(ids.size());
        // Sorted, so the same state always encodes to the same bytes.
        for (long id : new TreeSet<>(ids)) {
            buf.putLong(id);
        }
    }

    private static Set<Long> getIds(long groupId, ByteBuffer buf) {
        int n = buf.getInt();
        if (n < 0 || n > buf.remaining() / 8) {
            throw corrupt(groupId, "id count " + n + " with " + buf.remaining() + " bytes left");
        }
        Set<Long> ids = new HashSet<>(n * 2);
        for (int i = 0; i < n; i++) {
            ids.add(buf.getLong());
        }
        return ids;
    }

    private static IllegalStateException corrupt(long groupId, String why) {
        return new IllegalStateException("state record of group " + groupId + " is corrupt: " + why);
    }
}
