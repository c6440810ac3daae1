package io.shardkv.kv.state;

import io.shardkv.common.ClientIds;
import io.shardkv.kv.engine.KvEngine;
import io.shardkv.kv.engine.KvKeys;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.LongConsumer;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * One group's client sessions (exactly-once writes, Raft thesis 6.3), bounded in number. Stored
 * in the group's {@code c} range, so they travel in snapshots:
 * <ul>
 *   <li>{@code c | group | client}: the session: floor (8 bytes) and last seen, log clock (8);</li>
 *   <li>{@code c | group | client | sequence}: the reply of one applied write, written once when
 *       the write applies and deleted when the client acknowledges it (never re-encoded);</li>
 *   <li>{@code c | group | 0}: the horizon, the newest {@link ClientIds} stamp of any session
 *       evicted or expired here (client id 0 is never used).</li>
 * </ul>
 * In memory only what each write needs: floor, last seen and the sequences that have replies;
 * the replies themselves are read from the database when a retry asks for one. Beyond {@code
 * maxSessions} the least recently seen session is evicted (ties by client id), on every replica
 * alike. A client without a session whose stamp is at or below the horizon may have been
 * evicted: its writes get SESSION_EXPIRED and are not applied, so a retry is never applied twice.
 * Apply thread only.
 */
final class SessionTable {
    /** One client's session. Invariant: every element of {@code replies} is {@code >= floor}. */
    static final class Session {
        long floor;
        long lastSeenMillis;
        final TreeSet<Long> replies = new TreeSet<>();
    }

    private record Age(long lastSeenMillis, long clientId) implements Comparable<Age> {
        @Override
        public int compareTo(Age o) {
            int c = Long.compare(lastSeenMillis, o.lastSeenMillis);
            return c != 0 ? c : Long.compare(clientId, o.clientId);
        }
    }

    private final long groupId;
    private final int maxSessions;
    private final Map<Long, Session> sessions = new HashMap<>();
    private final TreeSet<Age> byAge = new TreeSet<>();
    /** The newest stamp among evicted sessions; -1 while none was ever evicted here. */
    private long horizon = -1;

    private SessionTable(long groupId, int maxSessions) {
        this.groupId = groupId;
        this.maxSessions = maxSessions;
    }

    /** Reads a group's sessions from the database. */
    static SessionTable load(KvEngine engine, long groupId, int maxSessions) {
        SessionTable t = new SessionTable(groupId, maxSessions);
        try (ReadOptions ro = new ReadOptions(); RocksIterator it = engine.newIterator(ro)) {
            byte[] end = KvKeys.groupEnd(KvKeys.CLIENT, groupId);
            for (it.seek(KvKeys.groupStart(KvKeys.CLIENT, groupId)); it.isValid()
                    && KvKeys.compare(it.key(), end) < 0; it.next()) {
                byte[] key = it.key();
                long clientId = KvKeys.clientIdOf(key);
                if (key.length == KvKeys.CLIENT_KEY_BYTES && clientId == 0) {
                    t.horizon = ByteBuffer.wrap(it.value()).getLong();
                } else if (key.length == KvKeys.CLIENT_KEY_BYTES) {
                    ByteBuffer v = ByteBuffer.wrap(it.value());
                    Session s = t.sessions.computeIfAbsent(clientId, id -> new Session());
                    s.floor = v.getLong();
                    s.lastSeenMillis = v.getLong();
                } else {
                    // Replies sort after their session record, so the session is already there.
                    Session s = t.sessions.get(clientId);
                    if (s != null) {
                        s.replies.add(KvKeys.sequenceOf(key));
                    }
                }
            }
        }
        t.sessions.forEach((id, s) -> t.byAge.add(new Age(s.lastSeenMillis, id)));
        return t;
    }

    int size() {
        return sessions.size();
    }

    long horizon() {
        return horizon;
    }

    Session get(long clientId) {
        return sessions.get(clientId);
    }

    /** True when a client without a session here may have had one that was evicted or expired. */
    boolean mayHaveBeenEvicted(long clientId) {
        return ClientIds.stampOf(clientId) <= horizon;
    }

    /** Marks a session seen at {@code nowMillis} (log clock). */
    void touch(long clientId, Session s, long nowMillis) {
        if (s.lastSeenMillis != nowMillis) {
            byAge.remove(new Age(s.lastSeenMillis, clientId));
            s.lastSeenMillis = nowMillis;
            byAge.add(new Age(nowMillis, clientId));
        }
    }

    Session create(long clientId, long floor, long nowMillis) {
        Session s = new Session();
        s.floor = floor;
        s.lastSeenMillis = nowMillis;
        sessions.put(clientId, s);
        byAge.add(new Age(nowMillis, clientId));
        return s;
    }

    /**
     * Raises the floor to the client's first incomplete sequence and deletes the replies below it.
     * One point delete per reply, never a range delete: most writes acknowledge one, and a range
     * tombstone in the memtable makes RocksDB fragment the memtable's range tombstones again on
     * the next read of any key, so with one per write every get scanned thousands of them.
     */
    void acknowledgeBelow(long clientId, Session s, long firstIncomplete, WriteBatch batch) throws RocksDBException {
        if (firstIncomplete > s.floor) {
            SortedSet<Long> acknowledged = s.replies.headSet(firstIncomplete);
            for (long sequence : acknowledged) {
                batch.delete(KvKeys.clientReply(groupId, clientId, sequence));
            }
            acknowledged.clear();
            s.floor = firstIncomplete;
        }
    }

    void putReply(long clientId, Session s, long sequence, byte[] reply, WriteBatch batch) throws RocksDBException {
        batch.put(KvKeys.clientReply(groupId, clientId, sequence), reply);
        s.replies.add(sequence);
    }

    void putSession(long clientId, Session s, WriteBatch batch) throws RocksDBException {
        batch.put(KvKeys.client(groupId, clientId), ByteBuffer.allocate(16).putLong(s.floor)
                .putLong(s.lastSeenMillis).array());
    }

    /**
     * Merges another group's session of a client into this one (slots moving here, DESIGN 5):
     * the higher floor, the later last-seen time and the union of the stored replies at or above
     * the floor. Merging the same session twice changes nothing, and a session is never replaced,
     * so a write answered by either group is answered again, never applied twice.
     *
     * @return whether the client had no session here before
     */
    boolean merge(SessionImage image, WriteBatch batch, java.util.function.BiConsumer<Long, byte[]> inserted)
            throws RocksDBException {
        long clientId = image.clientId();
        Session s = sessions.get(clientId);
        boolean created = s == null;
        if (created) {
            s = create(clientId, image.floor(), image.lastSeenMillis());
        } else {
            acknowledgeBelow(clientId, s, image.floor(), batch);
            touch(clientId, s, Math.max(s.lastSeenMillis, image.lastSeenMillis()));
        }
        for (SessionImage.Reply r : image.replies()) {
            if (r.sequence() >= s.floor && !s.replies.contains(r.sequence())) {
                putReply(clientId, s, r.sequence(), r.reply(), batch);
                inserted.accept(r.sequence(), r.reply());
            }
        }
        putSession(clientId, s, batch);
        return created;
    }

    /** Raises the horizon to another group's (its evicted clients may send their retries here now). */
    void mergeHorizon(long otherHorizon, WriteBatch batch) throws RocksDBException {
        if (otherHorizon > horizon) {
            horizon = otherHorizon;
            batch.put(KvKeys.client(groupId, 0), ByteBuffer.allocate(8).putLong(horizon).array());
        }
    }

    /** Evicts the least recently seen sessions while there are more than the bound. */
    void evictOverBound(WriteBatch batch, LongConsumer evicted) throws RocksDBException {
        while (sessions.size() > maxSessions) {
            remove(byAge.first().clientId(), batch, evicted);
        }
    }

    /** Drops the sessions not seen within {@code ttlMillis} of {@code nowMillis} (log clock). */
    void expire(long nowMillis, long ttlMillis, WriteBatch batch, LongConsumer evicted) throws RocksDBException {
        Iterator<Age> it = byAge.iterator();
        while (it.hasNext()) {
            Age oldest = it.next();
            if (nowMillis - oldest.lastSeenMillis() <= ttlMillis) {
                return;
            }
            remove(oldest.clientId(), batch, evicted);
            it = byAge.iterator();
        }
    }

    private void remove(long clientId, WriteBatch batch, LongConsumer evicted) throws RocksDBException {
        Session s = sessions.remove(clientId);
        byAge.remove(new Age(s.lastSeenMillis, clientId));
        // Point deletes, as in acknowledgeBelow: the session's records are exactly its key and its replies.
        for (long sequence : s.replies) {
            batch.delete(KvKeys.clientReply(groupId, clientId, sequence));
        }
        batch.delete(KvKeys.client(groupId, clientId));
        long stamp = ClientIds.stampOf(clientId);
        if (stamp > horizon) {
            horizon = stamp;
            batch.put(KvKeys.client(groupId, 0), ByteBuffer.allocate(8).putLong(horizon).array());
        }
        evicted.accept(clientId);
    }
}
