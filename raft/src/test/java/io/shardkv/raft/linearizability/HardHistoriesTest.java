package io.shardkv.raft.linearizability;

import static io.shardkv.raft.linearizability.KvOps.get;
import static io.shardkv.raft.linearizability.KvOps.getAbsent;
import static io.shardkv.raft.linearizability.KvOps.put;
import static io.shardkv.raft.linearizability.KvOps.unknownPut;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Histories built to be hard for the search: many writes of unknown outcome (crashed or timed-out
 * clients) and long concurrent windows, as the simulation produces under crashes and partitions.
 * Each is decided within a small budget, the illegal variants are still caught, and the plain
 * search (without reductions) is shown to run out on the same history, so the test would notice a
 * reduction that stopped working.
 */
class HardHistoriesTest {

    /** A tenth of the default budget: ample for these histories once reduced. */
    private static final long SMALL_BUDGET = 100_000;

    private static Operation<KvInput, KvOutput> unknownDelete(long client, String key, long call) {
        return Operation.unknown(client, KvInput.delete(key), call);
    }

    /** {@code n} timed-out puts, all called early, then reads that see none of them. */
    private static List<Operation<KvInput, KvOutput>> unseenTimedOutPuts(int n, String lastRead) {
        List<Operation<KvInput, KvOutput>> h = new ArrayList<>();
        h.add(put(0, "x", "base", 0, 1));
        for (int i = 0; i < n; i++) {
            h.add(unknownPut(i + 1, "x", "lost" + i, 2 + i));
        }
        for (int i = 0; i < 5; i++) {
            h.add(get(100 + i, "x", "base", 100 + 10 * i, 105 + 10 * i));
        }
        h.add(get(200, "x", lastRead, 200, 201));
        return h;
    }

    @Test
    void manyTimedOutPutsNoReadSawAreDecided() {
        List<Operation<KvInput, KvOutput>> history = unseenTimedOutPuts(40, "base");

        CheckReport<KvInput, KvOutput> report = KvOps.checkerWithBudget(SMALL_BUDGET).check(history);

        assertThat(report.result()).as(report::explain).isEqualTo(CheckResult.OK);
        assertThat(KvOps.checkerWithBudget(SMALL_BUDGET).withoutReductions().check(history).result())
                .as("the plain search on the same history").isEqualTo(CheckResult.UNKNOWN);
    }

    @Test
    void staleReadAmongManyTimedOutPutsIsStillCaught() {
        // A read sees the timed-out "lost3", so "base" is overwritten for good; a read of "base"
        // called after that read returned is stale.
        List<Operation<KvInput, KvOutput>> history = unseenTimedOutPuts(40, "lost3");
        history.add(get(300, "x", "base", 300, 301));

        CheckReport<KvInput, KvOutput> report = KvOps.checkerWithBudget(SMALL_BUDGET).check(history);

        assertThat(report.result()).as(report::explain).isEqualTo(CheckResult.ILLEGAL);
        assertThat(report.explain()).contains("get(x) -> base");
    }

    @Test
    void timedOutPutsSeenLaterAreDecidedAndOrdered() {
        // 25 timed-out puts, each seen by one read, reads in the order of the calls: linearizable.
        List<Operation<KvInput, KvOutput>> history = new ArrayList<>();
        int n = 25;
        for (int i = 0; i < n; i++) {
            history.add(unknownPut(i, "x", "v" + i, i));
        }
        for (int i = 0; i < n; i++) {
            history.add(get(100 + i, "x", "v" + i, 100 + 3 * i, 101 + 3 * i));
        }
        assertThat(KvOps.checkerWithBudget(SMALL_BUDGET).check(history).result()).isEqualTo(CheckResult.OK);
        assertThat(KvOps.checkerWithBudget(SMALL_BUDGET).withoutReductions().check(history).result())
                .as("the plain search on the same history").isEqualTo(CheckResult.UNKNOWN);

        // Seeing v3 again after v4 was read is a stale read, and no budget excuse is accepted.
        history.add(get(999, "x", "v3", 500, 501));
        CheckReport<KvInput, KvOutput> report = KvOps.checkerWithBudget(SMALL_BUDGET).check(history);
        assertThat(report.result()).as(report::explain).isEqualTo(CheckResult.ILLEGAL);
    }

    @Test
    void manyTimedOutDeletesAmongReadsOfAbsentAreDecided() {
        // Thirty deletes time out early, then each put is followed by a read that finds the key
        // absent, so one delete must fall between them. Deletes are all alike: the search tries
        // them in call order only, k + 1 choices, not 2^k subsets.
        List<Operation<KvInput, KvOutput>> history = new ArrayList<>();
        int n = 30;
        for (int i = 0; i < n; i++) {
            history.add(unknownDelete(100 + i, "x", i));
        }
        for (int i = 0; i < n; i++) {
            history.add(put(i, "x", "w" + i, 100 + 10 * i, 102 + 10 * i));
            history.add(getAbsent(200 + i, "x", 103 + 10 * i, 109 + 10 * i));
        }
        CheckReport<KvInput, KvOutput> report = KvOps.checkerWithBudget(SMALL_BUDGET).check(history);

        assertThat(report.result()).as(report::explain).isEqualTo(CheckResult.OK);
        assertThat(KvOps.checkerWithBudget(SMALL_BUDGET).withoutReductions().check(history).result())
                .as("the plain search on the same history").isEqualTo(CheckResult.UNKNOWN);

        // One read of absent too many: only thirty deletes exist for thirty-one reads.
        history.add(put(999, "x", "last", 1000, 1001));
        history.add(getAbsent(998, "x", 1002, 1003));
        assertThat(KvOps.checkerWithBudget(SMALL_BUDGET).check(history).result()).isEqualTo(CheckResult.ILLEGAL);
    }

    @Test
    void longConcurrentWindowsWithTimedOutWritesAreDecided() {
        // Ten clients, each with overlapping long operations, a quarter of writes timing out; values
        // unique as in the simulation. Linearizable by construction: each op takes effect at a
        // chosen instant inside its window, and reads report the value at that instant.
        Random random = new Random(42);
        for (int round = 0; round < 50; round++) {
            List<Operation<KvInput, KvOutput>> history = concurrentRun(random, 60);
            CheckReport<KvInput, KvOutput> report = KvModel.checker().check(history);
            assertThat(report.result()).as("round %d: %s", round, report.explain()).isEqualTo(CheckResult.OK);
        }
    }

    /**
     * A linearizable history of {@code ops} operations on one key: each takes effect at a distinct
     * instant, with a window of random width around it, so windows overlap widely.
     */
    private static List<Operation<KvInput, KvOutput>> concurrentRun(Random random, int ops) {
        List<Operation<KvInput, KvOutput>> history = new ArrayList<>();
        String value = null;
        for (int i = 0; i < ops; i++) {
            long at = 100L * (i + 1);
            long call = at - random.nextInt(400);
            long ret = at + random.nextInt(400);
            int kind = random.nextInt(10);
            if (kind < 5) {
                value = "v" + i;
                history.add(random.nextInt(4) == 0
                        ? unknownPut(i, "x", value, call)
                        : put(i, "x", value, call, ret));
            } else if (kind < 6) {
                value = null;
                history.add(random.nextInt(4) == 0
                        ? unknownDelete(i, "x", call)
                        : KvOps.delete(i, "x", call, ret));
            } else {
                history.add(value == null ? getAbsent(i, "x", call, ret) : get(i, "x", value, call, ret));
            }
        }
        return history;
    }
}
