package io.shardkv.raft.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.core.Entry;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ProposalTrackerTest {
    private final ProposalTracker proposals = new ProposalTracker(3);

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void anAppliedEntryCompletesItsProposalOnlyInTheSameTerm() {
        CompletableFuture<byte[]> kept = new CompletableFuture<>();
        CompletableFuture<byte[]> replaced = new CompletableFuture<>();
        proposals.register(5, 2, kept);
        proposals.register(6, 2, replaced);
        proposals.onApplied(Entry.normal(2, 5, b("x")), b("ok"));
        proposals.onApplied(Entry.normal(3, 6, b("y")), b("other"));
        assertThat(kept.join()).isEqualTo(b("ok"));
        assertThat(replaced).isCompletedExceptionally();
        assertThat(proposals.pendingCount()).isZero();
    }

    @Test
    void proposalsOvertakenByASnapshotEndWithAnUnknownOutcome() {
        CompletableFuture<byte[]> covered = new CompletableFuture<>();
        CompletableFuture<byte[]> alsoCovered = new CompletableFuture<>();
        CompletableFuture<byte[]> later = new CompletableFuture<>();
        proposals.register(5, 2, covered);
        proposals.register(6, 2, alsoCovered);
        proposals.register(9, 4, later);
        proposals.onRestored(6);
        assertThat(covered).isCompletedExceptionally();
        assertThat(alsoCovered).isCompletedExceptionally();
        assertThat(covered.handle((v, e) -> e).join()).hasMessageContaining("may or may not have applied");
        assertThat(later).isNotDone();
        assertThat(proposals.pendingCount()).isEqualTo(1);
        proposals.onApplied(Entry.normal(4, 9, b("z")), b("done"));
        assertThat(later.join()).isEqualTo(b("done"));
    }
}
