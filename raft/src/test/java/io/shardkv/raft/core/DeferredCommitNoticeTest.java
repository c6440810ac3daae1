package io.shardkv.raft.core;

import static io.shardkv.raft.core.confchange.ConfChangeSingle.addLearner;
import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.core.confchange.ConfChange;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * RaftConfig#deferCommitNotice (on by default): a leader does not send an append of its own
 * just to tell followers a new commit index; the next append or tick tells them, except for
 * commits followers must learn at once.
 */
class DeferredCommitNoticeTest {

    private static TestCluster deferring() {
        return TestCluster.builder(3).config(c -> c.withDeferCommitNotice(true)).build();
    }

    private static boolean isEmptyAppend(Message m) {
        return m.type() == MessageType.APPEND && m.entries().isEmpty();
    }

    /** A leader elected, its first entry committed everywhere, and nothing in flight. */
    private static TestCluster settled() {
        TestCluster c = deferring();
        c.elect(1);
        c.stabilize();
        c.clearSent();
        return c;
    }

    /** Proposes "x" on a settled cluster and lets the network go quiet: committed, followers not told. */
    private static ProposeResult.Accepted committedButNotTold(TestCluster c) {
        ProposeResult.Accepted x = (ProposeResult.Accepted) c.propose(1, "x");
        c.stabilize();
        assertThat(c.raft(1).log.committed()).isEqualTo(x.index());
        assertThat(c.data(1)).containsExactly("x");
        assertThat(c.sent(DeferredCommitNoticeTest::isEmptyAppend)).as("no append only for the commit").isEmpty();
        assertThat(c.raft(2).log.committed()).as("followers not told yet").isLessThan(x.index());
        assertThat(c.data(2)).isEmpty();
        return x;
    }

    @Test
    @DisplayName("a commit is told by the next proposal's append, not by an append of its own")
    void theNextAppendCarriesTheCommit() {
        TestCluster c = settled();
        ProposeResult.Accepted x = committedButNotTold(c);

        ProposeResult.Accepted y = (ProposeResult.Accepted) c.propose(1, "y");
        c.processReadies();
        assertThat(c.inFlight()).hasSize(2).allSatisfy(m -> {
            assertThat(m.type()).isEqualTo(MessageType.APPEND);
            assertThat(m.commit()).as("y's append tells x's commit").isEqualTo(x.index());
        });
        c.stabilize();
        assertThat(c.data(2)).containsExactly("x");
        assertThat(c.data(3)).containsExactly("x");
        assertThat(c.raft(1).log.committed()).isEqualTo(y.index());
    }

    @Test
    @DisplayName("an idle leader tells a commit at its next tick")
    void anIdleLeaderTellsTheCommitAtTheNextTick() {
        TestCluster c = settled();
        ProposeResult.Accepted x = committedButNotTold(c);

        // A tick that is not a heartbeat tick: the heartbeat counter was reset by the election.
        c.tick(1);
        c.processReadies();
        assertThat(c.inFlight()).as("one empty append per follower").hasSize(2)
                .allSatisfy(m -> {
                    assertThat(isEmptyAppend(m)).isTrue();
                    assertThat(m.commit()).isEqualTo(x.index());
                });
        c.stabilize();
        assertThat(c.data(2)).containsExactly("x");
        assertThat(c.data(3)).containsExactly("x");

        c.clearSent();
        c.tick(1);
        c.processReadies();
        assertThat(c.sent(DeferredCommitNoticeTest::isEmptyAppend)).as("told once").isEmpty();
    }

    @Test
    @DisplayName("a heartbeat tells the commit too, so no append follows it")
    void aHeartbeatTellsTheCommit() {
        TestCluster c = settled();
        ProposeResult.Accepted x = committedButNotTold(c);
        for (int i = 0; i < TestCluster.HEARTBEAT_TICKS; i++) {
            c.tick(1);
            if (i == 0) {
                c.stabilize(); // the first tick sent the notice; let it land
                c.clearSent();
                c.propose(1, "y");
                c.stabilize();
            }
        }
        c.processReadies();
        assertThat(c.inFlight()).as("the heartbeat round, nothing else").isNotEmpty()
                .allSatisfy(m -> assertThat(m.type()).isEqualTo(MessageType.HEARTBEAT));
        c.stabilize();
        assertThat(c.data(2)).containsExactly("x", "y");
        assertThat(c.raft(2).log.committed()).isEqualTo(x.index() + 1);
    }

    @Test
    @DisplayName("a membership change's commit is told at once")
    void aMembershipChangeIsToldAtOnce() {
        TestCluster c = settled();
        c.addPeer(4);
        ProposeResult r = c.node(1).proposeConfChange(ConfChange.of(addLearner(4)));
        assertThat(r.isAccepted()).isTrue();
        long index = ((ProposeResult.Accepted) r).index();
        c.stabilize();

        for (long id = 1; id <= 3; id++) {
            assertThat(c.raft(id).log.committed()).as("node %d, without a tick", id).isGreaterThanOrEqualTo(index);
            assertThat(c.node(id).confState().learners()).as("node %d", id).containsExactly(4L);
        }
        // The learner itself is first contacted by a heartbeat, deferral or not.
        c.tickUntil(() -> c.raft(4).log.committed() >= index, 4 * TestCluster.ELECTION_TICKS, "learner 4 caught up");
        assertThat(c.node(4).confState().learners()).containsExactly(4L);
    }

    @Test
    @DisplayName("a new leader's first commit is told at once")
    void theFirstCommitOfATermIsToldAtOnce() {
        TestCluster c = deferring();
        c.elect(1);
        c.stabilize();
        long noOp = c.raft(1).log.lastIndex();
        assertThat(c.raft(1).log.committed()).isEqualTo(noOp);
        assertThat(c.raft(2).log.committed()).isEqualTo(noOp);
        assertThat(c.raft(3).log.committed()).isEqualTo(noOp);
    }

    @Test
    @DisplayName("with deferral off, every commit is told by an append of its own")
    void withDeferralOffEveryCommitIsToldAtOnce() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.stabilize();
        c.clearSent();
        ProposeResult.Accepted x = (ProposeResult.Accepted) c.propose(1, "x");
        c.stabilize();
        assertThat(c.sent(DeferredCommitNoticeTest::isEmptyAppend)).hasSize(2);
        assertThat(c.raft(2).log.committed()).isEqualTo(x.index());
    }
}
