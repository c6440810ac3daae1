package io.shardkv.raft.core;

import static io.shardkv.raft.core.confchange.ConfChangeSingle.addLearner;
import static io.shardkv.raft.core.confchange.ConfChangeSingle.addVoter;
import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.core.confchange.ConfChange;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Restart from durable state (Raft paper Figure 2: persistent state on all servers). */
class RaftRestartTest {

    private static final int E = TestCluster.ELECTION_TICKS;

    @Test
    @DisplayName("Figure 2: a node rebuilt from its storage keeps term, vote, commit and log")
    void restartKeepsHardStateAndLog() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.propose(1, "a");
        c.propose(1, "b");
        c.stabilize();
        c.elect(2);
        c.stabilize();
        Map<Long, HardState> before = new HashMap<>();
        Map<Long, Long> lastIndex = new HashMap<>();
        for (long id = 1; id <= 3; id++) {
            before.put(id, c.peer(id).storage.hardState());
            lastIndex.put(id, c.raft(id).log.lastIndex());
            c.crash(id);
        }
        for (long id = 1; id <= 3; id++) {
            c.restart(id, true);
            Raft r = c.raft(id);
            assertThat(new HardState(r.term(), r.vote(), r.log.committed())).as("node %d", id).isEqualTo(before.get(id));
            assertThat(r.log.lastIndex()).isEqualTo(lastIndex.get(id));
            assertThat(r.log.applied()).as("the state machine survived").isEqualTo(r.log.committed());
            assertThat(r.role()).isEqualTo(Role.FOLLOWER);
            assertThat(r.leaderId()).isEqualTo(RawNode.NONE);
        }
        c.tickUntil(() -> c.leaderId() != RawNode.NONE, 5 * E, "a leader after the restart");
        assertThat(c.raft(c.leaderId()).term()).isGreaterThan(before.get(2L).term());
        c.propose(c.leaderId(), "c");
        c.stabilize();
        for (long id = 1; id <= 3; id++) {
            assertThat(c.data(id)).as("no entry applied twice").containsExactly("a", "b", "c");
        }
    }

    @Test
    @DisplayName("Figure 2: a node whose state machine was lost replays the committed log")
    void restartWithoutStateMachineReplays() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.propose(1, "a");
        c.propose(1, "b");
        c.stabilize();
        c.crash(2);
        c.restart(2, false);
        assertThat(c.data(2)).isEmpty();
        c.processReadies();
        assertThat(c.data(2)).containsExactly("a", "b");
    }

    @Test
    @DisplayName("Figure 2: a vote survives a restart, so a node cannot vote twice in one term")
    void voteSurvivesRestart() {
        TestCluster c = TestCluster.builder(3).config(cfg -> cfg.withFeatures(false, false, false)).build();
        c.node(1).step(Message.builder(MessageType.VOTE).from(2).to(1).term(5).build());
        c.processReadies();
        c.crash(1);
        c.restart(1, true);
        c.clearSent();
        c.node(1).step(Message.builder(MessageType.VOTE).from(3).to(1).term(5).build());
        c.processReadies();
        assertThat(c.sent()).singleElement().satisfies(m -> assertThat(m.reject()).isTrue());
        assertThat(c.raft(1).vote()).isEqualTo(2);
    }

    @Test
    @DisplayName("§6: membership changes survive a restart, replayed from the log")
    void membershipSurvivesRestart() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.addPeer(4);
        c.node(1).proposeConfChange(ConfChange.of(addLearner(4)));
        c.stabilize();
        c.node(1).proposeConfChange(ConfChange.of(addVoter(4)));
        c.stabilize();
        c.addPeer(5);
        c.node(1).proposeConfChange(ConfChange.of(addLearner(5)));
        c.stabilize();
        ConfState expected = c.node(1).confState();
        assertThat(expected.voters()).containsExactlyInAnyOrder(1L, 2L, 3L, 4L);
        assertThat(expected.learners()).containsExactly(5L);

        // With its state machine intact the node re-applies the changes up to its applied index at once.
        c.crash(2);
        c.restart(2, true);
        assertThat(c.node(2).confState()).isEqualTo(expected);

        // Without it, the changes come back as the committed entries are applied again.
        c.crash(3);
        c.restart(3, false);
        c.processReadies();
        assertThat(c.node(3).confState()).isEqualTo(expected);

        c.crash(1);
        c.restart(1, true);
        assertThat(c.node(1).confState()).isEqualTo(expected);
        c.tickUntil(() -> c.leaderId() != RawNode.NONE, 5 * E, "a leader among the new voters");
        assertThat(c.leaderId()).isNotEqualTo(5L);
    }

    @Test
    @DisplayName("Figure 2: entries persisted but not committed survive a restart and are committed later")
    void uncommittedEntriesSurvive() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.isolate(2);
        c.isolate(3);
        c.propose(1, "a");
        c.stabilize();
        long last = c.raft(1).log.lastIndex();
        c.crash(1);
        c.restart(1, true);
        assertThat(c.raft(1).log.lastIndex()).isEqualTo(last);
        assertThat(c.raft(1).log.committed()).isLessThan(last);
        c.heal();
        c.elect(1);
        c.stabilize();
        assertThat(c.data(2)).containsExactly("a");
    }

    @Test
    @DisplayName("restart: an applied index beyond the log is clamped to the commit index")
    void appliedIsClampedToCommit() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.propose(1, "a");
        c.stabilize();
        TestCluster.Peer p = c.peer(2);
        RawNode node = new RawNode(p.config.withApplied(1_000), p.storage, RandomSource.seeded(3));
        assertThat(node.status().handedToApply()).isEqualTo(p.storage.hardState().commit());
        assertThat(node.hasReady()).as("nothing is applied twice").isFalse();
    }
}
