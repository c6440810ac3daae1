package io.shardkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.kv.proto.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/**
 * How {@link RequestBatcher} gathers requests, on a sink that records every request and answers
 * only when the test says: which go alone, which wait and go together, and how each one's own
 * future ends.
 */
class RequestBatcherTest {
    /** A request the batcher made: the writes it carries and its answer, completed by the test. */
    private record Sent(List<BatchOp> ops, long startNanos, CompletableFuture<List<BatchResult>> answer) {
    }

    private final List<Sent> alone = new ArrayList<>();
    private final List<Sent> batches = new ArrayList<>();

    private final RequestBatcher.Sink sink = new RequestBatcher.Sink() {
        @Override
        public CompletableFuture<BatchResult> sendAlone(BatchOp op, long startNanos) {
            Sent s = new Sent(List.of(op), startNanos, new CompletableFuture<>());
            alone.add(s);
            return s.answer().thenApply(r -> r.get(0));
        }

        @Override
        public CompletableFuture<List<BatchResult>> sendBatch(List<BatchOp> ops, long startNanos) {
            Sent s = new Sent(List.copyOf(ops), startNanos, new CompletableFuture<>());
            batches.add(s);
            return s.answer();
        }
    };

    private static BatchOp put(String key) {
        return BatchOp.put(key, "v-" + key);
    }

    private static String key(BatchOp op) {
        return new String(op.key(), StandardCharsets.UTF_8);
    }

    private static List<BatchResult> found(int n) {
        List<BatchResult> results = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            results.add(new BatchResult(i % 2 == 0, new byte[0]));
        }
        return results;
    }

    /**
     * Writes a, b and c to group 1 with one request in flight: a goes alone and is answered, so b
     * and c are gathered into batches.get(0), whose answer is left to the test. Returns b and c.
     */
    private List<CompletableFuture<BatchResult>> gatheredBehindOne() {
        RequestBatcher batcher = new RequestBatcher(sink, 1, 1 << 20);
        batcher.submit(1, put("a"));
        CompletableFuture<BatchResult> b = batcher.submit(1, put("b"));
        CompletableFuture<BatchResult> c = batcher.submit(1, put("c"));
        alone.get(0).answer().complete(found(1));
        assertThat(batches.get(0).ops()).extracting(RequestBatcherTest::key).containsExactly("b", "c");
        return List.of(b, c);
    }

    @Test
    void writesUnderTheLimitGoAloneAndWaitForNothing() {
        RequestBatcher batcher = new RequestBatcher(sink, 2, 1 << 20);
        CompletableFuture<BatchResult> a = batcher.submit(1, put("a"));
        CompletableFuture<BatchResult> b = batcher.submit(1, put("b"));
        CompletableFuture<BatchResult> c = batcher.submit(2, put("c"));

        assertThat(alone).extracting(s -> key(s.ops().get(0))).containsExactly("a", "b", "c");
        assertThat(batcher.waiting()).isZero();
        alone.get(0).answer().complete(found(1));
        assertThat(a).isCompletedWithValueMatching(BatchResult::found);
        assertThat(b).isNotDone();
        assertThat(c).isNotDone();
    }

    @Test
    void writesBeyondTheLimitWaitAndGoTogetherWhenOneIsAnswered() {
        RequestBatcher batcher = new RequestBatcher(sink, 1, 1 << 20);
        CompletableFuture<BatchResult> first = batcher.submit(1, put("a"));
        List<CompletableFuture<BatchResult>> gathered = new ArrayList<>();
        for (String k : List.of("b", "c", "d")) {
            gathered.add(batcher.submit(1, put(k)));
        }
        CompletableFuture<BatchResult> otherGroup = batcher.submit(2, put("x"));

        assertThat(alone).extracting(s -> key(s.ops().get(0))).containsExactly("a", "x");
        assertThat(batches).isEmpty();
        assertThat(batcher.waiting()).isEqualTo(3);

        alone.get(0).answer().complete(found(1));
        assertThat(first).isCompleted();
        assertThat(batches).singleElement().satisfies(s -> {
            assertThat(s.ops()).extracting(RequestBatcherTest::key).containsExactly("b", "c", "d");
            assertThat(s.startNanos()).as("the deadline counts from the oldest write")
                    .isLessThanOrEqualTo(alone.get(1).startNanos());
        });
        assertThat(batcher.waiting()).isZero();

        // Each write gets its own result from the batch's answer.
        batches.get(0).answer().complete(found(3));
        assertThat(gathered).extracting(f -> f.getNow(null).found()).containsExactly(true, false, true);
        assertThat(otherGroup).isNotDone();
    }

    @Test
    void aWriteSubmittedWhileOthersWaitQueuesBehindThemEvenIfTheGroupHasRoom() {
        RequestBatcher batcher = new RequestBatcher(sink, 1, 1 << 20);
        batcher.submit(1, put("a"));
        batcher.submit(1, put("b"));
        alone.get(0).answer().complete(found(1)); // b goes alone: it was the only one waiting
        batcher.submit(1, put("c"));
        batcher.submit(1, put("d"));
        assertThat(alone).extracting(s -> key(s.ops().get(0))).containsExactly("a", "b");
        alone.get(1).answer().complete(found(1));
        assertThat(batches).singleElement().satisfies(s ->
                assertThat(s.ops()).extracting(RequestBatcherTest::key).containsExactly("c", "d"));
    }

    @Test
    void aBatchHoldsAtMostItsOpsAndBytesAndTheRestGoesNext() {
        RequestBatcher batcher = new RequestBatcher(sink, 1, 30);
        batcher.submit(1, put("first"));
        // Each put is 2 + 4 = 6 bytes ("kN", "v-kN"): five fit in 30 bytes.
        for (int i = 0; i < 7; i++) {
            batcher.submit(1, put("k" + i));
        }
        alone.get(0).answer().complete(found(1));
        assertThat(batches).singleElement().satisfies(s -> assertThat(s.ops()).hasSize(5));
        batches.get(0).answer().complete(found(5));
        assertThat(batches).hasSize(2);
        assertThat(batches.get(1).ops()).extracting(RequestBatcherTest::key).containsExactly("k5", "k6");

        RequestBatcher many = new RequestBatcher(sink, 1, 1 << 20);
        many.submit(3, put("first"));
        for (int i = 0; i < RequestBatcher.MAX_OPS_PER_BATCH + 1; i++) {
            many.submit(3, put("m" + i));
        }
        alone.get(1).answer().complete(found(1));
        assertThat(batches.get(2).ops()).hasSize(RequestBatcher.MAX_OPS_PER_BATCH);
        assertThat(many.waiting()).isEqualTo(1);
    }

    @Test
    void aFailedBatchFailsEachOfItsWritesWithItsCause() {
        List<CompletableFuture<BatchResult>> gathered = gatheredBehindOne();
        CompletableFuture<BatchResult> b = gathered.get(0);
        CompletableFuture<BatchResult> c = gathered.get(1);
        KvTimeoutException timeout = new KvTimeoutException("batch timed out", null);
        batches.get(0).answer().completeExceptionally(timeout);

        for (CompletableFuture<BatchResult> f : List.of(b, c)) {
            assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class).hasCause(timeout);
        }
    }

    @Test
    void aBatchSplitByMovedSlotsBeforeAnyAttemptCouldApplyIsSentAgainWriteByWrite() {
        List<CompletableFuture<BatchResult>> gathered = gatheredBehindOne();
        CompletableFuture<BatchResult> b = gathered.get(0);
        CompletableFuture<BatchResult> c = gathered.get(1);
        batches.get(0).answer().completeExceptionally(new KvCalls.BatchSplitException("split", false));

        assertThat(alone).extracting(s -> key(s.ops().get(0))).containsExactly("a", "b", "c");
        alone.get(1).answer().complete(found(1));
        alone.get(2).answer().complete(found(1));
        assertThat(b).isCompleted();
        assertThat(c).isCompleted();
    }

    @Test
    void aBatchSplitAfterAnAttemptWithoutAnAnswerFailsSayingTheOutcomeIsUnknown() {
        CompletableFuture<BatchResult> b = gatheredBehindOne().get(0);
        KvCalls.BatchSplitException split = new KvCalls.BatchSplitException("split", false).afterAttempts(true);
        batches.get(0).answer().completeExceptionally(split);

        assertThat(alone).as("not sent again: it may have applied").hasSize(1);
        assertThatThrownBy(b::get).hasCauseInstanceOf(KvException.class)
                .hasMessageContaining("may or may not have applied");
        assertThat(((KvException) split).code()).isEqualTo(ErrorCode.UNAVAILABLE);
    }

    @Test
    void closingFailsTheWaitingWritesAndRefusesNewOnes() {
        RequestBatcher batcher = new RequestBatcher(sink, 1, 1 << 20);
        CompletableFuture<BatchResult> inFlight = batcher.submit(1, put("a"));
        CompletableFuture<BatchResult> waiting = batcher.submit(1, put("b"));
        KvException closed = new KvException(ErrorCode.UNAVAILABLE, "closed");
        batcher.close(closed);

        assertThatThrownBy(waiting::get).hasCause(closed);
        assertThat(inFlight).as("its request ends on its own").isNotDone();
        assertThatThrownBy(() -> batcher.submit(1, put("c")).get()).hasCause(closed);
        alone.get(0).answer().complete(found(1));
        assertThat(batches).as("nothing is sent after close").isEmpty();
    }

    @Test
    void readsAndWritesOfAGroupAreGatheredTogether() {
        RequestBatcher batcher = new RequestBatcher(sink, 1, 1 << 20);
        batcher.submit(1, put("a"));
        batcher.submit(1, BatchOp.get("r1"));
        batcher.submit(1, put("b"));
        batcher.submit(1, BatchOp.get("r2"));
        assertThat(alone).as("a read waits behind a write like another write").hasSize(1);
        assertThat(batcher.waiting()).isEqualTo(3);

        alone.get(0).answer().complete(found(1));
        assertThat(batches).singleElement().satisfies(s -> assertThat(s.ops()).extracting(RequestBatcherTest::key)
                .containsExactly("r1", "b", "r2"));
    }

    @Test
    void aMixedBatchSplitAfterAnUnansweredAttemptSendsItsReadsAgainAndFailsItsWrites() {
        RequestBatcher batcher = new RequestBatcher(sink, 1, 1 << 20);
        batcher.submit(1, put("a"));
        CompletableFuture<BatchResult> r1 = batcher.submit(1, BatchOp.get("r1"));
        CompletableFuture<BatchResult> b = batcher.submit(1, put("b"));
        alone.get(0).answer().complete(found(1));
        KvCalls.BatchSplitException split = new KvCalls.BatchSplitException("split", false).afterAttempts(true);
        batches.get(0).answer().completeExceptionally(split);

        assertThat(alone).extracting(s -> key(s.ops().get(0))).containsExactly("a", "r1");
        assertThatThrownBy(b::get).hasMessageContaining("may or may not have applied");
        alone.get(1).answer().complete(found(1));
        assertThat(r1).isCompletedWithValueMatching(BatchResult::found);
    }

    @Test
    void aBatchOfReadsRefusedAsInvalidOrSplitByMovedSlotsIsSentAgainReadByRead() {
        RequestBatcher batcher = new RequestBatcher(sink, 1, 1 << 20);
        batcher.submit(1, BatchOp.get("r0"));
        CompletableFuture<BatchResult> r1 = batcher.submit(1, BatchOp.get("r1"));
        batcher.submit(1, BatchOp.get("r2"));
        alone.get(0).answer().complete(found(1));
        // The answer would have been too large as a whole.
        batches.get(0).answer().completeExceptionally(KvException.invalidArgument("response too large"));
        assertThat(alone).extracting(s -> key(s.ops().get(0))).containsExactly("r0", "r1", "r2");
        alone.get(1).answer().complete(found(1));
        assertThat(r1).isCompletedWithValueMatching(BatchResult::found);

        batcher.submit(2, BatchOp.get("s0"));
        batcher.submit(2, BatchOp.get("s1"));
        batcher.submit(2, BatchOp.get("s2"));
        alone.get(3).answer().complete(found(1));
        // Reads apply nothing: even after an attempt without an answer they go again.
        batches.get(1).answer().completeExceptionally(
                new KvCalls.BatchSplitException("split", false).afterAttempts(true));
        assertThat(alone).extracting(s -> key(s.ops().get(0))).endsWith("s1", "s2");
    }

    @Test
    void aBatchOfWritesRefusedAsInvalidFailsEachWrite() {
        CompletableFuture<BatchResult> b = gatheredBehindOne().get(0);
        batches.get(0).answer().completeExceptionally(KvException.invalidArgument("refused"));
        assertThat(alone).hasSize(1);
        assertThatThrownBy(b::get).hasMessageContaining("refused");
    }

    @Test
    void aSinkThatThrowsFailsTheRequestAndItsLaneGoesOn() {
        IllegalStateException broken = new IllegalStateException("broken");
        boolean[] fail = {true};
        RequestBatcher batcher = new RequestBatcher(new RequestBatcher.Sink() {
            @Override
            public CompletableFuture<BatchResult> sendAlone(BatchOp op, long startNanos) {
                if (fail[0]) {
                    throw broken;
                }
                return sink.sendAlone(op, startNanos);
            }

            @Override
            public CompletableFuture<List<BatchResult>> sendBatch(List<BatchOp> ops, long startNanos) {
                return sink.sendBatch(ops, startNanos);
            }
        }, 1, 1 << 20);
        CompletableFuture<BatchResult> first = batcher.submit(1, put("a"));
        assertThatThrownBy(first::get).hasCause(broken);
        fail[0] = false;
        CompletableFuture<BatchResult> second = batcher.submit(1, put("b"));
        assertThat(alone).as("the lane has room again").singleElement();
        alone.get(0).answer().complete(found(1));
        assertThat(second).isCompleted();
    }

    @Test
    void aLimitBelowOneIsRefused() {
        assertThatThrownBy(() -> new RequestBatcher(sink, 0, 1 << 20)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1");
    }
}
