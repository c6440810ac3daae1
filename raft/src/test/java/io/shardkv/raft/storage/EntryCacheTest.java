package io.shardkv.raft.storage;

import static io.shardkv.raft.storage.LogStorageContractTest.sized;
import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.core.Entry;
import org.junit.jupiter.api.Test;

class EntryCacheTest {
    private static final long COST_100 = 100 + EntryCache.ENTRY_OVERHEAD_BYTES;

    private final EntryCacheBudget budget = new EntryCacheBudget(1_000_000);

    private static long drain(EntryCache cache, long lo, long hi, EntrySink sink) {
        return cache.drainInto(lo, hi, sink);
    }

    @Test
    void keepsTheNewestEntriesWithinItsBound() {
        EntryCache cache = new EntryCache(5 * COST_100, budget);
        cache.append(sized(1, 3, 1, 100));
        cache.append(sized(4, 8, 1, 100));

        assertThat(cache.firstIndex()).isEqualTo(4);
        assertThat(cache.size()).isEqualTo(5);
        assertThat(cache.sizeBytes()).isEqualTo(5 * COST_100);
        assertThat(budget.usedBytes()).isEqualTo(cache.sizeBytes());
    }

    @Test
    void aConflictingAppendReplacesTheCachedSuffix() {
        EntryCache cache = new EntryCache(100 * COST_100, budget);
        cache.append(sized(1, 10, 1, 100));
        cache.append(sized(6, 7, 2, 100));

        assertThat(cache.size()).isEqualTo(7);
        assertThat(cache.termOrMinusOne(5)).isEqualTo(1);
        assertThat(cache.termOrMinusOne(7)).isEqualTo(2);
        assertThat(cache.termOrMinusOne(8)).isEqualTo(-1);
        assertThat(budget.usedBytes()).isEqualTo(7 * COST_100);
    }

    @Test
    void anAppendBeforeTheCachedRangeStartsOver() {
        EntryCache cache = new EntryCache(100 * COST_100, budget);
        cache.append(sized(5, 10, 1, 100));
        cache.append(sized(3, 4, 2, 100));
        assertThat(cache.firstIndex()).isEqualTo(3);
        assertThat(cache.size()).isEqualTo(2);
    }

    @Test
    void anAppendTooLargeForTheBoundKeepsOnlyItsNewestEntries() {
        EntryCache cache = new EntryCache(3 * COST_100, budget);
        cache.append(sized(1, 2, 1, 100));
        cache.append(sized(3, 10, 1, 100));
        assertThat(cache.firstIndex()).isEqualTo(8);
        assertThat(cache.size()).isEqualTo(3);
    }

    @Test
    void drainStartsOnlyAtACachedIndexAndHonoursTheByteLimit() {
        EntryCache cache = new EntryCache(100 * COST_100, budget);
        cache.append(sized(5, 10, 1, 100));

        EntrySink notCached = new EntrySink(Long.MAX_VALUE);
        assertThat(drain(cache, 3, 8, notCached)).isEqualTo(3);
        assertThat(notCached.entries()).isEmpty();

        EntrySink limited = new EntrySink(250);
        assertThat(drain(cache, 6, 11, limited)).isEqualTo(8);
        assertThat(limited.entries()).extracting(Entry::index).containsExactly(6L, 7L);
        assertThat(limited.isFull()).isTrue();
    }

    @Test
    void evictionAndCompactionReleaseTheBudget() {
        EntryCache cache = new EntryCache(100 * COST_100, budget);
        cache.append(sized(1, 10, 1, 100));

        assertThat(cache.evictOldest(2 * COST_100 + 1)).isEqualTo(3 * COST_100);
        assertThat(cache.firstIndex()).isEqualTo(4);
        cache.dropThrough(6);
        assertThat(cache.firstIndex()).isEqualTo(7);
        assertThat(budget.usedBytes()).isEqualTo(4 * COST_100);
        cache.clear();
        assertThat(cache.firstIndex()).isEqualTo(-1);
        assertThat(budget.usedBytes()).isZero();
    }

    @Test
    void theRingGrowsAndWrapsWithoutLosingOrder() {
        EntryCache cache = new EntryCache(1_000 * COST_100, budget);
        for (long i = 1; i <= 200; i++) {
            cache.append(sized(i, i, 1, 100));
            if (i % 3 == 0) {
                cache.evictOldest(1);
            }
        }
        EntrySink all = new EntrySink(Long.MAX_VALUE);
        long first = cache.firstIndex();
        assertThat(drain(cache, first, 201, all)).isEqualTo(201);
        assertThat(all.entries()).extracting(Entry::index).isSorted().hasSize((int) (201 - first));
    }
}
