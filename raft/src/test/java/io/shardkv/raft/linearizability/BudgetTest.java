package io.shardkv.raft.linearizability;

import static io.shardkv.raft.linearizability.KvOps.get;
import static io.shardkv.raft.linearizability.KvOps.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The search budget is a deterministic step count, so UNKNOWN verdicts replay exactly. */
class BudgetTest {

    private static final int WRITERS = 30;

    /** {@value #WRITERS} fully concurrent writes to one key, then a read of {@code seen}. */
    private static List<Operation<KvInput, KvOutput>> concurrentWritesThenRead(String seen) {
        List<Operation<KvInput, KvOutput>> history = new ArrayList<>();
        for (int i = 0; i < WRITERS; i++) {
            history.add(put(i, "x", "v" + i, 0, 100));
        }
        history.add(get(WRITERS, "x", seen, 101, 102));
        return history;
    }

    @Test
    void tinyBudgetGivesUnknown() {
        CheckReport<KvInput, KvOutput> report =
                KvOps.checkerWithBudget(10).check(concurrentWritesThenRead("v" + (WRITERS - 1)));

        assertThat(report.result()).isEqualTo(CheckResult.UNKNOWN);
        assertThat(report.steps()).isEqualTo(10);
        assertThat(report.undecidedPartitions()).containsExactly("key \"x\"");
        assertThat(report.explain()).contains("budget exhausted after 10 steps").contains("key \"x\"");
    }

    @Test
    void defaultBudgetDecidesTheSameHistory() {
        CheckReport<KvInput, KvOutput> report = KvOps.check(concurrentWritesThenRead("v" + (WRITERS - 1)));

        assertThat(report.result()).as(report::explain).isEqualTo(CheckResult.OK);
    }

    @Test
    void hardSearchRunsOutOfBudgetAtExactlyTheSameStepEveryTime() {
        // Reading the write that the depth-first order tries first as "last" forces the plain
        // search through a vast number of orderings of the other writes before it is found (the
        // reductions decide it at once, see HardHistoriesTest).
        List<Operation<KvInput, KvOutput>> history = concurrentWritesThenRead("v0");
        LinearizabilityChecker<?, KvInput, KvOutput> checker = KvOps.checkerWithBudget(5_000).withoutReductions();

        CheckReport<KvInput, KvOutput> first = checker.check(history);
        CheckReport<KvInput, KvOutput> second = checker.check(history);

        assertThat(first.result()).isEqualTo(CheckResult.UNKNOWN);
        assertThat(first.steps()).isEqualTo(5_000);
        assertThat(second).isEqualTo(first);
    }

    @Test
    void negativeBudgetIsRejected() {
        assertThatThrownBy(() -> KvModel.checker(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
