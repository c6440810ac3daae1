package io.shardkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The k-way merge over groups' pages, with an in-memory page source that pages by cursor. Keys
 * live in (fake) slots; by default slot g holds the keys put "in group g" and is owned by group g.
 */
class MergingScanIteratorTest {
    private final Map<Integer, TreeMap<byte[], byte[]>> slots = new HashMap<>();
    /** Slot to owner, as the newest map says; a fetch for a slot its group no longer owns fails WRONG_GROUP. */
    private final Map<Integer, Long> owner = new HashMap<>();
    private final AtomicInteger fetches = new AtomicInteger();
    /** Every other page of a group comes back empty but with more=true, as a cut-short page would. */
    private boolean emptyPages;
    /** Runs before each fetch (a slot move in the middle of a scan). */
    private Runnable beforeFetch = () -> { };

    private void put(long group, String key) {
        putInSlot((int) group, group, key);
    }

    private void putInSlot(int slot, long group, String key) {
        owner.putIfAbsent(slot, group);
        slots.computeIfAbsent(slot, g -> new TreeMap<>(Arrays::compareUnsigned))
                .put(key.getBytes(StandardCharsets.UTF_8), ("v-" + key).getBytes(StandardCharsets.UTF_8));
    }

    private CompletableFuture<MergingScanIterator.Page> fetch(long group, List<Integer> fetchSlots, byte[] cursor,
                                                              int limit) {
        beforeFetch.run();
        int n = fetches.incrementAndGet();
        for (int slot : fetchSlots) {
            if (owner.getOrDefault(slot, group) != group) {
                return CompletableFuture.failedFuture(new KvException(io.shardkv.kv.proto.ErrorCode.WRONG_GROUP,
                        "slot " + slot + " moved"));
            }
        }
        TreeMap<byte[], byte[]> data = new TreeMap<>(Arrays::compareUnsigned);
        fetchSlots.forEach(slot -> data.putAll(slots.getOrDefault(slot, new TreeMap<>(Arrays::compareUnsigned))));
        if (emptyPages && n % 2 == 0) {
            return CompletableFuture.completedFuture(new MergingScanIterator.Page(List.of(), cursor, true));
        }
        var tail = cursor.length == 0 ? data : data.tailMap(cursor, false);
        List<KvPair> pairs = new ArrayList<>();
        byte[] last = cursor;
        for (var entry : tail.entrySet()) {
            if (pairs.size() == limit) {
                return CompletableFuture.completedFuture(new MergingScanIterator.Page(pairs, last, true));
            }
            pairs.add(new KvPair(entry.getKey(), entry.getValue()));
            last = entry.getKey();
        }
        return CompletableFuture.completedFuture(new MergingScanIterator.Page(pairs, new byte[0], false));
    }

    /** Each group reads the slot of its own id. */
    private static Map<Long, List<Integer>> own(List<Long> groupIds) {
        Map<Long, List<Integer>> out = new TreeMap<>();
        groupIds.forEach(g -> out.put(g, List.of(g.intValue())));
        return out;
    }

    private Map<Long, List<Integer>> owners(long formerGroup, List<Integer> moved) {
        Map<Long, List<Integer>> out = new TreeMap<>();
        moved.forEach(slot -> out.computeIfAbsent(owner.get(slot), g -> new ArrayList<>()).add(slot));
        return out;
    }

    private MergingScanIterator iterator(Map<Long, List<Integer>> groupSlots, int pageSize, long limit) {
        return new MergingScanIterator(groupSlots, this::fetch, this::owners, pageSize, limit, KvClient::join);
    }

    private List<String> scan(List<Long> groupIds, int pageSize, long limit) {
        MergingScanIterator it = iterator(own(groupIds), pageSize, limit);
        List<String> keys = new ArrayList<>();
        it.forEachRemaining(p -> keys.add(p.keyUtf8()));
        return keys;
    }

    @Test
    void mergesGroupsInKeyOrderAcrossPages() {
        List<String> all = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            String key = String.format("k%03d", i);
            put(1 + (i * 7919 % 3), key);
            all.add(key);
        }
        assertThat(scan(List.of(1L, 2L, 3L), 4, 0)).containsExactlyElementsOf(all);
        assertThat(fetches.get()).isGreaterThan(3 * 8);
        fetches.set(0);
        assertThat(scan(List.of(1L, 2L, 3L), 1000, 0)).containsExactlyElementsOf(all);
        assertThat(fetches.get()).isEqualTo(3);
    }

    @Test
    void stopsAtTheLimitWithoutReadingFurther() {
        for (int i = 0; i < 50; i++) {
            put(1 + i % 2, String.format("k%02d", i));
        }
        assertThat(scan(List.of(1L, 2L), 10, 5)).containsExactly("k00", "k01", "k02", "k03", "k04");
        // First pages only, each asking for no more than the limit.
        assertThat(fetches.get()).isEqualTo(2);
    }

    @Test
    void unsignedByteOrderAndEmptyGroups() {
        put(1, "a");
        put(2, "\u00ff");
        put(2, "b");
        assertThat(scan(List.of(1L, 2L, 3L), 1, 0)).containsExactly("a", "b", "\u00ff");
        assertThat(scan(List.of(), 1, 0)).isEmpty();
    }

    @Test
    void followsEmptyPagesThatSayMore() {
        emptyPages = true;
        for (int i = 0; i < 20; i++) {
            put(1 + i % 2, String.format("k%02d", i));
        }
        List<String> keys = scan(List.of(1L, 2L), 3, 0);
        assertThat(keys).hasSize(20).isSorted();
    }

    @Test
    void nextAfterTheEndThrows() {
        MergingScanIterator it = iterator(own(List.of(1L)), 10, 0);
        assertThat(it.hasNext()).isFalse();
        assertThatThrownBy(it::next).isInstanceOf(NoSuchElementException.class);
    }

    @Test
    void aFailedPageSurfacesAsTheClientsException() {
        put(1, "a");
        MergingScanIterator it = new MergingScanIterator(own(List.of(1L)),
                (g, slots, c, l) -> CompletableFuture.failedFuture(new KvTimeoutException("scan timed out", null)),
                this::owners, 10, 0, KvClient::join);
        assertThatThrownBy(it::hasNext).isInstanceOf(KvTimeoutException.class).hasMessage("scan timed out");
    }

    @Test
    void slotsThatMoveDuringTheScanAreReadFromTheirNewOwnerWithoutRepeatsOrGaps() {
        List<String> all = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String key = String.format("k%03d", i);
            putInSlot(10 + i % 4, 1, key);
            all.add(key);
        }
        // Group 1 serves slots 10-13; after a few pages slots 12 and 13 move to group 2, and later 13 to 3.
        beforeFetch = () -> {
            if (fetches.get() == 5) {
                owner.put(12, 2L);
                owner.put(13, 2L);
            }
            if (fetches.get() == 20) {
                owner.put(13, 3L);
            }
        };
        MergingScanIterator it = iterator(Map.of(1L, List.of(10, 11, 12, 13)), 7, 0);
        List<String> keys = new ArrayList<>();
        it.forEachRemaining(p -> keys.add(p.keyUtf8()));
        assertThat(keys).containsExactlyElementsOf(all);
    }

    @Test
    void slotsWithoutAnOwnerFailTheScanClearly() {
        putInSlot(5, 1, "a");
        owner.put(5, 0L);
        assertThatThrownBy(() -> iterator(Map.of(1L, List.of(5)), 10, 0).hasNext())
                .isInstanceOf(KvException.class).hasMessageContaining("no owner");
    }
}
