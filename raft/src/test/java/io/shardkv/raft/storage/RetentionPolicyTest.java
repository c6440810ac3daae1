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
    void aLeaderKeepsWhatItsSlowestFollowerNeedsWithinTheByteCap() {
        RetentionPolicy p = new RetentionPolicy(100, 10, 1_000_000);
        // The follower holds up to 5,000: entries from 5,001 stay, beyond the 100 of the tail.
        assertThat(p.compactionIndex(10_000, 1, 10_000, 5_000, 100)).isEqualTo(OptionalLong.of(5_000));
        // A follower ahead of the tail changes nothing.
        assertThat(p.compactionIndex(10_000, 1, 10_000, 9_950, 100)).isEqualTo(OptionalLong.of(9_900));
        // 1 MB of 100-byte entries is 10,000 entries: a follower further behind gets a snapshot.
        assertThat(p.compactionIndex(50_000, 1, 50_000, 5_000, 100)).isEqualTo(OptionalLong.of(40_000));
        // The cap bounds the tail too: 1 MB of 20 kB entries is 50 entries, fewer than 100.
        assertThat(p.compactionIndex(10_000, 1, 10_000, Long.MAX_VALUE, 20_000)).isEqualTo(OptionalLong.of(9_950));
        // Unknown entry sizes: no byte bound.
        assertThat(p.compactionIndex(10_000, 1, 10_000, 5, 0)).isEmpty();
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> new RetentionPolicy(1, 1, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RetentionPolicy(-1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RetentionPolicy(1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetentionPolicy.defaults().compactionIndex(5, 10, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("log [10, 3]");
    }
}
