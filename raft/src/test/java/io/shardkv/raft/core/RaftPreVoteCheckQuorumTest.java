package io.shardkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Raft thesis 9.6 (PreVote), 6.2 (CheckQuorum) and 4.2.3 (leader lease on votes). */
class RaftPreVoteCheckQuorumTest {

    private static final int E = TestCluster.ELECTION_TICKS;

    @Nested
    @DisplayName("thesis 9.6: PreVote")
    class PreVote {
        @Test
        @DisplayName("thesis 9.6: a partitioned node that rejoins neither bumps the term nor disrupts the leader")
        void rejoiningNodeDoesNotDisrupt() {
            TestCluster c = TestCluster.of(3);
            c.elect(1);
            long term = c.raft(1).term();
            c.isolate(3);
            c.clearSent();
            c.tickAndStabilize(10 * E);

            assertThat(c.sent(m -> m.from() == 3 && m.type() == MessageType.PRE_VOTE)).as("it tried").isNotEmpty();
            assertThat(c.sent(m -> m.from() == 3 && m.type() == MessageType.VOTE)).as("but never for real").isEmpty();
            assertThat(c.raft(3).term()).isEqualTo(term);

            c.heal();
            c.tickAndStabilize(2 * E);
            assertThat(c.leaderId()).isEqualTo(1);
            for (long id = 1; id <= 3; id++) {
                assertThat(c.raft(id).term()).as("term of %d", id).isEqualTo(term);
            }
            assertThat(c.raft(3).role()).isEqualTo(Role.FOLLOWER);
            assertThat(c.raft(3).leaderId()).isEqualTo(1);
        }

        @Test
        @DisplayName("thesis 9.6 (contrast): without PreVote and CheckQuorum the same node deposes the leader")
        void withoutPreVoteTheRejoiningNodeDisrupts() {
            TestCluster c = TestCluster.builder(3).config(cfg -> cfg.withFeatures(false, false, false)).build();
            c.elect(1);
            long term = c.raft(1).term();
            c.isolate(3);
            c.tickAndStabilize(5 * E);
            assertThat(c.raft(3).term()).as("term inflation while cut off").isGreaterThan(term + 1);

            c.heal();
            c.tickUntil(() -> c.raft(1).term() > term, 2 * E, "the healthy leader is forced into a new term");
            assertThat(c.raft(1).term()).isGreaterThan(term + 1);
        }

        @Test
        @DisplayName("thesis 9.6: granting a pre-vote changes neither the voter's term nor its vote")
        void preVoteLeavesNoTrace() {
            // CheckQuorum off: the voter's lease is not what this test is about.
            TestCluster c = TestCluster.builder(3).hardState(2, 4, 3, 0)
                    .config(cfg -> cfg.withFeatures(false, true, false)).build();
            HardState before = c.peer(2).storage.hardState();
            c.clearSent();
            c.node(2).step(Message.builder(MessageType.PRE_VOTE).from(1).to(2).term(before.term() + 1).build());
            c.processReadies();
            assertThat(c.sent()).singleElement().satisfies(m -> {
                assertThat(m.type()).isEqualTo(MessageType.PRE_VOTE_RESPONSE);
                assertThat(m.reject()).isFalse();
                assertThat(m.term()).isEqualTo(before.term() + 1);
            });
            assertThat(c.raft(2).term()).isEqualTo(before.term());
            assertThat(c.raft(2).vote()).isEqualTo(before.vote());
        }

        @Test
        @DisplayName("thesis 9.6: a won pre-vote is followed by a real election in the next term")
        void wonPreVoteLeadsToElection() {
            TestCluster c = TestCluster.of(3);
            c.clearSent();
            c.tickUntil(() -> c.leaderId() != RawNode.NONE, 3 * E, "an election");
            long leader = c.leaderId();
            assertThat(c.raft(leader).term()).isEqualTo(1);
            assertThat(c.sent()).extracting(Message::type)
                    .containsSubsequence(MessageType.PRE_VOTE, MessageType.PRE_VOTE_RESPONSE, MessageType.VOTE,
                            MessageType.VOTE_RESPONSE);
        }

        @Test
        @DisplayName("thesis 9.6: a pre-candidate with a stale log is refused and stays in its term")
        void staleLogLosesPreVote() {
            TestCluster c = TestCluster.builder(3).log(2, 1, 1).log(3, 1, 1).log(1, 1)
                    .hardState(1, 1, 0, 0).hardState(2, 1, 0, 0).hardState(3, 1, 0, 0)
                    .config(cfg -> cfg.withFeatures(false, true, false)).build();
            for (int i = 0; i < 2 * E && c.raft(1).role() == Role.FOLLOWER; i++) {
                c.tick(1);
            }
            c.stabilize();
            assertThat(c.raft(1).role()).isEqualTo(Role.FOLLOWER);
            assertThat(c.raft(1).term()).isEqualTo(1);
            assertThat(c.raft(2).term()).isEqualTo(1);
            assertThat(c.sent(m -> m.type() == MessageType.PRE_VOTE_RESPONSE)).hasSize(2)
                    .allSatisfy(m -> assertThat(m.reject()).isTrue());
        }
    }

    @Nested
    @DisplayName("thesis 6.2: CheckQuorum")
    class CheckQuorum {
        @Test
        @DisplayName("thesis 6.2: an isolated leader steps down within two election timeouts, not before one")
        void isolatedLeaderStepsDown() {
            TestCluster c = TestCluster.of(3);
            c.elect(1);
            c.tickAndStabilize(3);
            c.isolate(1);
            c.tickAndStabilize(E);
            assertThat(c.raft(1).role()).isEqualTo(Role.LEADER);
            c.tickAndStabilize(E);
            assertThat(c.raft(1).role()).isEqualTo(Role.FOLLOWER);
            assertThat(c.raft(1).leaderId()).isEqualTo(RawNode.NONE);
        }

        @Test
        @DisplayName("thesis 6.2: a leader that hears from a quorum keeps leading")
        void connectedLeaderStays() {
            TestCluster c = TestCluster.of(3);
            c.elect(1);
            c.isolate(3);
            c.tickAndStabilize(10 * E);
            assertThat(c.leaderId()).isEqualTo(1);
            assertThat(c.raft(1).term()).isEqualTo(1);
        }

        @Test
        @DisplayName("thesis 6.2 (contrast): without CheckQuorum an isolated leader keeps believing it leads")
        void withoutCheckQuorumLeaderStays() {
            TestCluster c = TestCluster.builder(3).config(cfg -> cfg.withFeatures(false, true, false)).build();
            c.elect(1);
            c.isolate(1);
            c.tickAndStabilize(10 * E);
            assertThat(c.raft(1).role()).isEqualTo(Role.LEADER);
        }

        @Test
        @DisplayName("thesis 4.2.3: a follower that recently heard from its leader ignores vote requests")
        void followerInLeaseIgnoresVotes() {
            TestCluster c = TestCluster.of(3);
            c.elect(1);
            c.tickAndStabilize(E);
            long term = c.raft(2).term();
            c.clearSent();
            Message vote = Message.builder(MessageType.VOTE).from(3).to(2).term(term + 1).index(100).logTerm(term)
                    .build();
            c.node(2).step(vote);
            c.processReadies();
            assertThat(c.sent()).as("no answer at all").isEmpty();
            assertThat(c.raft(2).term()).isEqualTo(term);
            assertThat(c.raft(2).leaderId()).isEqualTo(1);

            // Once the leader has been silent for an election timeout the lease is over.
            c.isolate(1);
            for (int i = 0; i < E; i++) {
                c.tick(2);
            }
            c.node(2).step(vote);
            c.processReadies();
            assertThat(c.sent()).singleElement().satisfies(m -> {
                assertThat(m.type()).isEqualTo(MessageType.VOTE_RESPONSE);
                assertThat(m.reject()).isFalse();
            });
            assertThat(c.raft(2).term()).isEqualTo(term + 1);
        }

        @Test
        @DisplayName("thesis 4.2.3: a campaign started by leadership transfer is not held back by the lease")
        void transferCampaignBypassesLease() {
            TestCluster c = TestCluster.of(3);
            c.elect(1);
            c.tickAndStabilize(E);
            long term = c.raft(2).term();
            c.node(2).step(Message.builder(MessageType.VOTE).from(3).to(2).term(term + 1).index(100).logTerm(term)
                    .transfer(true).build());
            assertThat(c.raft(2).term()).isEqualTo(term + 1);
            assertThat(c.raft(2).vote()).isEqualTo(3);
        }

        @Test
        @DisplayName("thesis 4.2.3: a freshly restarted node does not vote until an election timeout has passed")
        void restartedNodeHoldsVotes() {
            TestCluster c = TestCluster.of(3);
            c.elect(1);
            c.crash(2);
            c.restart(2, true);
            long term = c.raft(2).term();
            Message vote = Message.builder(MessageType.VOTE).from(3).to(2).term(term + 1).index(100).logTerm(term).build();
            c.clearSent();
            c.node(2).step(vote);
            c.processReadies();
            assertThat(c.sent()).isEmpty();
            c.isolate(2);
            for (int i = 0; i < E; i++) {
                c.tick(2);
            }
            c.rejoin(2);
            c.node(2).step(vote);
            c.processReadies();
            assertThat(c.sent(m -> m.type() == MessageType.VOTE_RESPONSE && !m.reject())).hasSize(1);
        }
    }
}
