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

/** The k-way merge over groups' pages, with an in-memory page source that pages by cursor. */
class MergingScanIteratorTest {
    private final Map<Long, TreeMap<byte[], byte[]>> groups = new HashMap<>();
    private final AtomicInteger fetches = new AtomicInteger();
    /** Every other page of a group comes back empty but with more=true, as a cut-short page would. */
    private boolean emptyPages;

    private void put(long group, String key) {
        groups.computeIfAbsent(group, g -> new TreeMap<>(Arrays::compareUnsigned))
                .put(key.getBytes(StandardCharsets.UTF_8), ("v-" + key).getBytes(StandardCharsets.UTF_8));
    }

    private CompletableFuture<MergingScanIterator.Page> fetch(long group, byte[] cursor, int limit) {
        int n = fetches.incrementAndGet();
        TreeMap<byte[], byte[]> data = groups.getOrDefault(group, new TreeMap<>(Arrays::compareUnsigned));
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

    private List<String> scan(List<Long> groupIds, int pageSize, long limit) {
        MergingScanIterator it = new MergingScanIterator(groupIds, this::fetch, pageSize, limit, KvClient::join);
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
        MergingScanIterator it = new MergingScanIterator(List.of(1L), this::fetch, 10, 0, KvClient::join);
        assertThat(it.hasNext()).isFalse();
        assertThatThrownBy(it::next).isInstanceOf(NoSuchElementException.class);
    }

    @Test
    void aFailedPageSurfacesAsTheClientsException() {
        put(1, "a");
        MergingScanIterator it = new MergingScanIterator(List.of(1L),
                (g, c, l) -> CompletableFuture.failedFuture(new KvTimeoutException("scan timed out", null)),
                10, 0, KvClient::join);
        assertThatThrownBy(it::hasNext).isInstanceOf(KvTimeoutException.class).hasMessage("scan timed out");
    }
}
