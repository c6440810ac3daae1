package io.shardkv.raft.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.core.Entry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ProposalTrackerTest {
    private record Timed(ProposalTracker.Stage stage, long nanos) {
    }

    private final List<Timed> timed = new ArrayList<>();
    private final ProposalTracker proposals = new ProposalTracker(3, (stage, nanos) -> timed.add(new Timed(stage, nanos)));

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void anAppliedEntryCompletesItsProposalOnlyInTheSameTerm() {
        CompletableFuture<byte[]> kept = new CompletableFuture<>();
        CompletableFuture<byte[]> replaced = new CompletableFuture<>();
        proposals.register(5, 2, kept, 0, 0);
        proposals.register(6, 2, replaced, 0, 0);
        proposals.onApplied(Entry.normal(2, 5, b("x")), b("ok"), 0);
        proposals.onApplied(Entry.normal(3, 6, b("y")), b("other"), 0);
        assertThat(kept.join()).isEqualTo(b("ok"));
        assertThat(replaced).isCompletedExceptionally();
        assertThat(proposals.pendingCount()).isZero();
    }

    @Test
    void proposalsOvertakenByASnapshotEndWithAnUnknownOutcome() {
        CompletableFuture<byte[]> covered = new CompletableFuture<>();
        CompletableFuture<byte[]> alsoCovered = new CompletableFuture<>();
        CompletableFuture<byte[]> later = new CompletableFuture<>();
        proposals.register(5, 2, covered, 0, 0);
        proposals.register(6, 2, alsoCovered, 0, 0);
        proposals.register(9, 4, later, 0, 0);
        proposals.onRestored(6);
        assertThat(covered).isCompletedExceptionally();
        assertThat(alsoCovered).isCompletedExceptionally();
        assertThat(covered.handle((v, e) -> e).join()).hasMessageContaining("may or may not have applied");
        assertThat(later).isNotDone();
        assertThat(proposals.pendingCount()).isEqualTo(1);
        proposals.onApplied(Entry.normal(4, 9, b("z")), b("done"), 0);
        assertThat(later.join()).isEqualTo(b("done"));
    }

    @Test
    void eachStageOfAProposalIsTimedOnce() {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        proposals.register(7, 2, result, 1_000, 1_400);
        proposals.onCommitted(List.of(Entry.normal(2, 6, b("other's")), Entry.normal(2, 7, b("x"))), 3_400);
        // A second Ready naming the same entry (it does not happen, but must not count twice).
        proposals.onCommitted(List.of(Entry.normal(2, 7, b("x"))), 9_000);
        proposals.onApplied(Entry.normal(2, 7, b("x")), b("ok"), 4_000);
        assertThat(timed).containsExactly(
                new Timed(ProposalTracker.Stage.QUEUE, 400),
                new Timed(ProposalTracker.Stage.COMMIT, 2_000),
                new Timed(ProposalTracker.Stage.APPLY, 600));
        assertThat(result.join()).isEqualTo(b("ok"));
    }

    @Test
    void anEntryCommittedInAnotherTermIsNotTimedAsTheProposal() {
        CompletableFuture<byte[]> replaced = new CompletableFuture<>();
        proposals.register(7, 2, replaced, 0, 100);
        proposals.onCommitted(List.of(Entry.normal(3, 7, b("the new leader's"))), 500);
        proposals.onApplied(Entry.normal(3, 7, b("the new leader's")), b("other"), 900);
        assertThat(timed).extracting(Timed::stage).containsExactly(ProposalTracker.Stage.QUEUE);
        assertThat(replaced).isCompletedExceptionally();
    }
}
