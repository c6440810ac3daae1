package io.shardkv.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.common.Limits;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WriteSequencerTest {
    @Test
    void firstIncompleteIsTheLowestOutstandingSequence() {
        WriteSequencer sequencer = new WriteSequencer(42);
        assertThat(sequencer.firstIncomplete()).isEqualTo(1);
        for (int i = 1; i <= 5; i++) {
            assertThat(sequencer.begin().join()).isEqualTo(i);
        }
        assertThat(sequencer.firstIncomplete()).isEqualTo(1);
        sequencer.finish(3);
        sequencer.finish(5);
        assertThat(sequencer.firstIncomplete()).isEqualTo(1);
        sequencer.finish(1);
        assertThat(sequencer.firstIncomplete()).isEqualTo(2);
        sequencer.finish(2);
        assertThat(sequencer.firstIncomplete()).isEqualTo(4);
        assertThat(sequencer.session(4).getSequence()).isEqualTo(4);
        assertThat(sequencer.session(4).getFirstIncomplete()).isEqualTo(4);
        assertThat(sequencer.session(4).getClientId()).isEqualTo(42);
        sequencer.finish(4);
        assertThat(sequencer.firstIncomplete()).isEqualTo(6);
        assertThat(sequencer.outstandingCount()).isZero();
    }

    @Test
    void aSlowWriteHoldsTheWindowAndLaterWritesWaitForRoomInOrder() {
        WriteSequencer sequencer = new WriteSequencer(7);
        long slow = sequencer.begin().join();
        // Fast writes finish at once, but the groups keep their replies from the slow one on.
        for (int i = 1; i < Limits.MAX_OUTSTANDING_WRITES; i++) {
            sequencer.finish(sequencer.begin().join());
        }
        CompletableFuture<Long> first = sequencer.begin();
        CompletableFuture<Long> second = sequencer.begin();
        CompletableFuture<Long> givenUp = sequencer.begin();
        assertThat(first).isNotDone();
        assertThat(sequencer.waitingCount()).isEqualTo(3);
        givenUp.completeExceptionally(new KvTimeoutException("deadline", null));

        sequencer.finish(slow);
        assertThat(first).isCompletedWithValue((long) Limits.MAX_OUTSTANDING_WRITES + 1);
        assertThat(second).isCompletedWithValue((long) Limits.MAX_OUTSTANDING_WRITES + 2);
        assertThat(sequencer.waitingCount()).isZero();
        assertThat(sequencer.outstandingCount()).isEqualTo(2);
        assertThat(sequencer.firstIncomplete()).isEqualTo(Limits.MAX_OUTSTANDING_WRITES + 1);
    }

    @Test
    void aSequenceGrantedToAWriterThatStoppedWaitingIsReleased() {
        WriteSequencer sequencer = new WriteSequencer(9);
        long slow = sequencer.begin().join();
        for (int i = 1; i < Limits.MAX_OUTSTANDING_WRITES; i++) {
            sequencer.finish(sequencer.begin().join());
        }
        CompletableFuture<Long> waiter = sequencer.begin();
        // The waiter's deadline fires while its grant is on the way: the future is already done.
        waiter.completeExceptionally(new KvTimeoutException("deadline", null));
        sequencer.finish(slow);
        assertThat(sequencer.outstandingCount()).isZero();
        assertThat(sequencer.begin().join()).isEqualTo(Limits.MAX_OUTSTANDING_WRITES + 1);
    }

    @Test
    void concurrentWritesFinishingOutOfOrderNeverPassAnOutstandingOne() throws Exception {
        WriteSequencer sequencer = WriteSequencer.withRandomId();
        assertThat(sequencer.clientId()).isNotZero();
        int threads = 8;
        int perThread = 2_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            long seed = t;
            pool.execute(() -> {
                Random random = new Random(seed);
                List<Long> mine = new ArrayList<>();
                for (int i = 0; i < perThread; i++) {
                    CompletableFuture<Long> next = sequencer.begin();
                    if (!next.isDone()) {
                        // The window is full: a real writer waits without holding a thread,
                        // here this thread must finish its own writes before it waits.
                        mine.forEach(sequencer::finish);
                        mine.clear();
                    }
                    mine.add(next.join());
                    if (mine.size() > 4 || random.nextBoolean()) {
                        Collections.shuffle(mine, random);
                        long finishing = mine.remove(0);
                        // While a write is outstanding the low mark must not pass it.
                        for (long outstanding : mine) {
                            long first = sequencer.session(outstanding).getFirstIncomplete();
                            if (first > outstanding) {
                                violations.add("first_incomplete " + first + " passed outstanding " + outstanding);
                            }
                        }
                        sequencer.finish(finishing);
                    }
                }
                mine.forEach(sequencer::finish);
                done.countDown();
            });
        }
        assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        pool.shutdown();
        assertThat(violations).isEmpty();
        assertThat(sequencer.outstandingCount()).isZero();
        assertThat(sequencer.firstIncomplete()).isEqualTo((long) threads * perThread + 1);
    }
}
