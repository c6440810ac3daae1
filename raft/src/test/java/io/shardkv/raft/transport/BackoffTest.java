package io.shardkv.raft.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BackoffTest {
    private final Backoff backoff = new Backoff(50, 2_000);

    @Test
    void doublesFromTheMinimumUpToTheMaximum() {
        assertThat(backoff.delayMillis(0, () -> 0.999999)).isEqualTo(50);
        assertThat(backoff.delayMillis(1, () -> 0.999999)).isEqualTo(100);
        assertThat(backoff.delayMillis(3, () -> 0.999999)).isEqualTo(400);
        assertThat(backoff.delayMillis(6, () -> 0.999999)).isEqualTo(2_000);
        assertThat(backoff.delayMillis(1_000, () -> 0.999999)).isEqualTo(2_000);
    }

    @Test
    void jitterStaysInTheUpperHalf() {
        for (int attempt = 0; attempt < 70; attempt++) {
            long ceiling = backoff.delayMillis(attempt, () -> 0.999999);
            assertThat(backoff.delayMillis(attempt, () -> 0.0)).isEqualTo(ceiling / 2);
            assertThat(backoff.delayMillis(attempt, () -> 0.5)).isBetween(ceiling / 2, ceiling);
        }
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> new Backoff(0, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backoff(100, 10)).isInstanceOf(IllegalArgumentException.class);
    }
}
