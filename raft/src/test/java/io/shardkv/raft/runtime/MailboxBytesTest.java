package io.shardkv.raft.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.Message;
import io.shardkv.raft.core.MessageType;
import io.shardkv.raft.core.RaftConfig;
import io.shardkv.raft.core.RandomSource;
import io.shardkv.raft.core.RawNode;
import io.shardkv.raft.storage.MemoryLogStorage;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Mailboxes are bounded in bytes per group and per server, besides their count. */
class MailboxBytesTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private static PeerInput append(int bytes) {
        return new PeerInput.Step(Message.builder(MessageType.APPEND).from(2).to(1).term(1)
                .entries(List.of(Entry.normal(1, 1, new byte[bytes]))).build());
    }

    private static GroupPeer peer(long groupId) {
        RawNode node = new RawNode(RaftConfig.defaults(1), new MemoryLogStorage(), RandomSource.seeded(1));
        return new GroupPeer(groupId, node, null, null, null, null, 16, 0);
    }

    @Test
    void appendsAndProposalsCountTheirPayloadAndAreRefusedBeyondEitherBound() {
        MailboxBytes bytes = new MailboxBytes(10_000, 15_000, registry);
        Router router = new Router(new RuntimeMetrics(registry, () -> 0, () -> 0, () -> 0), bytes, () -> { });
        GroupPeer a = peer(1);
        GroupPeer b = peer(2);

        assertThat(router.deliver(a, append(6_000))).isTrue();
        assertThat(router.deliver(a, append(6_000))).as("over group a's 10,000").isFalse();
        assertThat(router.deliver(a, new PeerInput.Tick())).as("no payload, only the count bound").isTrue();
        assertThat(router.deliver(b, new PeerInput.Propose(new byte[8_000], new CompletableFuture<>()))).isTrue();
        assertThat(router.deliver(b, append(2_000))).as("over the server's 15,000").isFalse();
        assertThat(bytes.totalBytes()).isEqualTo(6_064 + 8_064);
        assertThat(registry.get("raft.mailbox.refused").counter().count()).isEqualTo(2);

        // Taking an input gives its bytes back; a stopped group's mailbox is drained.
        assertThat(router.take(a)).isInstanceOf(PeerInput.Step.class);
        assertThat(router.deliver(a, append(6_000))).isTrue();
        assertThat(router.drain(a)).hasSize(2);
        assertThat(router.drain(b)).hasSize(1);
        assertThat(bytes.totalBytes()).isZero();
        assertThat(a.mailboxBytes.get()).isZero();
    }
}
