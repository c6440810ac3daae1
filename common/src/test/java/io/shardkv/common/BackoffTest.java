package io.shardkv.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private final Duration initial = Duration.ofMillis(10);
    private final Duration max = Duration.ofMillis(1000);

    @Test
    void delayDoublesUpToTheMaxWithJitterInTheUpperHalf() {
        Backoff low = new Backoff(initial, max, () -> 0.0);
        Backoff high = new Backoff(initial, max, () -> 0.999999);
        long[] caps = {10, 20, 40, 80, 160, 320, 640, 1000, 1000};
        for (int retry = 0; retry < caps.length; retry++) {
            assertThat(low.delayMillis(retry)).as("retry %d low", retry).isEqualTo(caps[retry] / 2);
            assertThat(high.delayMillis(retry)).as("retry %d high", retry).isEqualTo(caps[retry]);
        }
        assertThat(high.delayMillis(1_000)).isEqualTo(1000);
        assertThat(low.delayMillis(Integer.MAX_VALUE)).isEqualTo(500);
    }

    @Test
    void randomDelaysStayWithinBounds() {
        Backoff backoff = new Backoff(initial, max, () -> Math.random());
        for (int retry = 0; retry < 40; retry++) {
            long cap = retry < 30 ? Math.min(1000, 10L << retry) : 1000;
            for (int i = 0; i < 100; i++) {
                assertThat(backoff.delayMillis(retry)).isBetween(cap / 2, cap);
            }
        }
    }

    @Test
    void serverRedialsDoubleFromFiftyMillisecondsToTwoSeconds() {
        Backoff redial = new Backoff(Duration.ofMillis(50), Duration.ofMillis(2_000), () -> 0.999999);
        assertThat(redial.delayMillis(0)).isEqualTo(50);
        assertThat(redial.delayMillis(1)).isEqualTo(100);
        assertThat(redial.delayMillis(3)).isEqualTo(400);
        assertThat(redial.delayMillis(6)).isEqualTo(2_000);
        assertThat(redial.delayMillis(1_000)).isEqualTo(2_000);
        assertThat(redial.delayMillis(-1)).as("a negative count is the maximum").isEqualTo(2_000);
    }

    @Test
    void rejectsBadBounds() {
        assertThatThrownBy(() -> new Backoff(Duration.ZERO, max, () -> 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backoff(max, initial, () -> 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
