package io.shardkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.storage.MemoryLogStorage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Raft paper 5.1: a request with a stale term is rejected, and the reply carries the current term. */
class StaleTermTest {

    /**
     * Found by the simulation (seed -4703454724208103344): a lagging voter campaigning in high
     * terms under an old membership silently dropped the vote requests of the only candidate that
     * could win, which never learned the higher term and chased it forever.
     */
    @Test
    void voteRequestWithStaleTermIsRejectedWithTheCurrentTerm() {
        MemoryLogStorage storage = MemoryLogStorage.bootstrap(ConfState.ofVoters(1L, 2L));
        storage.setHardState(new HardState(5, 0, 1));
        RawNode node = new RawNode(RaftConfig.defaults(1).withFeatures(false, false, false), storage,
                RandomSource.seeded(1));

        node.step(Message.builder(MessageType.VOTE).from(2).to(1).term(3).index(1).logTerm(1).build());

        List<Message> out = node.ready().messages();
        assertThat(out).hasSize(1);
        assertThat(out.get(0).type()).isEqualTo(MessageType.VOTE_RESPONSE);
        assertThat(out.get(0).reject()).isTrue();
        assertThat(out.get(0).term()).isEqualTo(5);
    }

    /**
     * Found by the simulation (seed 6629310613691741011): with CheckQuorum and PreVote off, a
     * voter whose term had been raised but that could not campaign (it had not applied its own
     * promotion yet) ignored the leader's appends for good, and the leader, needing its ack,
     * could commit nothing.
     */
    @Test
    void appendWithStaleTermIsAnsweredWithTheCurrentTermEvenWithoutCheckQuorumOrPreVote() {
        MemoryLogStorage storage = MemoryLogStorage.bootstrap(ConfState.ofVoters(1L, 2L));
        storage.setHardState(new HardState(5, 0, 1));
        RawNode node = new RawNode(RaftConfig.defaults(1).withFeatures(false, false, false), storage,
                RandomSource.seeded(1));

        node.step(Message.builder(MessageType.HEARTBEAT).from(2).to(1).term(3).commit(1).build());

        List<Message> out = node.ready().messages();
        assertThat(out).hasSize(1);
        assertThat(out.get(0).type()).isEqualTo(MessageType.APPEND_RESPONSE);
        assertThat(out.get(0).term()).isEqualTo(5);
    }
}
