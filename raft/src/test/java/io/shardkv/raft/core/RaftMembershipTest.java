package io.shardkv.raft.core;

import static io.shardkv.raft.core.confchange.ConfChangeSingle.addLearner;
import static io.shardkv.raft.core.confchange.ConfChangeSingle.addVoter;
import static io.shardkv.raft.core.confchange.ConfChangeSingle.remove;
import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.core.confchange.ConfChange;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Raft paper section 6 (cluster membership changes): learners, promotion and joint consensus. */
class RaftMembershipTest {

    private static final int E = TestCluster.ELECTION_TICKS;

    private static void assertAccepted(ProposeResult r) {
        assertThat(r).isInstanceOf(ProposeResult.Accepted.class);
    }

    private static List<ConfChange> appliedConfChanges(TestCluster c, long id) {
        return c.peer(id).applied.stream().filter(e -> e.type() == EntryType.CONF_CHANGE)
                .map(e -> ConfChange.decode(e.data())).toList();
    }

    @Test
    @DisplayName("§6: a learner is added by a simple change and receives the whole log")
    void learnerIsAddedAndCatchesUp() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.propose(1, "before");
        c.stabilize();
        c.addPeer(4);

        assertAccepted(c.node(1).proposeConfChange(ConfChange.of(addLearner(4))));
        c.stabilize();
        c.propose(1, "after");
        c.stabilize();

        for (long id = 1; id <= 4; id++) {
            ConfState cs = c.node(id).confState();
            assertThat(cs.voters()).as("node %d", id).containsExactlyInAnyOrder(1L, 2L, 3L);
            assertThat(cs.learners()).as("node %d", id).containsExactly(4L);
        }
        assertThat(c.data(4)).containsExactly("before", "after");
        assertThat(c.raft(1).leaderStateOrThrow().progress.get(4L).isLearner()).isTrue();
    }

    @Test
    @DisplayName("§6: a learner gets the log but never campaigns, is never asked to vote, and its ack does not count")
    void learnerDoesNotVote() {
        TestCluster c = TestCluster.builder(3).learners(4).build();
        c.campaign(1);
        c.processReadies();
        assertThat(c.inFlight()).extracting(Message::to).containsExactlyInAnyOrder(2L, 3L);
        c.stabilize();
        assertThat(c.leaderId()).isEqualTo(1);

        // A learner cut off from the leader stays a follower forever.
        c.isolate(4);
        for (int i = 0; i < 10 * E; i++) {
            c.tick(4);
        }
        c.stabilize();
        assertThat(c.raft(4).role()).isEqualTo(Role.FOLLOWER);
        c.node(4).step(Message.builder(MessageType.TIMEOUT_NOW).from(1).to(4).term(c.raft(4).term()).build());
        assertThat(c.raft(4).role()).as("even TimeoutNow cannot make a learner campaign").isEqualTo(Role.FOLLOWER);
        c.rejoin(4);

        // Leader + learner are not a majority of the three voters.
        c.isolate(2);
        c.isolate(3);
        ProposeResult.Accepted accepted = (ProposeResult.Accepted) c.propose(1, "x");
        c.tickAndStabilize(4);
        assertThat(c.raft(4).log.lastIndex()).as("the learner has the entry").isGreaterThanOrEqualTo(accepted.index());
        assertThat(c.raft(1).log.committed()).as("but it is not committed").isLessThan(accepted.index());

        c.rejoin(2);
        c.tickUntil(() -> c.raft(1).log.committed() >= accepted.index(), 2 * E, "commit with voter 2 back");
        assertThat(c.data(4)).containsExactly("x");
    }

    @Test
    @DisplayName("§6: promoting a learner makes it a voter that counts towards the quorum")
    void learnerIsPromoted() {
        TestCluster c = TestCluster.builder(3).learners(4).build();
        c.elect(1);
        assertAccepted(c.node(1).proposeConfChange(ConfChange.of(addVoter(4))));
        c.stabilize();

        for (long id = 1; id <= 4; id++) {
            assertThat(c.node(id).confState().voters()).as("node %d", id).containsExactlyInAnyOrder(1L, 2L, 3L, 4L);
            assertThat(c.node(id).confState().learners()).isEmpty();
        }
        assertThat(c.raft(1).leaderStateOrThrow().progress.get(4L).isLearner()).isFalse();

        // Four voters need three: the leader with node 4 alone cannot commit, with node 2 it can.
        c.isolate(2);
        c.isolate(3);
        ProposeResult.Accepted accepted = (ProposeResult.Accepted) c.propose(1, "x");
        c.tickAndStabilize(4);
        assertThat(c.raft(1).log.committed()).isLessThan(accepted.index());
        c.rejoin(2);
        c.tickUntil(() -> c.raft(1).log.committed() >= accepted.index(), 2 * E, "commit with three of four voters");

        // The promoted node can now be elected.
        c.heal();
        c.elect(4);
    }

    @Test
    @DisplayName("§6: a joint change needs both majorities, then the leader leaves the joint configuration by itself")
    void jointConsensusEnterAndAutoLeave() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.addPeer(4);
        // Replace voter 3 by node 4 while nodes 2 and 4 are unreachable.
        c.isolate(2);
        c.isolate(4);
        assertAccepted(c.node(1).proposeConfChange(ConfChange.of(addVoter(4), remove(3))));
        c.tickAndStabilize(2);

        ConfState joint = c.node(1).confState();
        assertThat(joint.isJoint()).as("joint entry committed by the old majority {1,3}").isTrue();
        assertThat(joint.voters()).containsExactlyInAnyOrder(1L, 2L, 4L);
        assertThat(joint.votersOutgoing()).containsExactlyInAnyOrder(1L, 2L, 3L);
        assertThat(joint.autoLeave()).isTrue();
        assertThat(c.raft(1).log.lastIndex()).as("leave-joint entry appended").isGreaterThan(c.raft(1).log.committed());

        // {1,3} is a majority of the outgoing half but not of the incoming {1,2,4}.
        ProposeResult.Accepted x = (ProposeResult.Accepted) c.propose(1, "x");
        c.tickAndStabilize(4);
        assertThat(c.raft(1).log.committed()).isLessThan(x.index());
        assertThat(c.node(1).confState().isJoint()).isTrue();
        assertThat(c.node(1).proposeConfChange(ConfChange.of(addLearner(5))))
                .as("the leave-joint entry is the change in flight")
                .isInstanceOfSatisfying(ProposeResult.Dropped.class,
                        d -> assertThat(d.reason()).isEqualTo(DropReason.CONF_CHANGE_PENDING));

        c.heal();
        c.tickUntil(() -> !c.node(1).confState().isJoint(), 4 * E, "auto-leave");
        c.tickAndStabilize(2);

        ConfState left = c.node(1).confState();
        assertThat(left.voters()).containsExactlyInAnyOrder(1L, 2L, 4L);
        assertThat(left.votersOutgoing()).isEmpty();
        assertThat(left.autoLeave()).isFalse();
        assertThat(c.raft(1).log.committed()).isGreaterThanOrEqualTo(x.index());
        assertThat(c.data(4)).containsExactly("x");
        assertThat(appliedConfChanges(c, 1)).hasSize(2).last().satisfies(cc -> assertThat(cc.isLeaveJoint()).isTrue());
        assertThat(c.raft(1).leaderStateOrThrow().progress.keySet()).containsExactlyInAnyOrder(1L, 2L, 4L);
        assertThat(c.node(2).confState()).isEqualTo(left);
        assertThat(c.node(4).confState()).isEqualTo(left);
    }

    @Test
    @DisplayName("§6: a leader that removes itself steps down and the remaining members elect a new leader")
    void removeTheLeader() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        long term = c.raft(1).term();
        assertAccepted(c.node(1).proposeConfChange(ConfChange.of(remove(1))));
        c.stabilize();

        assertThat(c.raft(1).role()).isEqualTo(Role.FOLLOWER);
        assertThat(c.node(1).confState().voters()).containsExactlyInAnyOrder(2L, 3L);
        assertThat(c.node(1).propose("late".getBytes()).isAccepted()).isFalse();

        c.tickUntil(() -> c.leaderId() == 2 || c.leaderId() == 3, 5 * E, "a leader among the remaining members");
        long leader = c.leaderId();
        assertThat(c.raft(leader).term()).isGreaterThan(term);
        assertThat(c.node(2).confState().voters()).containsExactlyInAnyOrder(2L, 3L);
        assertThat(c.node(3).confState().voters()).containsExactlyInAnyOrder(2L, 3L);
        c.propose(leader, "y");
        c.stabilize();
        assertThat(c.data(2)).containsExactly("y");
        assertThat(c.data(3)).containsExactly("y");

        // The removed node never campaigns again.
        c.clearSent();
        c.isolate(1);
        c.tickAndStabilize(10 * E);
        assertThat(c.raft(1).role()).isEqualTo(Role.FOLLOWER);
        assertThat(c.sent(m -> m.from() == 1)).isEmpty();
    }

    @Test
    @DisplayName("§6: only one membership change may be in flight; the next waits until it is applied")
    void oneChangeAtATime() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        assertAccepted(c.node(1).proposeConfChange(ConfChange.of(addLearner(4))));
        ProposeResult second = c.node(1).proposeConfChange(ConfChange.of(addLearner(5)));
        assertThat(second).isInstanceOfSatisfying(ProposeResult.Dropped.class,
                d -> assertThat(d.reason()).isEqualTo(DropReason.CONF_CHANGE_PENDING));
        c.stabilize();
        assertAccepted(c.node(1).proposeConfChange(ConfChange.of(addLearner(5))));
        c.stabilize();
        assertThat(c.node(1).confState().learners()).containsExactlyInAnyOrder(4L, 5L);
    }

    @Test
    @DisplayName("§6: a new leader accepts no change before it has applied the log it was elected with")
    void newLeaderWaitsForItsLogBeforeAChange() {
        TestCluster c = TestCluster.builder(3).log(1, 1, 1).log(2, 1, 1).log(3, 1, 1).build();
        c.campaign(1);
        c.processReadies();
        c.deliverOnly(m -> m.type() == MessageType.VOTE);
        c.deliverOnly(m -> m.type() == MessageType.VOTE_RESPONSE);
        assertThat(c.raft(1).role()).isEqualTo(Role.LEADER);
        assertThat(c.node(1).proposeConfChange(ConfChange.of(addLearner(4))))
                .isInstanceOfSatisfying(ProposeResult.Dropped.class,
                        d -> assertThat(d.reason()).isEqualTo(DropReason.CONF_CHANGE_PENDING));
        c.stabilize();
        assertAccepted(c.node(1).proposeConfChange(ConfChange.of(addLearner(4))));
    }

    @Test
    @DisplayName("§6: an invalid change is refused with its reason")
    void invalidChangeIsRefused() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        assertThat(c.node(1).proposeConfChange(ConfChange.of(remove(9))))
                .isInstanceOfSatisfying(ProposeResult.Dropped.class, d -> {
                    assertThat(d.reason()).isEqualTo(DropReason.INVALID_CONF_CHANGE);
                    assertThat(d.detail()).contains("not a member");
                });
        assertThat(c.node(1).proposeConfChange(ConfChange.of(addLearner(2))))
                .isInstanceOfSatisfying(ProposeResult.Dropped.class,
                        d -> assertThat(d.detail()).contains("demotion"));
        assertThat(c.node(2).proposeConfChange(ConfChange.of(addLearner(4))))
                .isEqualTo(new ProposeResult.Dropped(DropReason.NOT_LEADER, 1, ""));
        // Nothing was appended by the refused requests.
        assertThat(c.raft(1).log.lastIndex()).isEqualTo(1);
    }

    @Test
    @DisplayName("§6: a node removed through a joint change leaves the progress set after the leave entry")
    void jointRemovalOfALearnerAndVoter() {
        TestCluster c = TestCluster.builder(4).learners(5).build();
        c.elect(1);
        assertAccepted(c.node(1).proposeConfChange(ConfChange.of(remove(4), remove(5))));
        c.stabilize();
        c.tickAndStabilize(2);
        ConfState cs = c.node(1).confState();
        assertThat(cs.isJoint()).isFalse();
        assertThat(cs.voters()).containsExactlyInAnyOrder(1L, 2L, 3L);
        assertThat(cs.learners()).isEmpty();
        assertThat(c.raft(1).leaderStateOrThrow().progress.keySet()).isEqualTo(Set.of(1L, 2L, 3L));
    }

    @Test
    @DisplayName("§6: a leader that moves itself out with a joint change leads through the joint phase, then hands over")
    void leaderRemovedThroughJointChange() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.addPeer(4);
        assertAccepted(c.node(1).proposeConfChange(ConfChange.of(addVoter(4), remove(1))));
        c.stabilize();

        assertThat(c.raft(1).role()).as("stepped down once the joint phase was left").isEqualTo(Role.FOLLOWER);
        List<ConfChange> applied = appliedConfChanges(c, 1);
        assertThat(applied).hasSize(2);
        assertThat(applied.get(1).isLeaveJoint()).as("node 1 itself left the joint configuration").isTrue();
        c.tickUntil(() -> List.of(2L, 3L, 4L).contains(c.leaderId()), 5 * E, "a leader among 2, 3, 4");
        long leader = c.leaderId();
        c.propose(leader, "after");
        c.stabilize();
        for (long id = 2; id <= 4; id++) {
            assertThat(c.node(id).confState().voters()).containsExactlyInAnyOrder(2L, 3L, 4L);
            assertThat(c.data(id)).containsExactly("after");
        }
    }

    @Test
    @DisplayName("§6: when the leader dies in the joint phase, the next leader leaves the joint configuration")
    void newLeaderLeavesJointConfiguration() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.addPeer(4);
        // The leave-joint entry never gets out of node 1.
        c.drop(m -> m.from() == 1 && m.type() == MessageType.APPEND && m.entries().stream()
                .anyMatch(e -> e.type() == EntryType.CONF_CHANGE && ConfChange.decode(e.data()).isLeaveJoint()));
        assertAccepted(c.node(1).proposeConfChange(ConfChange.of(addVoter(4), remove(3))));
        c.stabilize();
        assertThat(c.node(2).confState().isJoint()).isTrue();
        c.crash(1);
        c.clearDropFilters();

        c.tickUntil(() -> List.of(2L, 3L, 4L).contains(c.leaderId()), 5 * E, "a new leader in the joint configuration");
        long leader = c.leaderId();
        c.tickUntil(() -> !c.node(leader).confState().isJoint(), 2 * E, "the new leader leaves the joint config");
        assertThat(c.node(leader).confState().voters()).containsExactlyInAnyOrder(1L, 2L, 4L);
        assertThat(appliedConfChanges(c, leader)).last().satisfies(cc -> assertThat(cc.isLeaveJoint()).isTrue());
    }
}
