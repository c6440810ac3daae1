package io.shardkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.storage.MemoryLogStorage;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The getters a runtime reads after every Ready tell what {@link RawNode#status()} tells. */
class RawNodeSummaryTest {
    private final LocalGroup group = new LocalGroup();

    private static void assertAgreesWithStatus(RawNode node) {
        RaftStatus s = node.status();
        assertThat(node.role()).isEqualTo(s.role());
        assertThat(node.term()).isEqualTo(s.term());
        assertThat(node.leaderId()).isEqualTo(s.leaderId());
        assertThat(node.committed()).isEqualTo(s.commit());
        assertThat(node.lastIndex()).isEqualTo(s.lastIndex());
        assertThat(node.isQuiesced()).isEqualTo(s.quiesced());
    }

    @Test
    void leaderAndFollowersAgreeWithTheirStatusBeforeAndAfterACommit() {
        for (long id = 1; id <= 3; id++) {
            group.add(id, MemoryLogStorage.bootstrap(ConfState.ofVoters(1L, 2L, 3L)));
        }
        for (long id = 1; id <= 3; id++) {
            assertAgreesWithStatus(group.node(id));
        }
        RawNode leader = group.elect(2);
        assertThat(leader.propose("x".getBytes(StandardCharsets.UTF_8)).isAccepted()).isTrue();
        assertThat(leader.lastIndex()).as("proposed, not yet committed").isGreaterThan(leader.committed());
        assertAgreesWithStatus(leader);
        group.settle();
        for (long id = 1; id <= 3; id++) {
            RawNode node = group.node(id);
            assertAgreesWithStatus(node);
            assertThat(node.leaderId()).isEqualTo(2);
            assertThat(node.role()).isEqualTo(id == 2 ? Role.LEADER : Role.FOLLOWER);
        }
        assertThat(leader.committed()).isEqualTo(leader.lastIndex());
    }
}
