package io.shardkv.raft.linearizability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Recording histories, and the invariants of {@link Operation}. */
class HistoryRecorderTest {

    private final HistoryRecorder<KvInput, KvOutput> recorder = new HistoryRecorder<>();

    @Test
    void recordsCompletedTimedOutAndPendingOperationsInInvocationOrder() {
        long put = recorder.invoke(1, KvInput.put("x", "a"), 0);
        long timedOut = recorder.invoke(2, KvInput.put("x", "b"), 1);
        long get = recorder.invoke(3, KvInput.get("x"), 2);
        long pending = recorder.invoke(4, KvInput.delete("x"), 3);
        recorder.complete(put, KvOutput.ack(), 4);
        recorder.completeUnknown(timedOut);
        recorder.complete(get, KvOutput.read("a"), 5);

        assertThat(List.of(put, timedOut, get, pending)).containsExactly(0L, 1L, 2L, 3L);
        assertThat(recorder.history()).containsExactly(
                Operation.completed(1, KvInput.put("x", "a"), KvOutput.ack(), 0, 4),
                Operation.unknown(2, KvInput.put("x", "b"), 1),
                Operation.completed(3, KvInput.get("x"), KvOutput.read("a"), 2, 5),
                Operation.unknown(4, KvInput.delete("x"), 3));
        assertThat(recorder.size()).isEqualTo(4);
    }

    @Test
    void recordedHistoryCanBeChecked() {
        long put = recorder.invoke(1, KvInput.put("x", "a"), 0);
        recorder.complete(put, KvOutput.ack(), 1);
        long get = recorder.invoke(2, KvInput.get("x"), 2);
        recorder.complete(get, KvOutput.absent(), 3);

        assertThat(KvOps.check(recorder.history()).result()).isEqualTo(CheckResult.ILLEGAL);
    }

    @Test
    void sameTimeForInvokeAndCompleteOfDifferentOperationsMeansOverlap() {
        long put = recorder.invoke(1, KvInput.put("x", "a"), 0);
        recorder.complete(put, KvOutput.ack(), 7);
        long get = recorder.invoke(2, KvInput.get("x"), 7);
        recorder.complete(get, KvOutput.absent(), 8);

        assertThat(KvOps.check(recorder.history()).result()).isEqualTo(CheckResult.OK);
    }

    @Test
    void historyIsASnapshot() {
        long op = recorder.invoke(1, KvInput.get("x"), 0);
        List<Operation<KvInput, KvOutput>> before = recorder.history();
        recorder.complete(op, KvOutput.absent(), 1);

        assertThat(before.get(0).isUnknown()).isTrue();
        assertThat(recorder.history().get(0).isUnknown()).isFalse();
    }

    @Test
    void rejectsMisuse() {
        long op = recorder.invoke(1, KvInput.get("x"), 10);

        assertThatThrownBy(() -> recorder.complete(op, KvOutput.absent(), 9))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> recorder.complete(op, null, 11)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> recorder.complete(42, KvOutput.absent(), 11))
                .isInstanceOf(IllegalArgumentException.class);
        recorder.complete(op, KvOutput.absent(), 10);
        assertThatThrownBy(() -> recorder.completeUnknown(op)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> recorder.invoke(1, KvInput.get("x"), Long.MAX_VALUE))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void operationTiesUnknownOutputToInfiniteReturnTime() {
        Operation<KvInput, KvOutput> unknown = Operation.unknown(1, KvInput.get("x"), 5);
        assertThat(unknown.isUnknown()).isTrue();
        assertThat(unknown.returnTime()).isEqualTo(Operation.UNKNOWN_RETURN_TIME);
        assertThat(unknown.knownOutput()).isEmpty();

        assertThatThrownBy(() -> new Operation<>(1, KvInput.get("x"), null, 0, 5))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Operation<>(1, KvInput.get("x"), KvOutput.absent(), 0, Long.MAX_VALUE))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Operation.completed(1, KvInput.get("x"), KvOutput.absent(), 5, 4))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
