package io.shardkv.kv.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;

/**
 * Scans one group's user keys in byte order across the slots it owns. Data keys sort by slot
 * first, so each slot is its own sorted run; a k-way merge of one iterator per slot, all on one
 * RocksDB snapshot, yields the group's keys in user-key order as of one instant.
 */
public final class SlotMergeScan {

    private SlotMergeScan() {
    }

    /**
     * Reads up to {@code limit} pairs with keys in [{@code from}, {@code end}) (end empty: no
     * bound), skipping {@code from} itself when {@code fromExclusive}. The page also ends once its
     * keys and values reach {@code maxBytes} (it always holds at least one pair), so its memory is
     * bounded by the budget plus one value, whatever the values' sizes. Values are read only for
     * the pairs taken, not for each slot's next key waiting in the merge.
     */
    public static ScanPage scan(KvEngine engine, long groupId, List<Integer> slots, byte[] from, boolean fromExclusive,
                                byte[] end, int limit, long maxBytes) {
        Snapshot snapshot = engine.snapshot();
        List<RocksIterator> iterators = new ArrayList<>(slots.size());
        try (ReadOptions ro = new ReadOptions().setSnapshot(snapshot)) {
            PriorityQueue<Run> heap = new PriorityQueue<>(Math.max(1, slots.size()),
                    (a, b) -> KvKeys.compare(a.userKey, b.userKey));
            for (int slot : slots) {
                RocksIterator it = engine.newIterator(ro);
                iterators.add(it);
                Run run = new Run(it, KvKeys.slotEnd(groupId, slot), end);
                it.seek(KvKeys.data(groupId, slot, from));
                if (run.load() && fromExclusive && Arrays.equals(run.userKey, from)) {
                    it.next();
                    run.load();
                }
                if (run.userKey != null) {
                    heap.add(run);
                }
            }
            List<byte[]> keys = new ArrayList<>();
            List<byte[]> values = new ArrayList<>();
            long bytes = 0;
            while (!heap.isEmpty() && keys.size() < limit && bytes < maxBytes) {
                Run run = heap.poll();
                byte[] value = run.iterator.value();
                keys.add(run.userKey);
                values.add(value);
                bytes += run.userKey.length + value.length;
                run.iterator.next();
                if (run.load()) {
                    heap.add(run);
                }
            }
            return new ScanPage(keys, values, !heap.isEmpty());
        } finally {
            iterators.forEach(RocksIterator::close);
            engine.release(snapshot);
        }
    }

    /** One slot's iterator and its current pair (null key when exhausted or past the range). */
    private static final class Run {
        final RocksIterator iterator;
        final byte[] slotEnd;
        final byte[] end;
        byte[] userKey;

        Run(RocksIterator iterator, byte[] slotEnd, byte[] end) {
            this.iterator = iterator;
            this.slotEnd = slotEnd;
            this.end = end;
        }

        boolean load() {
            userKey = null;
            if (!iterator.isValid()) {
                return false;
            }
            byte[] key = iterator.key();
            if (KvKeys.compare(key, slotEnd) >= 0) {
                return false;
            }
            byte[] user = KvKeys.userKey(key);
            if (end.length > 0 && KvKeys.compare(user, end) >= 0) {
                return false;
            }
            userKey = user;
            return true;
        }
    }
}
