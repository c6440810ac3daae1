package io.shardkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Raft thesis 6.4: linearizable reads through ReadIndex, and lease reads (6.4.1). */
class RaftReadIndexTest {

    private static final int E = TestCluster.ELECTION_TICKS;
    private static final int H = TestCluster.HEARTBEAT_TICKS;

    private static TestCluster leaderWithCommittedNoOp() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.propose(1, "x");
        c.stabilize();
        return c;
    }

    @Nested
    @DisplayName("thesis 6.4: ReadIndex")
    class Safe {
        @Test
        @DisplayName("thesis 6.4: a safe read is answered with the commit index only after a quorum acks a heartbeat round")
        void safeReadNeedsAHeartbeatRound() {
            TestCluster c = leaderWithCommittedNoOp();
            long commit = c.raft(1).log.committed();
            c.clearSent();

            assertThat(c.node(1).readIndex(42, ReadMode.SAFE).isAccepted()).isTrue();
            c.processReadies();
            assertThat(c.peer(1).readStates).isEmpty();
            assertThat(c.inFlight()).hasSize(2).allSatisfy(m -> {
                assertThat(m.type()).isEqualTo(MessageType.HEARTBEAT);
                assertThat(m.readRequestId()).as("tagged as a read round").isNotZero();
            });

            c.deliverOnly(m -> m.to() == 2);
            assertThat(c.peer(1).readStates).as("heartbeat delivered, answer not back").isEmpty();
            c.deliverOnly(m -> m.type() == MessageType.HEARTBEAT_RESPONSE);
            assertThat(c.peer(1).readStates).containsExactly(new ReadState(commit, 42));
        }

        @Test
        @DisplayName("thesis 6.4: one round confirms every read that arrived before it")
        void oneRoundConfirmsEarlierReads() {
            TestCluster c = leaderWithCommittedNoOp();
            long commit = c.raft(1).log.committed();
            c.node(1).readIndex(1, ReadMode.SAFE);
            c.processReadies();
            c.node(1).readIndex(2, ReadMode.SAFE);
            c.processReadies();
            long firstRound = c.inFlight().get(0).readRequestId();
            assertThat(c.inFlight()).extracting(Message::readRequestId).containsOnly(firstRound, firstRound + 1);
            // Only the round sent for the newest request gets through.
            c.drop(m -> m.type() == MessageType.HEARTBEAT && m.readRequestId() == firstRound);
            c.stabilize();
            assertThat(c.peer(1).readStates).extracting(ReadState::requestId).containsExactly(1L, 2L);
            assertThat(c.peer(1).readStates).extracting(ReadState::index).containsOnly(commit);
        }

        @Test
        @DisplayName("thesis 6.4: the reads a leader handles before its next Ready share one heartbeat round")
        void readsHandledTogetherShareOneRound() {
            TestCluster c = leaderWithCommittedNoOp();
            long commit = c.raft(1).log.committed();
            c.clearSent();
            for (long id = 1; id <= 5; id++) {
                assertThat(c.node(1).readIndex(id, ReadMode.SAFE).isAccepted()).isTrue();
            }
            assertThat(c.node(1).hasReady()).as("the round is due").isTrue();
            c.processReadies();
            assertThat(c.inFlight()).as("one round, to each follower").hasSize(2).allSatisfy(m -> {
                assertThat(m.type()).isEqualTo(MessageType.HEARTBEAT);
                assertThat(m.readRequestId()).isEqualTo(c.inFlight().get(0).readRequestId()).isNotZero();
            });
            c.stabilize();
            assertThat(c.peer(1).readStates).extracting(ReadState::requestId).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(c.peer(1).readStates).extracting(ReadState::index).containsOnly(commit);
            assertThat(c.sent(m -> m.type() == MessageType.HEARTBEAT && m.readRequestId() != 0)).hasSize(2);
        }

        @Test
        @DisplayName("thesis 6.4: a read round that a heartbeat tick already carried is not sent again")
        void aTickRoundCarriesTheDueRound() {
            TestCluster c = leaderWithCommittedNoOp();
            c.clearSent();
            c.node(1).readIndex(9, ReadMode.SAFE);
            for (int i = 0; i < H; i++) {
                c.node(1).tick();
            }
            c.processReadies();
            assertThat(c.inFlight()).as("the tick's round carries the read's tag; no second round")
                    .hasSize(2).allSatisfy(m -> assertThat(m.readRequestId()).isNotZero());
            c.stabilize();
            assertThat(c.peer(1).readStates).extracting(ReadState::requestId).containsExactly(9L);
        }

        @Test
        @DisplayName("thesis 6.4: a follower's read is forwarded to the leader and answered with the leader's commit index")
        void followerReadIsForwarded() {
            TestCluster c = leaderWithCommittedNoOp();
            long commit = c.raft(1).log.committed();
            c.clearSent();
            assertThat(c.node(2).readIndex(7, ReadMode.SAFE).isAccepted()).isTrue();
            c.processReadies();
            assertThat(c.inFlight()).singleElement().satisfies(m -> {
                assertThat(m.type()).isEqualTo(MessageType.READ_INDEX);
                assertThat(m.to()).isEqualTo(1);
            });
            c.stabilize();
            assertThat(c.peer(2).readStates).containsExactly(new ReadState(commit, 7));
            assertThat(c.peer(1).readStates).isEmpty();
            assertThat(c.sent(m -> m.type() == MessageType.HEARTBEAT && m.readRequestId() != 0)).hasSize(2);
        }

        @Test
        @DisplayName("thesis 6.4: a new leader holds reads until it has committed an entry of its own term")
        void readWaitsForFirstCommitInTerm() {
            TestCluster c = TestCluster.builder(3).log(1, 1, 1).log(2, 1, 1).log(3, 1, 1).build();
            c.drop(m -> m.type() == MessageType.APPEND_RESPONSE);
            c.elect(1);
            assertThat(c.raft(1).log.committed()).as("the no-op is not committed yet").isLessThan(3);

            c.node(1).readIndex(5, ReadMode.SAFE);
            c.stabilize();
            assertThat(c.peer(1).readStates).isEmpty();
            assertThat(c.sent(m -> m.type() == MessageType.HEARTBEAT && m.readRequestId() != 0))
                    .as("no round before the first commit").isEmpty();

            c.clearDropFilters();
            c.tickUntil(() -> !c.peer(1).readStates.isEmpty(), 3 * E, "the parked read is answered");
            assertThat(c.peer(1).readStates).singleElement().satisfies(rs -> {
                assertThat(rs.requestId()).isEqualTo(5);
                assertThat(rs.index()).as("covers the no-op and what came before").isGreaterThanOrEqualTo(3);
            });
        }

        @Test
        @DisplayName("thesis 6.4: replicas choose request ids on their own; the same id from several replicas is no conflict")
        void sameRequestIdFromSeveralReplicas() {
            TestCluster c = leaderWithCommittedNoOp();
            long commit = c.raft(1).log.committed();
            c.node(1).readIndex(1, ReadMode.SAFE);
            c.node(2).readIndex(1, ReadMode.SAFE);
            c.node(3).readIndex(1, ReadMode.SAFE);
            c.stabilize();
            for (long id = 1; id <= 3; id++) {
                assertThat(c.peer(id).readStates).as("node %d", id).containsExactly(new ReadState(commit, 1));
            }
        }

        @Test
        @DisplayName("thesis 6.4: a retried read from the same replica is answered once")
        void retriedReadAnsweredOnce() {
            TestCluster c = leaderWithCommittedNoOp();
            c.peer(2).manualReady = true;
            c.node(2).readIndex(3, ReadMode.SAFE);
            c.node(2).readIndex(3, ReadMode.SAFE);
            c.handleReady(c.peer(2), c.node(2).ready());
            c.peer(2).manualReady = false;
            c.stabilize();
            assertThat(c.peer(2).readStates).extracting(ReadState::requestId).containsExactly(3L);
        }

        @Test
        @DisplayName("thesis 6.4: a partitioned leader cannot answer a safe read")
        void partitionedLeaderCannotAnswer() {
            TestCluster c = leaderWithCommittedNoOp();
            c.isolate(1);
            c.node(1).readIndex(3, ReadMode.SAFE);
            c.tickAndStabilize(3 * E);
            assertThat(c.peer(1).readStates).isEmpty();
            assertThat(c.raft(1).role()).as("and CheckQuorum deposed it").isNotEqualTo(Role.LEADER);
        }

        @Test
        @DisplayName("thesis 6.4: a learner's heartbeat ack does not count towards the read quorum")
        void learnerAckDoesNotCount() {
            TestCluster c = TestCluster.builder(3).learners(4).build();
            c.elect(1);
            c.stabilize();
            c.isolate(2);
            c.isolate(3);
            c.node(1).readIndex(8, ReadMode.SAFE);
            c.stabilize();
            assertThat(c.sent(m -> m.type() == MessageType.HEARTBEAT_RESPONSE && m.from() == 4 && m.readRequestId() != 0))
                    .hasSize(1);
            assertThat(c.peer(1).readStates).isEmpty();
        }

        @Test
        @DisplayName("thesis 6.4: the only voter answers reads at once")
        void singleVoterAnswersAtOnce() {
            TestCluster c = TestCluster.of(1);
            c.tickUntil(() -> c.leaderId() == 1, 3 * E, "a single node elects itself");
            c.node(1).readIndex(11, ReadMode.SAFE);
            c.processReadies();
            assertThat(c.peer(1).readStates).containsExactly(new ReadState(c.raft(1).log.committed(), 11));
        }

        @Test
        @DisplayName("thesis 6.4: without a known leader a read is dropped with NO_LEADER")
        void noLeaderDropsRead() {
            TestCluster c = TestCluster.of(3);
            assertThat(c.node(2).readIndex(1, ReadMode.SAFE))
                    .isEqualTo(new ProposeResult.Dropped(DropReason.NO_LEADER, RawNode.NONE, ""));
        }
    }

    @Nested
    @DisplayName("thesis 6.4.1: lease reads")
    class Lease {
        @Test
        @DisplayName("thesis 6.4.1: with a valid lease the leader answers at once, without any message")
        void leaseReadWithoutRound() {
            TestCluster c = leaderWithCommittedNoOp();
            c.tickAndStabilize(H);
            c.clearSent();
            c.node(1).readIndex(9, ReadMode.LEASE);
            c.processReadies();
            assertThat(c.peer(1).readStates).containsExactly(new ReadState(c.raft(1).log.committed(), 9));
            assertThat(c.sent()).isEmpty();
        }

        @Test
        @DisplayName("thesis 6.4.1: a lease read before any acknowledged heartbeat falls back to a round")
        void leaseNeedsAnAcknowledgedRound() {
            TestCluster c = leaderWithCommittedNoOp();
            c.clearSent();
            c.node(1).readIndex(9, ReadMode.LEASE);
            c.processReadies();
            assertThat(c.peer(1).readStates).isEmpty();
            assertThat(c.inFlight()).allSatisfy(m -> assertThat(m.readRequestId()).isNotZero()).hasSize(2);
            c.stabilize();
            assertThat(c.peer(1).readStates).extracting(ReadState::requestId).containsExactly(9L);
        }

        @Test
        @DisplayName("thesis 6.4.1: a leader whose lease expired does not answer a lease read on its own")
        void expiredLeaseIsNotUsed() {
            TestCluster c = leaderWithCommittedNoOp();
            c.tickAndStabilize(H);
            c.isolate(1);
            c.tickAndStabilize(E - 1);
            assertThat(c.raft(1).role()).as("still leader by CheckQuorum").isEqualTo(Role.LEADER);
            c.clearSent();
            c.node(1).readIndex(9, ReadMode.LEASE);
            c.processReadies();
            assertThat(c.peer(1).readStates).isEmpty();
            assertThat(c.sent(m -> m.type() == MessageType.HEARTBEAT && m.readRequestId() != 0))
                    .as("fell back to a heartbeat round").hasSize(2);
            c.tickAndStabilize(2 * E);
            assertThat(c.peer(1).readStates).isEmpty();
        }

        @Test
        @DisplayName("thesis 6.4.1: during a leadership transfer the lease is not used")
        void noLeaseDuringTransfer() {
            TestCluster c = leaderWithCommittedNoOp();
            c.tickAndStabilize(H);
            c.isolate(3);
            c.propose(1, "y");
            c.stabilize();
            c.node(1).transferLeader(3);
            c.clearSent();
            c.node(1).readIndex(9, ReadMode.LEASE);
            c.processReadies();
            assertThat(c.peer(1).readStates).as("no answer without a round").isEmpty();
            c.stabilize();
            assertThat(c.peer(1).readStates).as("node 2 confirmed the round").extracting(ReadState::requestId)
                    .containsExactly(9L);
            assertThat(c.sent(m -> m.type() == MessageType.HEARTBEAT_RESPONSE && m.readRequestId() != 0)).isNotEmpty();
        }

        @Test
        @DisplayName("thesis 6.4.1: after TimeoutNow the old leader stops trusting its lease for the rest of its term")
        void noLeaseAfterTimeoutNow() {
            TestCluster c = leaderWithCommittedNoOp();
            c.tickAndStabilize(H);
            // The TimeoutNow is lost, so node 1 stays leader of its term.
            c.drop(m -> m.type() == MessageType.TIMEOUT_NOW);
            c.node(1).transferLeader(2);
            c.stabilize();
            c.tickAndStabilize(E);
            assertThat(c.leaderId()).isEqualTo(1);
            assertThat(c.node(1).status().transferee()).as("transfer abandoned").isEqualTo(RawNode.NONE);
            c.clearSent();
            c.node(1).readIndex(9, ReadMode.LEASE);
            c.processReadies();
            assertThat(c.peer(1).readStates).isEmpty();
            assertThat(c.inFlight()).isNotEmpty().allSatisfy(m -> assertThat(m.readRequestId()).isNotZero());
        }

        @Test
        @DisplayName("thesis 6.4.1: lease reads need CheckQuorum; without it every read takes a round")
        void noLeaseWithoutCheckQuorum() {
            TestCluster c = TestCluster.builder(3).config(cfg -> cfg.withFeatures(false, true, false)).build();
            c.elect(1);
            c.propose(1, "x");
            c.stabilize();
            c.tickAndStabilize(H);
            c.node(1).readIndex(9, ReadMode.LEASE);
            c.processReadies();
            assertThat(c.peer(1).readStates).isEmpty();
            c.stabilize();
            assertThat(c.peer(1).readStates).hasSize(1);
        }
    }

    @Nested
    @DisplayName("bounded read queues")
    class Bounds {
        private static final int MAX = ReadIndexHandler.MAX_PENDING_READS;

        private static void assertQueueFull(ProposeResult r) {
            assertThat(r).isInstanceOfSatisfying(ProposeResult.Dropped.class, d -> {
                assertThat(d.reason()).isEqualTo(DropReason.READ_QUEUE_FULL);
                assertThat(d.leaderHint()).as("the leader itself").isEqualTo(1);
            });
        }

        @Test
        @DisplayName("a read beyond the leader's full read queue is dropped with READ_QUEUE_FULL, not left to time out")
        void fullReadQueueDropsRead() {
            TestCluster c = leaderWithCommittedNoOp();
            // No Ready is processed in between, so no heartbeat round confirms any of these.
            for (long id = 1; id <= MAX; id++) {
                assertThat(c.node(1).readIndex(id, ReadMode.SAFE).isAccepted()).isTrue();
            }
            assertQueueFull(c.node(1).readIndex(MAX + 1, ReadMode.SAFE));
            assertThat(c.node(1).readIndex(1, ReadMode.SAFE).isAccepted())
                    .as("a retry of a queued read is no new read").isTrue();

            c.stabilize();
            assertThat(c.peer(1).readStates).hasSize(MAX);
            assertThat(c.node(1).readIndex(MAX + 1, ReadMode.SAFE).isAccepted()).as("the queue drained").isTrue();
        }

        @Test
        @DisplayName("a read beyond the bound of reads parked before the leader's first commit is dropped with READ_QUEUE_FULL")
        void fullParkedReadsDropRead() {
            TestCluster c = TestCluster.builder(3).log(1, 1, 1).log(2, 1, 1).log(3, 1, 1).build();
            c.drop(m -> m.type() == MessageType.APPEND_RESPONSE);
            c.elect(1);
            assertThat(c.raft(1).log.committed()).as("the no-op is not committed yet").isLessThan(3);
            for (long id = 1; id <= MAX; id++) {
                assertThat(c.node(1).readIndex(id, ReadMode.SAFE).isAccepted()).isTrue();
            }
            assertQueueFull(c.node(1).readIndex(MAX + 1, ReadMode.SAFE));

            c.clearDropFilters();
            c.tickUntil(() -> c.peer(1).readStates.size() == MAX, 3 * E, "every parked read is answered");
        }
    }
}
