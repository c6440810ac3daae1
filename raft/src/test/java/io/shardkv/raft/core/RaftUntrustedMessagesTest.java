package io.shardkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Messages no correct peer sends are dropped and counted; the group keeps serving. */
class RaftUntrustedMessagesTest {

    @Test
    @DisplayName("a forged append, heartbeat or quiesce at the leader's own term is dropped, not a reason to stop")
    void forgedLeaderMessagesAtTheLeadersTermAreDropped() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        long term = c.raft(1).term();
        for (MessageType type : List.of(MessageType.APPEND, MessageType.HEARTBEAT, MessageType.QUIESCE)) {
            c.node(1).step(Message.builder(type).from(2).to(1).term(term).index(0).logTerm(0).commit(0).build());
        }

        assertThat(c.node(1).impossibleMessages()).isEqualTo(3);
        assertThat(c.raft(1).role()).isEqualTo(Role.LEADER);
        assertThat(c.raft(1).term()).isEqualTo(term);
        assertThat(c.propose(1, "still serving").isAccepted()).isTrue();
        c.stabilize();
        assertThat(c.data(2)).contains("still serving");
        assertThat(c.node(2).impossibleMessages()).isZero();
    }
}
