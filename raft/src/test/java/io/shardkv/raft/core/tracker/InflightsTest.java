package io.shardkv.raft.core.tracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class InflightsTest {

    @Test
    void fullByCount() {
        Inflights in = new Inflights(3, 1_000);
        in.add(1, 10);
        in.add(2, 10);
        assertThat(in.full()).isFalse();
        in.add(3, 10);
        assertThat(in.full()).isTrue();
        assertThat(in.count()).isEqualTo(3);
        assertThat(in.bytes()).isEqualTo(30);
        assertThatThrownBy(() -> in.add(4, 10)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("full");
    }

    @Test
    void fullByBytesAdmitsOneMessagePastTheBound() {
        Inflights in = new Inflights(100, 100);
        in.add(1, 60);
        assertThat(in.full()).isFalse();
        // The bound is checked before sending, so a message may take the window past it.
        in.add(2, 50);
        assertThat(in.bytes()).isEqualTo(110);
        assertThat(in.full()).isTrue();
        in.freeLE(1);
        assertThat(in.bytes()).isEqualTo(50);
        assertThat(in.full()).isFalse();
    }

    @Test
    void exactlyReachingTheByteBoundIsFull() {
        Inflights in = new Inflights(100, 100);
        in.add(1, 100);
        assertThat(in.full()).isTrue();
    }

    @Test
    void freeLEFreesEveryMessageAtOrBelowIndex() {
        Inflights in = new Inflights(10, 1_000);
        in.add(3, 1);
        in.add(5, 2);
        in.add(9, 4);
        in.add(12, 8);
        in.freeLE(2);
        assertThat(in.count()).as("nothing at or below 2").isEqualTo(4);
        in.freeLE(6);
        assertThat(in.count()).isEqualTo(2);
        assertThat(in.bytes()).isEqualTo(12);
        in.freeLE(9);
        assertThat(in.count()).isEqualTo(1);
        assertThat(in.bytes()).isEqualTo(8);
        in.freeLE(100);
        assertThat(in.count()).isZero();
        assertThat(in.bytes()).isZero();
    }

    @Test
    void freeFirstOneFreesOnlyTheOldest() {
        Inflights in = new Inflights(3, 1_000);
        in.add(1, 5);
        in.add(2, 6);
        in.add(3, 7);
        in.freeFirstOne();
        assertThat(in.count()).isEqualTo(2);
        assertThat(in.bytes()).isEqualTo(13);
        assertThat(in.full()).isFalse();
        in.freeFirstOne();
        in.freeFirstOne();
        in.freeFirstOne();
        assertThat(in.count()).isZero();
    }

    @Test
    void ringBufferWrapsAround() {
        Inflights in = new Inflights(4, 1_000);
        for (long i = 1; i <= 4; i++) {
            in.add(i * 10, i);
        }
        in.freeLE(20);
        // Two free slots at the front of the array; new messages wrap into them.
        in.add(50, 5);
        in.add(60, 6);
        assertThat(in.full()).isTrue();
        assertThat(in.count()).isEqualTo(4);
        assertThat(in.bytes()).isEqualTo(3 + 4 + 5 + 6);
        in.freeLE(50);
        assertThat(in.count()).isEqualTo(1);
        assertThat(in.bytes()).isEqualTo(6);
        // Wrap many times: the window must keep its order and byte count.
        long next = 61;
        for (int round = 0; round < 20; round++) {
            while (!in.full()) {
                in.add(next++, 1);
            }
            in.freeLE(next - 3);
            assertThat(in.count()).isEqualTo(2);
        }
        in.freeLE(next);
        assertThat(in.count()).isZero();
        assertThat(in.bytes()).isZero();
    }

    @Test
    void indexesMustIncrease() {
        Inflights in = new Inflights(4, 1_000);
        in.add(5, 1);
        assertThatThrownBy(() -> in.add(5, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> in.add(4, 1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void resetEmptiesTheWindow() {
        Inflights in = new Inflights(2, 1_000);
        in.add(1, 10);
        in.add(2, 10);
        in.reset();
        assertThat(in.count()).isZero();
        assertThat(in.bytes()).isZero();
        assertThat(in.full()).isFalse();
        in.add(1, 1);
        assertThat(in.count()).isEqualTo(1);
    }

    @Test
    void boundsMustBePositive() {
        assertThatThrownBy(() -> new Inflights(0, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Inflights(10, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
