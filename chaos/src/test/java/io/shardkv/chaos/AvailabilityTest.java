package io.shardkv.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.linearizability.KvInput;
import io.shardkv.raft.linearizability.KvOutput;
import io.shardkv.raft.linearizability.Operation;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AvailabilityTest {
    private static Operation<KvInput, KvOutput> put(String key, long call, long ret) {
        return Operation.completed(1, KvInput.put(key, "v" + call), KvOutput.ack(), call, ret);
    }

    private static Operation<KvInput, KvOutput> failedPut(String key, long call) {
        return Operation.unknown(1, KvInput.put(key, "v" + call), call);
    }

    private static Operation<KvInput, KvOutput> get(String key, long call, long ret) {
        return Operation.completed(1, KvInput.get(key), KvOutput.absent(), call, ret);
    }

    @Test
    void theLongestGapIsBetweenAcknowledgedWritesOfOneKeyAndCountsTheEnds() {
        List<Operation<KvInput, KvOutput>> history = List.of(
                put("a", 10, 20), failedPut("a", 25), get("a", 30, 40), put("a", 100, 110),
                put("b", 5, 15), put("b", 50, 60), put("b", 95, 100));
        Availability.Gap gap = Availability.longestGap(history, List.of("a", "b"), 0, 120);
        assertThat(gap).isEqualTo(new Availability.Gap("a", 20, 110));
        // A key never written is unavailable from start to end.
        assertThat(Availability.longestGap(history, List.of("a", "c"), 0, 120))
                .isEqualTo(new Availability.Gap("c", 0, 120));
    }

    @Test
    void writesResumeWhenEveryKeyHadAWriteCalledAfterTheFaultAcknowledged() {
        FaultRecord fault = new FaultRecord("pause kv-1", Optional.of("kv-1"), 100, 500);
        List<Operation<KvInput, KvOutput>> history = List.of(
                put("a", 90, 300), // called before the fault: does not count
                put("a", 120, 180), put("b", 101, 140), failedPut("b", 150), put("b", 200, 420), put("a", 400, 410));
        List<Availability.Resumption> r = Availability.resumptions(history, List.of("a", "b"), List.of(fault));
        assertThat(r).hasSize(1);
        assertThat(r.get(0).afterMicros()).hasValue(80);

        FaultRecord later = new FaultRecord("kill kv-2", Optional.of("kv-2"), 405, 600);
        assertThat(Availability.resumptions(history, List.of("a", "b"), List.of(later)).get(0).afterMicros()).isEmpty();
    }
}
