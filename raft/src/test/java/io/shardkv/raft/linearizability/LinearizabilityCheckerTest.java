package io.shardkv.raft.linearizability;

import static io.shardkv.raft.linearizability.KvOps.check;
import static io.shardkv.raft.linearizability.KvOps.delete;
import static io.shardkv.raft.linearizability.KvOps.get;
import static io.shardkv.raft.linearizability.KvOps.getAbsent;
import static io.shardkv.raft.linearizability.KvOps.put;
import static io.shardkv.raft.linearizability.KvOps.unknownPut;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Hand-written key-value histories with known verdicts. */
class LinearizabilityCheckerTest {

    private static void assertResult(CheckReport<KvInput, KvOutput> report, CheckResult expected) {
        assertThat(report.result()).as(report::explain).isEqualTo(expected);
    }

    @Nested
    class Linearizable {

        @Test
        void emptyHistory() {
            CheckReport<KvInput, KvOutput> report = check(List.of());
            assertResult(report, CheckResult.OK);
            assertThat(report.steps()).isZero();
        }

        @Test
        void sequentialHistory() {
            assertResult(check(
                    getAbsent(1, "x", 0, 1),
                    put(1, "x", "a", 2, 3),
                    get(2, "x", "a", 4, 5),
                    put(2, "x", "b", 6, 7),
                    get(1, "x", "b", 8, 9)), CheckResult.OK);
        }

        @Test
        void overlappingWritesThenReadSeesFirstWriter() {
            assertResult(check(
                    put(1, "x", "a", 0, 10),
                    put(2, "x", "b", 1, 9),
                    get(3, "x", "a", 11, 12)), CheckResult.OK);
        }

        @Test
        void overlappingWritesThenReadSeesSecondWriter() {
            assertResult(check(
                    put(1, "x", "a", 0, 10),
                    put(2, "x", "b", 1, 9),
                    get(3, "x", "b", 11, 12)), CheckResult.OK);
        }

        @Test
        void readOverlappingWriteMaySeeOldOrNewValue() {
            assertResult(check(
                    put(1, "x", "a", 0, 1),
                    put(1, "x", "b", 2, 10),
                    get(2, "x", "a", 3, 4),
                    get(3, "x", "b", 5, 6)), CheckResult.OK);
        }

        @Test
        void unknownWriteThatTookEffect() {
            assertResult(check(
                    put(1, "x", "a", 0, 1),
                    unknownPut(2, "x", "b", 2),
                    get(3, "x", "b", 5, 6),
                    get(3, "x", "b", 7, 8)), CheckResult.OK);
        }

        @Test
        void unknownWriteThatNeverTookEffect() {
            assertResult(check(
                    put(1, "x", "a", 0, 1),
                    unknownPut(2, "x", "b", 2),
                    get(3, "x", "a", 5, 6),
                    get(3, "x", "a", 7, 8)), CheckResult.OK);
        }

        @Test
        void unknownWriteMayTakeEffectLongAfterTheClientGaveUp() {
            assertResult(check(
                    put(1, "x", "a", 0, 1),
                    unknownPut(2, "x", "b", 2),
                    get(3, "x", "a", 50, 60),
                    get(3, "x", "b", 70, 80)), CheckResult.OK);
        }

        @Test
        void deleteThenGetAbsent() {
            assertResult(check(
                    put(1, "x", "a", 0, 1),
                    delete(1, "x", 2, 3),
                    getAbsent(2, "x", 4, 5)), CheckResult.OK);
        }

        @Test
        void callAtTheSameInstantAsAReturnCountsAsOverlapping() {
            // The get is called at 5, exactly when the put returns: order unknown, so both allowed.
            assertResult(check(
                    put(1, "x", "a", 0, 5),
                    getAbsent(2, "x", 5, 6)), CheckResult.OK);
        }
    }

    @Nested
    class NotLinearizable {

        @Test
        void staleReadAfterCompletedWrite() {
            assertResult(check(
                    put(1, "x", "a", 0, 1),
                    getAbsent(2, "x", 2, 3)), CheckResult.ILLEGAL);
        }

        @Test
        void readOfValueNeverWritten() {
            assertResult(check(
                    put(1, "x", "a", 0, 1),
                    get(2, "x", "zzz", 2, 3)), CheckResult.ILLEGAL);
        }

        @Test
        void newOldInversion() {
            // Both reads overlap the write of b, but once one read has returned b a later read may
            // not go back to a.
            assertResult(check(
                    put(1, "x", "a", 0, 1),
                    put(1, "x", "b", 2, 100),
                    get(2, "x", "b", 10, 20),
                    get(3, "x", "a", 30, 40)), CheckResult.ILLEGAL);
        }

        @Test
        void readsAfterOverlappingWritesDisagree() {
            assertResult(check(
                    put(1, "x", "a", 0, 10),
                    put(2, "x", "b", 1, 9),
                    get(3, "x", "a", 11, 12),
                    get(3, "x", "b", 13, 14)), CheckResult.ILLEGAL);
        }

        @Test
        void getAfterDeleteSeesOldValue() {
            assertResult(check(
                    put(1, "x", "a", 0, 1),
                    delete(1, "x", 2, 3),
                    get(2, "x", "a", 4, 5)), CheckResult.ILLEGAL);
        }

        @Test
        void strictlyLaterCallIsOrderedAfterReturn() {
            // Same as the overlapping case above but the get starts one tick later.
            assertResult(check(
                    put(1, "x", "a", 0, 5),
                    getAbsent(2, "x", 6, 7)), CheckResult.ILLEGAL);
        }

        @Test
        void observedUnknownWriteCannotBeUndone() {
            assertResult(check(
                    put(1, "x", "a", 0, 1),
                    unknownPut(2, "x", "b", 2),
                    get(3, "x", "b", 5, 6),
                    get(3, "x", "a", 7, 8)), CheckResult.ILLEGAL);
        }

        @Test
        void unknownWriteCannotTakeEffectBeforeItWasCalled() {
            assertResult(check(
                    get(1, "x", "b", 0, 1),
                    unknownPut(2, "x", "b", 5)), CheckResult.ILLEGAL);
        }

        @Test
        void lostWriteIsExplainedWithLongestPrefixAndOffendingRead() {
            Operation<KvInput, KvOutput> putA = put(1, "x", "a", 0, 1);
            Operation<KvInput, KvOutput> putB = put(1, "x", "b", 2, 3);
            Operation<KvInput, KvOutput> staleGet = get(2, "x", "a", 4, 5);

            CheckReport<KvInput, KvOutput> report = check(putA, putB, staleGet);

            assertResult(report, CheckResult.ILLEGAL);
            Violation<KvInput, KvOutput> violation = report.violation().orElseThrow();
            assertThat(violation.partition()).isEqualTo("key \"x\"");
            assertThat(violation.longestLinearizablePrefix()).containsExactly(putA, putB);
            assertThat(violation.notLinearized()).containsExactly(staleGet);
            assertThat(report.explain())
                    .contains("key \"x\"")
                    .contains("op#0 client 1 [0, 1] put(x, a) -> ok")
                    .contains("op#1 client 1 [2, 3] put(x, b) -> ok")
                    .contains("possible state(s) after it: {b}")
                    .contains("op#2 client 2 [4, 5] get(x) -> a");
        }
    }
}
