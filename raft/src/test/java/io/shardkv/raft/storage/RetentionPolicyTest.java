package io.shardkv.raft.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class RetentionPolicyTest {

    @Test
    void defaultsKeepTwentyThousandEntries() {
        RetentionPolicy p = RetentionPolicy.defaults();
        assertThat(p.retainedEntries()).isEqualTo(20_000);
        assertThat(p.compactionIndex(50_000, 1, 60_000)).isEqualTo(OptionalLong.of(30_000));
    }

    @Test
    void neverCompactsPastTheDurableAppliedIndex() {
        RetentionPolicy p = new RetentionPolicy(0, 1);
        assertThat(p.compactionIndex(70, 1, 100)).isEqualTo(OptionalLong.of(70));
        assertThat(p.compactionIndex(0, 1, 100)).isEmpty();
    }

    @Test
    void neverCompactsPastTheLastIndex() {
        RetentionPolicy p = new RetentionPolicy(10, 1);
        assertThat(p.compactionIndex(500, 1, 100)).isEqualTo(OptionalLong.of(90));
    }

    @Test
    void waitsUntilEnoughEntriesWouldGo() {
        RetentionPolicy p = new RetentionPolicy(100, 50);
        assertThat(p.compactionIndex(1_148, 1_000, 2_000)).as("48 entries only").isEmpty();
        assertThat(p.compactionIndex(1_149, 1_000, 2_000)).isEqualTo(OptionalLong.of(1_049));
        assertThat(p.compactionIndex(50, 1, 2_000)).as("all inside the retained tail").isEmpty();
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> new RetentionPolicy(-1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RetentionPolicy(1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetentionPolicy.defaults().compactionIndex(5, 10, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("log [10, 3]");
    }
}
