package io.shardkv.kv.engine;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Key layout of the shared KV RocksDB (DESIGN 3). Every key starts with a one-byte kind and the
 * 8-byte big-endian group id, so one group's keys of one kind form a contiguous range that
 * {@code deleteRange} drops at once and a snapshot iterates in order:
 * <ul>
 *   <li>{@code d | groupId | slot (2 bytes) | userKey}: data,</li>
 *   <li>{@code a | groupId}: the apply state (applied index, term, clock),</li>
 *   <li>{@code c | groupId | clientId (8 bytes)}: a client session,</li>
 *   <li>{@code s | groupId}: the slot table,</li>
 *   <li>{@code m | groupId | migrationId}: the group's record of a slot migration,</li>
 *   <li>{@code j | groupId | migrationId | seq}: a migration's journal on the source: the writes
 *       to its slots since it began, in log order.</li>
 * </ul>
 */
public final class KvKeys {
    public static final byte DATA = 'd';
    public static final byte APPLY = 'a';
    public static final byte CLIENT = 'c';
    public static final byte SLOTS = 's';
    public static final byte MIGRATION = 'm';
    public static final byte JOURNAL = 'j';
    /** Every kind a group has keys of, for whole-group deletes, snapshots and restores. */
    public static final byte[] GROUP_KINDS = {APPLY, CLIENT, DATA, JOURNAL, MIGRATION, SLOTS};

    static final int GROUP_PREFIX_BYTES = 9;
    static final int SLOT_PREFIX_BYTES = 11;

    private KvKeys() {
    }

    public static byte[] data(long groupId, int slot, byte[] userKey) {
        return ByteBuffer.allocate(SLOT_PREFIX_BYTES + userKey.length).put(DATA).putLong(groupId)
                .putShort((short) slot).put(userKey).array();
    }

    /** The first key of a slot's data: every data key of the slot starts with it. */
    public static byte[] slotStart(long groupId, int slot) {
        return ByteBuffer.allocate(SLOT_PREFIX_BYTES).put(DATA).putLong(groupId).putShort((short) slot).array();
    }

    /** The exclusive end of a slot's data (the start of the next slot; slot 1024 fits in two bytes). */
    public static byte[] slotEnd(long groupId, int slot) {
        return slotStart(groupId, slot + 1);
    }

    /** The user key of a data key. */
    public static byte[] userKey(byte[] dataKey) {
        return Arrays.copyOfRange(dataKey, SLOT_PREFIX_BYTES, dataKey.length);
    }

    public static byte[] apply(long groupId) {
        return groupStart(APPLY, groupId);
    }

    public static byte[] slots(long groupId) {
        return groupStart(SLOTS, groupId);
    }

    public static byte[] migration(long groupId, long migrationId) {
        return ByteBuffer.allocate(GROUP_PREFIX_BYTES + 8).put(MIGRATION).putLong(groupId).putLong(migrationId).array();
    }

    /** Journal record {@code seq} of a migration; a migration's records are contiguous, in order. */
    public static byte[] journal(long groupId, long migrationId, long seq) {
        return ByteBuffer.allocate(GROUP_PREFIX_BYTES + 16).put(JOURNAL).putLong(groupId).putLong(migrationId)
                .putLong(seq).array();
    }

    /** The sequence number of a journal key. */
    public static long journalSeqOf(byte[] journalKey) {
        return ByteBuffer.wrap(journalKey, GROUP_PREFIX_BYTES + 8, 8).getLong();
    }

    /** The slot of a data key. */
    public static int slotOf(byte[] dataKey) {
        return ByteBuffer.wrap(dataKey, GROUP_PREFIX_BYTES, 2).getShort() & 0xFFFF;
    }

    public static byte[] client(long groupId, long clientId) {
        return ByteBuffer.allocate(GROUP_PREFIX_BYTES + 8).put(CLIENT).putLong(groupId).putLong(clientId).array();
    }

    /** The stored reply of a client's write {@code sequence}: the client's key, then the sequence. */
    public static byte[] clientReply(long groupId, long clientId, long sequence) {
        return ByteBuffer.allocate(GROUP_PREFIX_BYTES + 16).put(CLIENT).putLong(groupId).putLong(clientId)
                .putLong(sequence).array();
    }

    /** Key length of a client's session record (a reply's key is 8 bytes longer). */
    public static final int CLIENT_KEY_BYTES = GROUP_PREFIX_BYTES + 8;

    /** The sequence of a reply key. */
    public static long sequenceOf(byte[] replyKey) {
        return ByteBuffer.wrap(replyKey, GROUP_PREFIX_BYTES + 8, 8).getLong();
    }

    public static long clientIdOf(byte[] clientKey) {
        return ByteBuffer.wrap(clientKey, GROUP_PREFIX_BYTES, 8).getLong();
    }

    /** The first key of a group's range of one kind. */
    public static byte[] groupStart(byte kind, long groupId) {
        return ByteBuffer.allocate(GROUP_PREFIX_BYTES).put(kind).putLong(groupId).array();
    }

    /** The exclusive end of a group's range of one kind. */
    public static byte[] groupEnd(byte kind, long groupId) {
        if (groupId == Long.MAX_VALUE) {
            return new byte[] {(byte) (kind + 1)};
        }
        return groupStart(kind, groupId + 1);
    }

    /** The group id of any key of this layout. */
    public static long groupOf(byte[] key) {
        return ByteBuffer.wrap(key, 1, 8).getLong();
    }

    /** Unsigned lexicographic order, the order RocksDB's default comparator keeps. */
    public static int compare(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b);
    }
}
