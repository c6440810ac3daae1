package io.shardkv.raft.linearizability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The sequential key-value specification itself. */
class KvModelTest {

    private final KvModel model = KvModel.INSTANCE;
    private final Optional<String> absent = Optional.empty();
    private final Optional<String> a = Optional.of("a");

    @Test
    void startsAbsent() {
        assertThat(model.init()).isEmpty();
    }

    @Test
    void putAndDeleteReplaceTheValue() {
        assertThat(model.step(absent, KvInput.put("k", "a"), Optional.of(KvOutput.ack()))).containsExactly(a);
        assertThat(model.step(a, KvInput.delete("k"), Optional.of(KvOutput.ack()))).containsExactly(absent);
        assertThat(model.step(absent, KvInput.delete("k"), Optional.of(KvOutput.ack()))).containsExactly(absent);
    }

    @Test
    void getMustReturnTheCurrentValue() {
        assertThat(model.step(a, KvInput.get("k"), Optional.of(KvOutput.read("a")))).containsExactly(a);
        assertThat(model.step(a, KvInput.get("k"), Optional.of(KvOutput.read("b")))).isEmpty();
        assertThat(model.step(a, KvInput.get("k"), Optional.of(KvOutput.absent()))).isEmpty();
        assertThat(model.step(absent, KvInput.get("k"), Optional.of(KvOutput.absent()))).containsExactly(absent);
    }

    @Test
    void unknownOutputsAreAcceptedFromAnyState() {
        assertThat(model.step(a, KvInput.get("k"), Optional.empty())).containsExactly(a);
        assertThat(model.step(a, KvInput.put("k", "b"), Optional.empty())).containsExactly(Optional.of("b"));
        assertThat(model.step(a, KvInput.delete("k"), Optional.empty())).containsExactly(absent);
    }

    @Test
    void mismatchedOutputKindIsAHarnessBug() {
        assertThatThrownBy(() -> model.step(a, KvInput.get("k"), Optional.of(KvOutput.ack())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("get(k)");
        assertThatThrownBy(() -> model.step(a, KvInput.put("k", "b"), Optional.of(KvOutput.read("a"))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void describesOperationsAndStatesReadably() {
        assertThat(model.describeOperation(KvOps.put(1, "k", "v", 0, 1))).isEqualTo("put(k, v) -> ok");
        assertThat(model.describeOperation(KvOps.getAbsent(1, "k", 0, 1))).isEqualTo("get(k) -> <absent>");
        assertThat(model.describeOperation(KvOps.unknownPut(1, "k", "v", 0))).isEqualTo("put(k, v) -> ?");
        assertThat(model.describeState(absent)).isEqualTo("<absent>");
        assertThat(model.describeState(a)).isEqualTo("a");
    }
}
