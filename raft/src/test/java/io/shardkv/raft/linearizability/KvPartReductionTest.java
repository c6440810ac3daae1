package io.shardkv.raft.linearizability;

import static io.shardkv.raft.linearizability.KvOps.delete;
import static io.shardkv.raft.linearizability.KvOps.get;
import static io.shardkv.raft.linearizability.KvOps.getAbsent;
import static io.shardkv.raft.linearizability.KvOps.put;
import static io.shardkv.raft.linearizability.KvOps.unknownPut;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Each rule of {@link KvPartReduction}, on one key, and what the checker reports after it. */
class KvPartReductionTest {

    private static Operation<KvInput, KvOutput> unknownDelete(long client, String key, long call) {
        return Operation.unknown(client, KvInput.delete(key), call);
    }

    private static Reduction.Simplified<KvInput, KvOutput> simplified(List<Operation<KvInput, KvOutput>> part) {
        Reduction<KvInput, KvOutput> r = KvPartReduction.reduce(part);
        assertThat(r).isInstanceOf(Reduction.Simplified.class);
        return (Reduction.Simplified<KvInput, KvOutput>) r;
    }

    @Test
    void unknownPutThatNoReadSawIsDropped() {
        Operation<KvInput, KvOutput> lost = unknownPut(1, "x", "lost", 0);
        Operation<KvInput, KvOutput> read = getAbsent(2, "x", 5, 6);

        assertThat(simplified(List.of(lost, read)).ops()).containsExactly(read);
    }

    @Test
    void unknownPutIsDroppedWhenItsValueWasOnlyReadBeforeItWasCalled() {
        // The read of "v" returned before the unknown put was called: it saw the other put of "v".
        Operation<KvInput, KvOutput> first = put(1, "x", "v", 0, 1);
        Operation<KvInput, KvOutput> read = get(2, "x", "v", 2, 3);
        Operation<KvInput, KvOutput> late = unknownPut(3, "x", "v", 4);

        assertThat(simplified(List.of(first, read, late)).ops()).containsExactly(first, read);
    }

    @Test
    void unknownPutThatAReadSawIsPinnedToTheFirstSuchReadsReturn() {
        Operation<KvInput, KvOutput> timedOut = unknownPut(1, "x", "v", 0);
        Operation<KvInput, KvOutput> late = get(2, "x", "v", 20, 30);
        Operation<KvInput, KvOutput> early = get(3, "x", "v", 5, 10);

        Reduction.Simplified<KvInput, KvOutput> s = simplified(List.of(timedOut, late, early));

        Operation<KvInput, KvOutput> pinned = s.ops().get(0);
        assertThat(pinned.isUnknown()).isFalse();
        assertThat(pinned.callTime()).isZero();
        assertThat(pinned.returnTime()).isEqualTo(10);
        assertThat(s.original(pinned)).isSameAs(timedOut);
        assertThat(s.ops()).hasSize(3);
    }

    @Test
    void unknownPutOfAValueThatAnotherPutAlsoWritesStaysOpen() {
        // Either put may explain the read, so neither must take effect before it.
        Operation<KvInput, KvOutput> a = unknownPut(1, "x", "v", 0);
        Operation<KvInput, KvOutput> b = put(2, "x", "v", 0, 50);
        Operation<KvInput, KvOutput> read = get(3, "x", "v", 5, 10);

        assertThat(simplified(List.of(a, b, read)).ops()).containsExactly(a, b, read);
    }

    @Test
    void unknownDeleteIsKeptOnlyWhileALaterReadFoundTheKeyAbsent() {
        Operation<KvInput, KvOutput> seen = unknownDelete(1, "x", 10);
        Operation<KvInput, KvOutput> unseen = unknownDelete(2, "x", 30);
        Operation<KvInput, KvOutput> write = put(3, "x", "v", 0, 1);
        Operation<KvInput, KvOutput> absent = getAbsent(4, "x", 15, 20);

        assertThat(simplified(List.of(seen, unseen, write, absent)).ops()).containsExactly(seen, write, absent);
    }

    @Test
    void completedOperationsAreNeverTouched() {
        List<Operation<KvInput, KvOutput>> part = List.of(put(1, "x", "v", 0, 5), delete(2, "x", 6, 7),
                get(3, "x", "v", 1, 2), getAbsent(4, "x", 8, 9));

        assertThat(simplified(part).ops()).containsExactlyElementsOf(part);
    }

    @Test
    void readOfAValueNoPutWritesIsRefutedWithoutSearch() {
        Operation<KvInput, KvOutput> phantom = get(2, "x", "ghost", 5, 6);
        Reduction<KvInput, KvOutput> r = KvPartReduction.reduce(List.of(put(1, "x", "v", 0, 1), phantom));

        assertThat(r).isInstanceOf(Reduction.Impossible.class);
        Reduction.Impossible<KvInput, KvOutput> impossible = (Reduction.Impossible<KvInput, KvOutput>) r;
        assertThat(impossible.evidence()).containsExactly(phantom);
        assertThat(impossible.reason()).contains("ghost").contains("no put");

        CheckReport<KvInput, KvOutput> report = KvOps.check(put(1, "x", "v", 0, 1), phantom);
        assertThat(report.result()).isEqualTo(CheckResult.ILLEGAL);
        assertThat(report.steps()).isZero();
        assertThat(report.explain()).contains("key \"x\"").contains("get(x) -> ghost").contains("no put");
    }

    @Test
    void readThatReturnedBeforeItsOnlyWriterWasCalledIsRefuted() {
        Operation<KvInput, KvOutput> early = get(2, "x", "v", 1, 4);
        CheckReport<KvInput, KvOutput> report = KvOps.check(early, unknownPut(1, "x", "v", 5));

        assertThat(report.result()).isEqualTo(CheckResult.ILLEGAL);
        assertThat(report.violation().orElseThrow().notLinearized()).containsExactly(early);
        assertThat(report.explain()).contains("returned at 4").contains("first at 5");
    }

    @Test
    void readReturningAtTheInstantItsWriterIsCalledIsNotRefuted() {
        // Equal times mean overlap: the put may have taken effect first.
        assertThat(KvOps.check(get(2, "x", "v", 1, 4), put(1, "x", "v", 4, 9)).result())
                .isEqualTo(CheckResult.OK);
    }

    @Test
    void violationAfterPinningIsReportedWithTheOperationAsRecorded() {
        // The timed-out put of "v" was seen by a read ending at 10, so it took effect by then; a
        // later read of the older value "u" after a completed read of "v" is stale.
        Operation<KvInput, KvOutput> older = put(1, "x", "u", 0, 1);
        Operation<KvInput, KvOutput> timedOut = unknownPut(2, "x", "v", 2);
        Operation<KvInput, KvOutput> sawV = get(3, "x", "v", 5, 10);
        Operation<KvInput, KvOutput> stale = get(4, "x", "u", 11, 12);

        CheckReport<KvInput, KvOutput> report = KvOps.check(older, timedOut, sawV, stale);

        assertThat(report.result()).isEqualTo(CheckResult.ILLEGAL);
        Violation<KvInput, KvOutput> v = report.violation().orElseThrow();
        assertThat(v.longestLinearizablePrefix()).containsExactly(older, timedOut, sawV);
        assertThat(v.notLinearized()).containsExactly(stale);
        assertThat(v.message()).contains("put(x, v) -> ?");
    }
}
