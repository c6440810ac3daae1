package io.shardkv.kv.state;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;

/**
 * One client's exactly-once state in one group (Raft thesis 6.3): the replies of the sequences
 * at or above {@code floor} that applied, and when the client was last seen (leader clock).
 * Mutable; owned by the group's state machine on its apply thread.
 *
 * <p>Invariant: every key of {@code replies} is {@code >= floor}; a sequence below the floor was
 * acknowledged to the client, so a request carrying it is a stale duplicate.
 */
final class ClientSession {
    long floor;
    long lastSeenMillis;
    final TreeMap<Long, byte[]> replies = new TreeMap<>();

    /** Raises the floor to the client's first incomplete sequence and drops the replies below it. */
    void acknowledgeBelow(long firstIncomplete) {
        if (firstIncomplete > floor) {
            floor = firstIncomplete;
            replies.headMap(firstIncomplete).clear();
        }
    }

    byte[] encode() {
        int size = 8 + 8 + 4;
        for (byte[] r : replies.values()) {
            size += 8 + 4 + r.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).putLong(floor).putLong(lastSeenMillis).putInt(replies.size());
        for (Map.Entry<Long, byte[]> e : replies.entrySet()) {
            b.putLong(e.getKey()).putInt(e.getValue().length).put(e.getValue());
        }
        return b.array();
    }

    static ClientSession decode(byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data);
        ClientSession s = new ClientSession();
        s.floor = b.getLong();
        s.lastSeenMillis = b.getLong();
        int n = b.getInt();
        for (int i = 0; i < n; i++) {
            long seq = b.getLong();
            byte[] reply = new byte[b.getInt()];
            b.get(reply);
            s.replies.put(seq, reply);
        }
        return s;
    }
}
