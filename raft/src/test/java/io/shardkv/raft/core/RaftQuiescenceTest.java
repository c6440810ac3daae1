package io.shardkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Quiescence (DESIGN 2.1): an idle group stops ticking and heartbeating until something happens. */
class RaftQuiescenceTest {

    private static final int E = TestCluster.ELECTION_TICKS;

    private static TestCluster quiescedGroup() {
        TestCluster c = TestCluster.builder(3).config(cfg -> cfg.withFeatures(true, true, true)).build();
        c.elect(1);
        c.propose(1, "x");
        c.stabilize();
        c.tickUntil(() -> c.ids().stream().allMatch(id -> c.node(id).isQuiesced()), 5 * E, "the group quiesces");
        return c;
    }

    @Test
    @DisplayName("DESIGN 2.1 quiescence: an idle group sends no messages at all for many ticks")
    void idleGroupStopsHeartbeating() {
        TestCluster c = quiescedGroup();
        long term = c.raft(1).term();
        c.clearSent();
        c.tickAndStabilize(20 * E);

        assertThat(c.sent()).isEmpty();
        assertThat(c.leaderId()).isEqualTo(1);
        assertThat(c.raft(1).term()).isEqualTo(term);
        for (long id = 1; id <= 3; id++) {
            assertThat(c.node(id).isQuiesced()).as("node %d", id).isTrue();
            assertThat(c.node(id).status().quiesced()).isTrue();
        }
    }

    @Test
    @DisplayName("DESIGN 2.1 quiescence: a group with a lagging follower does not quiesce")
    void laggingFollowerKeepsGroupAwake() {
        TestCluster c = TestCluster.builder(3).config(cfg -> cfg.withFeatures(true, true, true)).build();
        c.elect(1);
        c.isolate(3);
        c.propose(1, "x");
        c.tickAndStabilize(5 * E);
        assertThat(c.node(1).isQuiesced()).isFalse();
        c.clearSent();
        c.tickAndStabilize(TestCluster.HEARTBEAT_TICKS);
        assertThat(c.sent(m -> m.type() == MessageType.HEARTBEAT)).isNotEmpty();
    }

    @Test
    @DisplayName("DESIGN 2.1 quiescence: a proposal wakes the group, commits, and the group goes quiet again")
    void proposalWakesTheGroup() {
        TestCluster c = quiescedGroup();
        assertThat(c.propose(1, "y").isAccepted()).isTrue();
        assertThat(c.node(1).isQuiesced()).isFalse();
        c.stabilize();
        for (long id = 1; id <= 3; id++) {
            assertThat(c.data(id)).containsExactly("x", "y");
        }
        c.tickUntil(() -> c.ids().stream().allMatch(id -> c.node(id).isQuiesced()), 5 * E, "quiet again");
        c.clearSent();
        c.tickAndStabilize(5 * E);
        assertThat(c.sent()).isEmpty();
    }

    @Test
    @DisplayName("DESIGN 2.1 quiescence: a read wakes the leader and is answered after a heartbeat round")
    void readWakesTheGroup() {
        TestCluster c = quiescedGroup();
        c.node(1).readIndex(4, ReadMode.LEASE);
        assertThat(c.node(1).isQuiesced()).isFalse();
        c.processReadies();
        assertThat(c.peer(1).readStates).as("the lease is stale after a pause").isEmpty();
        c.stabilize();
        assertThat(c.peer(1).readStates).extracting(ReadState::requestId).containsExactly(4L);
    }

    @Test
    @DisplayName("DESIGN 2.1 quiescence: followers of a crashed leader wait for reportLeaderDown, then elect a new leader")
    void crashedLeaderNeedsFailureDetector() {
        TestCluster c = quiescedGroup();
        long term = c.raft(1).term();
        c.crash(1);
        c.clearSent();
        c.tickAndStabilize(20 * E);
        assertThat(c.sent()).as("nobody campaigns while quiesced").isEmpty();
        assertThat(c.raft(2).role()).isEqualTo(Role.FOLLOWER);
        assertThat(c.raft(2).term()).isEqualTo(term);

        c.node(2).reportLeaderDown();
        c.node(3).reportLeaderDown();
        c.tickUntil(() -> c.leaderId() == 2 || c.leaderId() == 3, 5 * E, "a new leader");
        assertThat(c.raft(c.leaderId()).term()).isGreaterThan(term);
        assertThat(c.propose(c.leaderId(), "z").isAccepted()).isTrue();
        c.stabilize();
        assertThat(c.data(2)).containsExactly("x", "z");
    }

    @Test
    @DisplayName("DESIGN 2.1 quiescence: after reportLeaderDown a follower votes at once and elects within an election timeout")
    void leaderDownEndsTheLeaseOnTheOldLeader() {
        TestCluster c = quiescedGroup();
        long term = c.raft(1).term();
        c.crash(1);
        c.tickAndStabilize(20 * E);

        c.node(2).reportLeaderDown();
        c.node(3).reportLeaderDown();
        // The detector heard nothing from the leader for longer than an election timeout, so the
        // randomized timeout in [E, 2E) is already E ticks along.
        c.tickUntil(() -> c.leaderId() == 2 || c.leaderId() == 3, E, "a new leader within one election timeout");
        assertThat(c.raft(c.leaderId()).term()).isGreaterThan(term);
    }

    @Test
    @DisplayName("DESIGN 2.1 quiescence: reportLeaderDown on a leader does nothing")
    void reportLeaderDownOnLeaderIsIgnored() {
        TestCluster c = quiescedGroup();
        c.node(1).reportLeaderDown();
        assertThat(c.node(1).isQuiesced()).isTrue();
        assertThat(c.leaderId()).isEqualTo(1);
    }
}
