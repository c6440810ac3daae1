package io.shardkv.raft.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.core.DropReason;
import io.shardkv.raft.core.ProposeResult;
import io.shardkv.raft.core.RaftConfig;
import io.shardkv.raft.core.RandomSource;
import io.shardkv.raft.core.RawNode;
import io.shardkv.raft.storage.MemoryLogStorage;
import org.junit.jupiter.api.Test;

/** How the core's drop reasons reach clients as {@link RaftRequestException} kinds. */
class RaftPollerToExceptionTest {
    private static final long GROUP = 7;

    private static RaftRequestException map(DropReason reason) {
        RawNode node = new RawNode(RaftConfig.defaults(1), new MemoryLogStorage(), RandomSource.seeded(1));
        GroupPeer g = new GroupPeer(GROUP, node, null, null, null, null, 1, 0);
        return RaftPoller.toException(g, new ProposeResult.Dropped(reason, 3, "detail"));
    }

    @Test
    void aFullReadQueueIsServerBusy() {
        RaftRequestException e = map(DropReason.READ_QUEUE_FULL);
        assertThat(e.kind()).isEqualTo(RaftRequestException.Kind.SERVER_BUSY);
        assertThat(e.groupId()).isEqualTo(GROUP);
        assertThat(e.leaderHint()).isEqualTo(3);
        assertThat(e.getMessage()).contains("READ_QUEUE_FULL: detail");
    }

    @Test
    void aTransferToANonVoterIsInvalid() {
        RaftRequestException e = map(DropReason.TRANSFER_TARGET_NOT_VOTER);
        assertThat(e.kind()).isEqualTo(RaftRequestException.Kind.INVALID);
        assertThat(e.getMessage()).contains("TRANSFER_TARGET_NOT_VOTER");
    }
}
