package io.shardkv.raft.linearizability;

import static io.shardkv.raft.linearizability.KvOps.check;
import static io.shardkv.raft.linearizability.KvOps.get;
import static io.shardkv.raft.linearizability.KvOps.getAbsent;
import static io.shardkv.raft.linearizability.KvOps.put;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Keys are checked independently, and a verdict names the key that caused it. */
class PartitioningTest {

    private final Operation<KvInput, KvOutput> putX = put(1, "x", "1", 0, 10);
    private final Operation<KvInput, KvOutput> putY = put(2, "y", "1", 0, 10);
    private final Operation<KvInput, KvOutput> getX = get(3, "x", "1", 11, 12);
    private final Operation<KvInput, KvOutput> getYAbsent = getAbsent(3, "y", 13, 14);

    @Test
    void kvModelSplitsByKeyInOrderOfFirstAppearance() {
        List<Operation<KvInput, KvOutput>> history = List.of(putX, putY, getX, getYAbsent);

        assertThat(KvModel.INSTANCE.partition(history))
                .containsExactly(List.of(putX, getX), List.of(putY, getYAbsent));
    }

    /** Each key has its own write; read as one shared register, the second write would hide the first. */
    private final List<Operation<KvInput, KvOutput>> twoKeys = List.of(
            put(1, "x", "1", 0, 1),
            put(2, "y", "2", 2, 3),
            get(3, "x", "1", 4, 5),
            get(3, "y", "2", 6, 7));

    @Test
    void independentKeysAreEachLinearizable() {
        CheckReport<KvInput, KvOutput> report = KvOps.check(twoKeys);

        assertThat(report.result()).as(report::explain).isEqualTo(CheckResult.OK);
    }

    @Test
    void sameHistoryWithoutPartitioningIsIllegal() {
        // Proves the verdict above relies on the per-key split: a model that keeps the whole
        // history together treats all keys as one register.
        Model<Optional<String>, KvInput, KvOutput> unpartitioned = new Model<>() {
            @Override
            public Optional<String> init() {
                return KvModel.INSTANCE.init();
            }

            @Override
            public Set<Optional<String>> step(Optional<String> s, KvInput in, Optional<KvOutput> out) {
                return KvModel.INSTANCE.step(s, in, out);
            }
        };

        CheckReport<KvInput, KvOutput> report = new LinearizabilityChecker<>(unpartitioned).check(twoKeys);

        assertThat(report.result()).isEqualTo(CheckResult.ILLEGAL);
        assertThat(report.violation().orElseThrow().partition()).isEqualTo("entire history");
    }

    @Test
    void violationOnOneKeyIsReportedWithThatKey() {
        CheckReport<KvInput, KvOutput> report = check(putX, putY, getX, getYAbsent);

        assertThat(report.result()).as(report::explain).isEqualTo(CheckResult.ILLEGAL);
        assertThat(report.violation().orElseThrow().partition()).isEqualTo("key \"y\"");
        assertThat(report.violation().orElseThrow().notLinearized()).containsExactly(getYAbsent);
    }

    @Test
    void illegalKeyWinsOverUndecidedKey() {
        LinearizabilityChecker<?, KvInput, KvOutput> checker = KvOps.checkerWithBudget(10);
        List<Operation<KvInput, KvOutput>> history = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            history.add(put(i, "big", "v" + i, 0, 100)); // needs at least 20 steps
        }
        history.add(put(1, "bad", "a", 0, 1));
        history.add(put(1, "bad", "b", 2, 3));
        history.add(get(2, "bad", "a", 4, 5)); // proved illegal in 6 steps

        CheckReport<KvInput, KvOutput> report = checker.check(history);

        assertThat(report.result()).as(report::explain).isEqualTo(CheckResult.ILLEGAL);
        assertThat(report.violation().orElseThrow().partition()).isEqualTo("key \"bad\"");
        assertThat(report.undecidedPartitions()).containsExactly("key \"big\"");
    }
}
