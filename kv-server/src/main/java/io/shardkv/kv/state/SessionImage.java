package io.shardkv.kv.state;

import io.shardkv.kv.engine.KvEngine;
import io.shardkv.kv.engine.KvKeys;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.RocksIterator;

/**
 * One client's session as stored by a group, in the form a slot migration carries it from the
 * source to the target (DESIGN 5: merged there, never replaced).
 *
 * <pre>clientId floor lastSeen (3 x long) | n (int) | n x (sequence long | len int | reply)</pre>
 */
public record SessionImage(long clientId, long floor, long lastSeenMillis, List<Reply> replies) {
    record Reply(long sequence, byte[] reply) {
    }

    byte[] encode() {
        int size = 24 + 4;
        for (Reply r : replies) {
            size += 12 + r.reply().length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).putLong(clientId).putLong(floor).putLong(lastSeenMillis)
                .putInt(replies.size());
        for (Reply r : replies) {
            b.putLong(r.sequence()).putInt(r.reply().length).put(r.reply());
        }
        return b.array();
    }

    /** Decodes what {@link #encode} wrote; IllegalArgumentException on anything malformed (it came over the network). */
    static SessionImage decode(byte[] data) {
        try {
            ByteBuffer b = ByteBuffer.wrap(data);
            long clientId = b.getLong();
            long floor = b.getLong();
            long lastSeen = b.getLong();
            int n = b.getInt();
            if (n < 0 || (long) n * 12 > b.remaining()) {
                throw new IllegalArgumentException("bad reply count " + n);
            }
            List<Reply> replies = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                long seq = b.getLong();
                int len = b.getInt();
                if (len < 0 || len > b.remaining()) {
                    throw new IllegalArgumentException("bad reply length " + len);
                }
                byte[] reply = new byte[len];
                b.get(reply);
                replies.add(new Reply(seq, reply));
            }
            if (b.hasRemaining() || clientId == 0) {
                throw new IllegalArgumentException(clientId == 0 ? "client id 0" : "trailing bytes");
            }
            return new SessionImage(clientId, floor, lastSeen, replies);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated session of " + data.length + " bytes", e);
        }
    }

    /** A page of a group's sessions after client {@code afterClient} (exclusive), read from the database. */
    public record Page(List<byte[]> sessions, long lastClient, boolean done, long horizon) {
    }

    /**
     * Reads the sessions of {@code groupId} with a client id above {@code afterClient}, stopping
     * after about {@code maxBytes}: a session is never split across pages.
     */
    static Page read(KvEngine engine, long groupId, long afterClient, long maxBytes) {
        List<byte[]> out = new ArrayList<>();
        long bytes = 0;
        long horizon = -1;
        byte[] horizonValue = engine.get(KvKeys.client(groupId, 0));
        if (horizonValue != null) {
            horizon = ByteBuffer.wrap(horizonValue).getLong();
        }
        try (org.rocksdb.ReadOptions ro = new org.rocksdb.ReadOptions(); RocksIterator it = engine.newIterator(ro)) {
            byte[] end = KvKeys.groupEnd(KvKeys.CLIENT, groupId);
            it.seek(KvKeys.client(groupId, Math.max(1, afterClient + 1)));
            long current = 0;
            long floor = 0;
            long lastSeen = 0;
            List<Reply> replies = new ArrayList<>();
            long last = afterClient;
            while (it.isValid() && KvKeys.compare(it.key(), end) < 0) {
                byte[] key = it.key();
                long clientId = KvKeys.clientIdOf(key);
                if (key.length == KvKeys.CLIENT_KEY_BYTES) {
                    if (current != 0) {
                        byte[] encoded = new SessionImage(current, floor, lastSeen, replies).encode();
                        out.add(encoded);
                        bytes += encoded.length;
                        last = current;
                        replies = new ArrayList<>();
                        if (bytes >= maxBytes) {
                            return new Page(out, last, false, horizon);
                        }
                    }
                    ByteBuffer v = ByteBuffer.wrap(it.value());
                    current = clientId;
                    floor = v.getLong();
                    lastSeen = v.getLong();
                } else if (clientId == current) {
                    replies.add(new Reply(KvKeys.sequenceOf(key), it.value()));
                }
                it.next();
            }
            if (current != 0) {
                out.add(new SessionImage(current, floor, lastSeen, replies).encode());
                last = current;
            }
            return new Page(out, last, true, horizon);
        }
    }
}
