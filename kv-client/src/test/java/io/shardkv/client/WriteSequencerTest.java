package io.shardkv.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.common.ClientIds;
import io.shardkv.common.Limits;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WriteSequencerTest {

    /** Tickets by sequence, for tests that finish writes by number. */
    private static final class Numbered {
        final WriteSequencer sequencer;
        final Map<Long, WriteSequencer.Ticket> tickets = new HashMap<>();

        Numbered(WriteSequencer sequencer) {
            this.sequencer = sequencer;
        }

        long begin() {
            WriteSequencer.Ticket t = sequencer.begin().join();
            tickets.put(t.sequence(), t);
            return t.sequence();
        }

        void finish(long sequence) {
            sequencer.finish(tickets.remove(sequence));
        }
    }

    @Test
    void firstIncompleteIsTheLowestOutstandingSequence() {
        WriteSequencer sequencer = new WriteSequencer(42);
        Numbered n = new Numbered(sequencer);
        assertThat(sequencer.firstIncomplete()).isEqualTo(1);
        for (int i = 1; i <= 5; i++) {
            assertThat(n.begin()).isEqualTo(i);
        }
        assertThat(sequencer.firstIncomplete()).isEqualTo(1);
        n.finish(3);
        n.finish(5);
        assertThat(sequencer.firstIncomplete()).isEqualTo(1);
        n.finish(1);
        assertThat(sequencer.firstIncomplete()).isEqualTo(2);
        n.finish(2);
        assertThat(sequencer.firstIncomplete()).isEqualTo(4);
        WriteSequencer.Ticket four = n.tickets.get(4L);
        assertThat(sequencer.session(four).getSequence()).isEqualTo(4);
        assertThat(sequencer.session(four).getFirstIncomplete()).isEqualTo(4);
        assertThat(sequencer.session(four).getClientId()).isEqualTo(42);
        n.finish(4);
        assertThat(sequencer.firstIncomplete()).isEqualTo(6);
        assertThat(sequencer.outstandingCount()).isZero();
    }

    @Test
    void aSlowWriteHoldsTheWindowAndLaterWritesWaitForRoomInOrder() {
        WriteSequencer sequencer = new WriteSequencer(7);
        WriteSequencer.Ticket slow = sequencer.begin().join();
        // Fast writes finish at once, but the groups keep their replies from the slow one on.
        for (int i = 1; i < Limits.MAX_OUTSTANDING_WRITES; i++) {
            sequencer.finish(sequencer.begin().join());
        }
        CompletableFuture<WriteSequencer.Ticket> first = sequencer.begin();
        CompletableFuture<WriteSequencer.Ticket> second = sequencer.begin();
        CompletableFuture<WriteSequencer.Ticket> givenUp = sequencer.begin();
        assertThat(first).isNotDone();
        assertThat(sequencer.waitingCount()).isEqualTo(3);
        givenUp.completeExceptionally(new KvTimeoutException("deadline", null));

        sequencer.finish(slow);
        assertThat(first.join().sequence()).isEqualTo(Limits.MAX_OUTSTANDING_WRITES + 1);
        assertThat(second.join().sequence()).isEqualTo(Limits.MAX_OUTSTANDING_WRITES + 2);
        assertThat(sequencer.waitingCount()).isZero();
        assertThat(sequencer.outstandingCount()).isEqualTo(2);
        assertThat(sequencer.firstIncomplete()).isEqualTo(Limits.MAX_OUTSTANDING_WRITES + 1);
    }

    @Test
    void aSequenceGrantedToAWriterThatStoppedWaitingIsReleased() {
        WriteSequencer sequencer = new WriteSequencer(9);
        WriteSequencer.Ticket slow = sequencer.begin().join();
        for (int i = 1; i < Limits.MAX_OUTSTANDING_WRITES; i++) {
            sequencer.finish(sequencer.begin().join());
        }
        CompletableFuture<WriteSequencer.Ticket> waiter = sequencer.begin();
        // The waiter's deadline fires while its grant is on the way: the future is already done.
        waiter.completeExceptionally(new KvTimeoutException("deadline", null));
        sequencer.finish(slow);
        assertThat(sequencer.outstandingCount()).isZero();
        assertThat(sequencer.begin().join().sequence()).isEqualTo(Limits.MAX_OUTSTANDING_WRITES + 1);
    }

    @Test
    void renewingMovesNewWritesToAFreshIdStampedAfterTheHorizonAndLeavesOldWritesAlone() {
        AtomicLong now = new AtomicLong(1_000);
        WriteSequencer sequencer = new WriteSequencer(ClientIds.newId(now.get(), 0, new Random(1)), new Random(2),
                now::get);
        long firstId = sequencer.clientId();
        WriteSequencer.Ticket old = sequencer.begin().join();
        assertThat(sequencer.begin().join().sequence()).isEqualTo(2);

        // A group's horizon is after this id's stamp (and after this client's clock, which lags).
        sequencer.renew(5_000);
        long renewedId = sequencer.clientId();
        assertThat(renewedId).isNotEqualTo(firstId);
        assertThat(ClientIds.stampOf(renewedId)).isEqualTo(5_001);
        WriteSequencer.Ticket fresh = sequencer.begin().join();
        assertThat(fresh.sequence()).as("a new id numbers from 1").isEqualTo(1);
        assertThat(sequencer.session(fresh).getClientId()).isEqualTo(renewedId);
        assertThat(sequencer.session(old).getClientId()).as("an old write keeps its id").isEqualTo(firstId);
        assertThat(sequencer.session(old).getFirstIncomplete()).isEqualTo(1);

        // A second refusal with the same horizon (another group, same eviction) changes nothing.
        sequencer.renew(5_000);
        assertThat(sequencer.clientId()).isEqualTo(renewedId);
        sequencer.finish(old);
        assertThat(sequencer.firstIncomplete()).isEqualTo(1);
    }

    @Test
    void concurrentWritesFinishingOutOfOrderNeverPassAnOutstandingOne() throws Exception {
        WriteSequencer sequencer = WriteSequencer.withRandomId();
        assertThat(sequencer.clientId()).isPositive();
        int threads = 8;
        int perThread = 2_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            long seed = t;
            pool.execute(() -> {
                Random random = new Random(seed);
                List<WriteSequencer.Ticket> mine = new ArrayList<>();
                for (int i = 0; i < perThread; i++) {
                    CompletableFuture<WriteSequencer.Ticket> next = sequencer.begin();
                    if (!next.isDone()) {
                        // The window is full: a real writer waits without holding a thread,
                        // here this thread must finish its own writes before it waits.
                        mine.forEach(sequencer::finish);
                        mine.clear();
                    }
                    mine.add(next.join());
                    if (mine.size() > 4 || random.nextBoolean()) {
                        Collections.shuffle(mine, random);
                        WriteSequencer.Ticket finishing = mine.remove(0);
                        // While a write is outstanding the low mark must not pass it.
                        for (WriteSequencer.Ticket outstanding : mine) {
                            long first = sequencer.session(outstanding).getFirstIncomplete();
                            if (first > outstanding.sequence()) {
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
