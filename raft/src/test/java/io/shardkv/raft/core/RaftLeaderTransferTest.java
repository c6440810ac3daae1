package io.shardkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.core.confchange.ConfChange;
import io.shardkv.raft.core.confchange.ConfChangeSingle;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Raft thesis 3.10: leadership transfer. */
class RaftLeaderTransferTest {

    private static final int E = TestCluster.ELECTION_TICKS;

    private static void assertDropped(ProposeResult r, DropReason reason) {
        assertThat(r).isInstanceOfSatisfying(ProposeResult.Dropped.class, d -> assertThat(d.reason()).isEqualTo(reason));
    }

    @Test
    @DisplayName("thesis 3.10: an up-to-date target gets TimeoutNow at once and wins the next term")
    void transferToUpToDateFollower() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.stabilize();
        long term = c.raft(1).term();
        c.clearSent();

        assertThat(c.node(1).transferLeader(2).isAccepted()).isTrue();
        c.processReadies();
        assertThat(c.inFlight()).singleElement().satisfies(m -> {
            assertThat(m.type()).isEqualTo(MessageType.TIMEOUT_NOW);
            assertThat(m.to()).isEqualTo(2);
        });
        c.stabilize();

        assertThat(c.leaderId()).isEqualTo(2);
        assertThat(c.raft(2).term()).isEqualTo(term + 1);
        assertThat(c.raft(1).role()).isEqualTo(Role.FOLLOWER);
        assertThat(c.sent(m -> m.type() == MessageType.VOTE)).allSatisfy(m -> assertThat(m.transfer()).isTrue());
    }

    @Test
    @DisplayName("thesis 3.10: a lagging target is caught up first; proposals are refused meanwhile")
    void catchUpThenTimeoutNow() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.isolate(3);
        for (String s : List.of("a", "b", "c")) {
            c.propose(1, s);
        }
        c.stabilize();
        long last = c.raft(1).log.lastIndex();
        assertThat(c.raft(3).log.lastIndex()).isLessThan(last);
        c.rejoin(3);
        c.clearSent();

        assertThat(c.node(1).transferLeader(3).isAccepted()).isTrue();
        assertThat(c.node(1).status().transferee()).isEqualTo(3);
        ProposeResult refused = c.propose(1, "during");
        assertThat(refused).isInstanceOfSatisfying(ProposeResult.Dropped.class, d -> {
            assertThat(d.reason()).isEqualTo(DropReason.TRANSFER_IN_PROGRESS);
            assertThat(d.leaderHint()).isEqualTo(1);
        });
        c.processReadies();
        assertThat(c.inFlight()).as("no TimeoutNow before the target has the log")
                .noneMatch(m -> m.type() == MessageType.TIMEOUT_NOW);

        c.stabilize();
        List<Message> sent = c.sent();
        int caughtUp = -1;
        int timeoutNow = -1;
        for (int i = 0; i < sent.size(); i++) {
            Message m = sent.get(i);
            if (caughtUp < 0 && m.type() == MessageType.APPEND_RESPONSE && m.from() == 3 && !m.reject()
                    && m.index() == last) {
                caughtUp = i;
            }
            if (timeoutNow < 0 && m.type() == MessageType.TIMEOUT_NOW) {
                timeoutNow = i;
            }
        }
        assertThat(caughtUp).isNotNegative();
        assertThat(timeoutNow).as("TimeoutNow follows the catch-up").isGreaterThan(caughtUp);
        assertThat(c.leaderId()).isEqualTo(3);
        assertThat(c.data(3)).containsExactly("a", "b", "c");
        assertThat(c.propose(3, "after").isAccepted()).isTrue();
    }

    @Test
    @DisplayName("thesis 3.10: a transfer to an unreachable target is abandoned after an election timeout")
    void abortWhenTargetUnreachable() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.isolate(3);
        c.propose(1, "a");
        c.stabilize();
        assertThat(c.node(1).transferLeader(3).isAccepted()).isTrue();
        assertDropped(c.propose(1, "x"), DropReason.TRANSFER_IN_PROGRESS);

        c.tickAndStabilize(E - 1);
        assertThat(c.node(1).status().transferee()).isEqualTo(3);
        assertDropped(c.propose(1, "x"), DropReason.TRANSFER_IN_PROGRESS);
        c.tickAndStabilize(1);
        assertThat(c.node(1).status().transferee()).isEqualTo(RawNode.NONE);
        assertThat(c.leaderId()).isEqualTo(1);
        assertThat(c.propose(1, "y").isAccepted()).isTrue();
        c.stabilize();
        assertThat(c.data(2)).containsExactly("a", "y");
    }

    @Test
    @DisplayName("thesis 3.10: leadership cannot go to a learner or a non-member")
    void transferToLearnerRefused() {
        TestCluster c = TestCluster.builder(3).learners(4).build();
        c.elect(1);
        assertDropped(c.node(1).transferLeader(4), DropReason.TRANSFER_TARGET_NOT_VOTER);
        assertDropped(c.node(1).transferLeader(9), DropReason.TRANSFER_TARGET_NOT_VOTER);
        assertThat(c.node(1).status().transferee()).isEqualTo(RawNode.NONE);
        assertThat(c.propose(1, "x").isAccepted()).isTrue();
    }

    @Test
    @DisplayName("a transfer to a learner is dropped with TRANSFER_TARGET_NOT_VOTER, naming the leader and the target")
    void transferToLearnerHasItsOwnReason() {
        TestCluster c = TestCluster.builder(3).learners(4).build();
        c.elect(1);
        c.stabilize();
        c.clearSent();
        assertThat(c.node(1).transferLeader(4)).isInstanceOfSatisfying(ProposeResult.Dropped.class, d -> {
            assertThat(d.reason()).isEqualTo(DropReason.TRANSFER_TARGET_NOT_VOTER);
            assertThat(d.leaderHint()).isEqualTo(1);
            assertThat(d.detail()).contains("4");
        });
        c.stabilize();
        assertThat(c.sent(m -> m.type() == MessageType.TIMEOUT_NOW)).isEmpty();
        assertThat(c.leaderId()).isEqualTo(1);
    }

    @Test
    @DisplayName("thesis 3.10: transferring to the current leader does nothing")
    void transferToSelf() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.stabilize();
        c.clearSent();
        assertThat(c.node(1).transferLeader(1).isAccepted()).isTrue();
        c.stabilize();
        assertThat(c.sent()).isEmpty();
        assertThat(c.propose(1, "x").isAccepted()).isTrue();
    }

    @Test
    @DisplayName("thesis 3.10: a follower forwards a transfer request to its leader")
    void followerForwardsTransfer() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.stabilize();
        assertThat(c.node(2).transferLeader(3).isAccepted()).isTrue();
        c.processReadies();
        assertThat(c.inFlight()).singleElement().satisfies(m -> {
            assertThat(m.type()).isEqualTo(MessageType.TRANSFER_LEADER);
            assertThat(m.to()).isEqualTo(1);
        });
        c.stabilize();
        assertThat(c.leaderId()).isEqualTo(3);
    }

    @Test
    @DisplayName("thesis 3.10: removing the transfer target abandons the transfer")
    void removingTargetAbortsTransfer() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.isolate(3);
        assertThat(c.node(1).proposeConfChange(ConfChange.of(ConfChangeSingle.remove(3))).isAccepted()).isTrue();
        // The removal is committed by {1, 2}; ask for the transfer before it is applied.
        c.processReadies();
        c.peer(1).manualReady = true;
        c.deliverOnly(m -> m.to() == 2);
        c.deliverOnly(m -> m.to() == 1);
        assertThat(c.node(1).transferLeader(3).isAccepted()).isTrue();
        c.peer(1).manualReady = false;
        c.stabilize();
        assertThat(c.node(1).confState().voters()).containsExactlyInAnyOrder(1L, 2L);
        assertThat(c.node(1).status().transferee()).isEqualTo(RawNode.NONE);
        assertThat(c.propose(1, "x").isAccepted()).isTrue();
    }
}
