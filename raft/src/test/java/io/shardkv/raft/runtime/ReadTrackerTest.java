package io.shardkv.raft.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ReadTrackerTest {
    private final ReadTracker reads = new ReadTracker();

    @Test
    void aReadWaitsForTheApplyOfItsIndex() {
        CompletableFuture<Long> read = new CompletableFuture<>();
        reads.register(1, read);
        reads.onReadIndex(1, 7, 5);
        assertThat(read).isNotDone();
        reads.onApplied(6);
        assertThat(read).isNotDone();
        reads.onApplied(7);
        assertThat(read).isCompletedWithValue(7L);
    }

    @Test
    void anApplyAnnouncedBeforeTheReadIsQueuedStillReleasesIt() {
        // The poller saw applied index 5; the apply thread then applied 7 and announced it
        // before the poller queued the read: nothing later would wake it.
        CompletableFuture<Long> read = new CompletableFuture<>();
        reads.register(1, read);
        reads.onApplied(7);
        reads.onReadIndex(1, 7, 5);
        assertThat(read).isCompletedWithValue(7L);
    }

    @Test
    void failAllEndsEveryWaitingRead() {
        CompletableFuture<Long> confirming = new CompletableFuture<>();
        CompletableFuture<Long> applying = new CompletableFuture<>();
        reads.register(1, confirming);
        reads.register(2, applying);
        reads.onReadIndex(2, 9, 1);
        reads.failAll(new RaftRequestException(RaftRequestException.Kind.GROUP_FAILED, 1, 0, "group stopped"));
        assertThat(confirming).isCompletedExceptionally();
        assertThat(applying).isCompletedExceptionally();
    }
}
