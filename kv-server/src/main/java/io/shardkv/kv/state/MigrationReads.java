package io.shardkv.kv.state;

import com.google.protobuf.ByteString;
import io.shardkv.kv.engine.KvEngine;
import io.shardkv.kv.engine.KvKeys;
import io.shardkv.kv.proto.KvPair;
import io.shardkv.kv.proto.MigrationRecord;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksIterator;

/**
 * What a source replica sends a migration's target (DESIGN 5): pages of the slots' current data,
 * of the journal, and of the client sessions. Reads go straight to the database, without a
 * snapshot: the data copy may mix moments, and the journal replayed over it afterwards makes it
 * exact. Every page is bounded by bytes (at least one item), so memory stays small.
 */
public final class MigrationReads {
    /** A data cursor: the slot (2 bytes, big-endian) then the last user key sent. */
    static final int CURSOR_SLOT_BYTES = 2;

    private MigrationReads() {
    }

    /** A page of data: pairs in (slot, key) order, the cursor after them, and whether the copy is complete. */
    public record DataPage(List<KvPair> pairs, ByteString nextCursor, boolean done, long bytesEstimate) {
    }

    static DataPage data(KvEngine engine, long groupId, MigrationRecord r, ByteString cursor, long maxBytes) {
        List<Integer> slots = new ArrayList<>(r.getSlotsList());
        slots.sort(null);
        int fromSlot = -1;
        byte[] afterKey = null;
        if (!cursor.isEmpty()) {
            if (cursor.size() < CURSOR_SLOT_BYTES) {
                throw new IllegalArgumentException("a data cursor starts with a 2-byte slot; got " + cursor.size()
                        + " bytes");
            }
            fromSlot = ((cursor.byteAt(0) & 0xFF) << 8) | (cursor.byteAt(1) & 0xFF);
            afterKey = cursor.substring(CURSOR_SLOT_BYTES).toByteArray();
        }
        List<KvPair> pairs = new ArrayList<>();
        long bytes = 0;
        try (ReadOptions ro = new ReadOptions().setFillCache(false); RocksIterator it = engine.newIterator(ro)) {
            for (int slot : slots) {
                if (slot < fromSlot) {
                    continue;
                }
                byte[] end = KvKeys.slotEnd(groupId, slot);
                if (slot == fromSlot) {
                    it.seek(KvKeys.data(groupId, slot, afterKey));
                    if (it.isValid() && KvKeys.compare(it.key(), end) < 0
                            && java.util.Arrays.equals(KvKeys.userKey(it.key()), afterKey)) {
                        it.next();
                    }
                } else {
                    it.seek(KvKeys.slotStart(groupId, slot));
                }
                for (; it.isValid() && KvKeys.compare(it.key(), end) < 0; it.next()) {
                    byte[] key = KvKeys.userKey(it.key());
                    byte[] value = it.value();
                    pairs.add(KvPair.newBuilder().setKey(ByteString.copyFrom(key)).setValue(ByteString.copyFrom(value))
                            .build());
                    bytes += key.length + value.length;
                    if (bytes >= maxBytes) {
                        ByteString next = ByteString.copyFrom(ByteBuffer.allocate(CURSOR_SLOT_BYTES)
                                .putShort((short) slot).array()).concat(ByteString.copyFrom(key));
                        return new DataPage(pairs, next, false, 0);
                    }
                }
            }
        }
        return new DataPage(pairs, ByteString.EMPTY, true, 0);
    }

    /** About the bytes the slots hold (RocksDB's estimate from file metadata), for progress and ETA. */
    static long sizeEstimate(KvEngine engine, long groupId, MigrationRecord r) {
        long total = 0;
        for (int slot : r.getSlotsList()) {
            total += engine.approximateSize(KvKeys.slotStart(groupId, slot), KvKeys.slotEnd(groupId, slot));
        }
        return total;
    }

    /** Journal records from {@code fromSeq} on, up to about {@code maxBytes}. */
    static List<ByteString> journal(KvEngine engine, long groupId, long migrationId, long fromSeq, long maxBytes) {
        List<ByteString> out = new ArrayList<>();
        long bytes = 0;
        try (ReadOptions ro = new ReadOptions(); RocksIterator it = engine.newIterator(ro)) {
            byte[] end = KvKeys.journal(groupId, migrationId + 1, 0);
            long expected = Math.max(1, fromSeq);
            for (it.seek(KvKeys.journal(groupId, migrationId, expected)); it.isValid()
                    && KvKeys.compare(it.key(), end) < 0; it.next()) {
                if (KvKeys.journalSeqOf(it.key()) != expected) {
                    break; // never a gap: the target applies records strictly in order
                }
                byte[] value = it.value();
                out.add(ByteString.copyFrom(value));
                bytes += value.length;
                expected++;
                if (bytes >= maxBytes) {
                    break;
                }
            }
        }
        return out;
    }
}
