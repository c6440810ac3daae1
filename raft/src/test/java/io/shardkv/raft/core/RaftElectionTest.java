package io.shardkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Raft paper sections 5.1 (terms), 5.2 (leader election) and 5.4.1 (election restriction). */
class RaftElectionTest {

    private static final int E = TestCluster.ELECTION_TICKS;

    private static Message append(long from, long to, long term, long prevIndex, long prevTerm, List<Entry> entries,
                                  long commit) {
        return Message.builder(MessageType.APPEND).from(from).to(to).term(term).index(prevIndex).logTerm(prevTerm)
                .entries(entries).commit(commit).build();
    }

    private static Message vote(long from, long to, long term, long lastIndex, long lastTerm) {
        return Message.builder(MessageType.VOTE).from(from).to(to).term(term).index(lastIndex).logTerm(lastTerm).build();
    }

    // ------------------------------------------------------------------ 5.1

    @Test
    @DisplayName("§5.1: a request with a stale term is rejected and the reply carries the newer term")
    void staleTermIsRejected() {
        TestCluster c = TestCluster.builder(3).hardState(1, 5, 0, 0).build();
        c.node(1).step(append(2, 1, 3, 0, 0, List.of(Entry.normal(3, 1, new byte[] {1})), 0));
        c.processReadies();

        assertThat(c.raft(1).term()).isEqualTo(5);
        assertThat(c.raft(1).leaderId()).isEqualTo(RawNode.NONE);
        assertThat(c.raft(1).log.lastIndex()).as("stale entries are not appended").isZero();
        assertThat(c.sent()).singleElement().satisfies(m -> {
            assertThat(m.type()).isEqualTo(MessageType.APPEND_RESPONSE);
            assertThat(m.to()).isEqualTo(2);
            assertThat(m.term()).as("tells the stale leader the current term").isEqualTo(5);
        });

        c.clearSent();
        c.node(1).step(vote(3, 1, 4, 10, 4));
        c.processReadies();
        // §5.1: the stale candidate is rejected and learns the current term, so a candidate that
        // keeps campaigning in old terms cannot block the group (found by the simulation).
        assertThat(c.sent()).singleElement().satisfies(m -> {
            assertThat(m.type()).isEqualTo(MessageType.VOTE_RESPONSE);
            assertThat(m.reject()).isTrue();
            assertThat(m.term()).isEqualTo(5);
        });
        assertThat(c.raft(1).vote()).isEqualTo(RawNode.NONE);
    }

    @Test
    @DisplayName("§5.1: without CheckQuorum or PreVote a stale leader still learns the current term")
    void staleTermIgnoredWithoutCheckQuorum() {
        TestCluster c = TestCluster.builder(3).hardState(1, 5, 0, 0)
                .config(cfg -> cfg.withFeatures(false, false, false)).build();
        c.node(1).step(append(2, 1, 3, 0, 0, List.of(), 0));
        c.processReadies();
        // A replica that cannot campaign must still tell a stale leader about the newer term, or
        // the group stalls (found by the simulation with both features off).
        assertThat(c.sent()).singleElement().satisfies(m -> {
            assertThat(m.type()).isEqualTo(MessageType.APPEND_RESPONSE);
            assertThat(m.term()).isEqualTo(5);
        });
        assertThat(c.raft(1).term()).isEqualTo(5);
        assertThat(c.raft(1).log.lastIndex()).isZero();
    }

    @Test
    @DisplayName("§5.1: a leader that sees a higher term becomes a follower in that term")
    void leaderStepsDownOnHigherTerm() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        long term = c.raft(1).term();

        c.node(1).step(Message.builder(MessageType.APPEND_RESPONSE).from(2).to(1).term(term + 3).build());

        assertThat(c.raft(1).role()).isEqualTo(Role.FOLLOWER);
        assertThat(c.raft(1).term()).isEqualTo(term + 3);
        assertThat(c.raft(1).vote()).isEqualTo(RawNode.NONE);
        assertThat(c.raft(1).leaderId()).as("a response names no leader").isEqualTo(RawNode.NONE);
    }

    @Test
    @DisplayName("§5.1: a follower or candidate that gets a heartbeat of a higher term follows its sender")
    void higherTermHeartbeatMakesFollowerOfSender() {
        TestCluster c = TestCluster.of(3);
        c.isolate(1);
        c.campaign(1);
        c.processReadies();
        assertThat(c.raft(1).role()).isEqualTo(Role.CANDIDATE);
        assertThat(c.raft(1).term()).isEqualTo(1);

        c.node(1).step(Message.builder(MessageType.HEARTBEAT).from(3).to(1).term(7).build());

        assertThat(c.raft(1).role()).isEqualTo(Role.FOLLOWER);
        assertThat(c.raft(1).term()).isEqualTo(7);
        assertThat(c.raft(1).leaderId()).isEqualTo(3);
    }

    // ------------------------------------------------------------------ 5.2

    @Test
    @DisplayName("§5.2: a follower that hears nothing for an election timeout becomes a candidate")
    void followerBecomesCandidateAfterTimeout() {
        TestCluster c = TestCluster.builder(3).config(cfg -> cfg.withFeatures(true, false, false)).build();
        c.isolate(1);
        int ticks = 0;
        while (c.raft(1).role() == Role.FOLLOWER && ticks < 2 * E + 1) {
            c.tick(1);
            ticks++;
        }
        c.processReadies();

        assertThat(c.raft(1).role()).isEqualTo(Role.CANDIDATE);
        assertThat(ticks).isBetween(E, 2 * E - 1);
        assertThat(c.raft(1).term()).isEqualTo(1);
        assertThat(c.raft(1).vote()).as("votes for itself").isEqualTo(1);
        assertThat(c.peer(1).storage.hardState()).isEqualTo(new HardState(1, 1, 0));
        assertThat(c.sent()).hasSize(2).allSatisfy(m -> {
            assertThat(m.type()).isEqualTo(MessageType.VOTE);
            assertThat(m.term()).isEqualTo(1);
        }).extracting(Message::to).containsExactlyInAnyOrder(2L, 3L);
    }

    @Test
    @DisplayName("§5.2 with PreVote (thesis 9.6): the timeout starts a trial round that leaves the term alone")
    void followerBecomesPreCandidateAfterTimeout() {
        TestCluster c = TestCluster.of(3);
        c.isolate(1);
        for (int i = 0; i < 2 * E && c.raft(1).role() == Role.FOLLOWER; i++) {
            c.tick(1);
        }
        c.processReadies();

        assertThat(c.raft(1).role()).isEqualTo(Role.PRE_CANDIDATE);
        assertThat(c.raft(1).term()).isZero();
        assertThat(c.raft(1).vote()).isEqualTo(RawNode.NONE);
        assertThat(c.sent()).hasSize(2).allSatisfy(m -> {
            assertThat(m.type()).isEqualTo(MessageType.PRE_VOTE);
            assertThat(m.term()).as("the term it would campaign in").isEqualTo(1);
        });
    }

    @Test
    @DisplayName("§5.2: election timeouts are randomized in [electionTicks, 2 * electionTicks)")
    void electionTimeoutIsRandomized() {
        Set<Integer> seen = new HashSet<>();
        for (long seed = 1; seed <= 60; seed++) {
            TestCluster c = TestCluster.builder(3).seed(seed).build();
            int ticks = 0;
            while (c.raft(1).role() == Role.FOLLOWER) {
                c.tick(1);
                ticks++;
                assertThat(ticks).as("seed %d", seed).isLessThan(2 * E);
            }
            assertThat(ticks).as("seed %d", seed).isGreaterThanOrEqualTo(E);
            seen.add(ticks);
        }
        assertThat(seen).as("timeouts differ between seeds").hasSizeGreaterThan(E / 2);
    }

    @Test
    @DisplayName("§5.2: a candidate wins once a majority granted its vote, not before")
    void leaderNeedsAMajorityOfVotes() {
        TestCluster c = TestCluster.of(5);
        c.campaign(1);
        c.processReadies();
        c.deliverOnly(m -> m.to() == 2);
        c.deliverOnly(m -> m.type() == MessageType.VOTE_RESPONSE);
        assertThat(c.raft(1).role()).as("2 of 5 votes").isEqualTo(Role.CANDIDATE);

        c.deliverOnly(m -> m.to() == 3);
        c.deliverOnly(m -> m.type() == MessageType.VOTE_RESPONSE);
        assertThat(c.raft(1).role()).as("3 of 5 votes").isEqualTo(Role.LEADER);
        assertThat(c.raft(1).term()).isEqualTo(1);
    }

    @Test
    @DisplayName("§5.2: a candidate that a majority rejects returns to follower")
    void candidateLosesOnMajorityRejection() {
        TestCluster c = TestCluster.of(3);
        c.elect(2);
        // Node 1 campaigns in a term where 2 and 3 have already voted for 2.
        c.raft(1).becomeFollower(c.raft(1).term(), RawNode.NONE);
        c.node(1).step(Message.builder(MessageType.TIMEOUT_NOW).from(3).to(1).term(c.raft(1).term()).build());
        assertThat(c.raft(1).role()).isEqualTo(Role.CANDIDATE);
        long campaignTerm = c.raft(1).term();
        // Rejections in the candidate's own term (as from voters that already voted this term).
        c.node(1).step(Message.builder(MessageType.VOTE_RESPONSE).from(2).to(1).term(campaignTerm).reject(true).build());
        assertThat(c.raft(1).role()).isEqualTo(Role.CANDIDATE);
        c.node(1).step(Message.builder(MessageType.VOTE_RESPONSE).from(3).to(1).term(campaignTerm).reject(true).build());
        assertThat(c.raft(1).role()).isEqualTo(Role.FOLLOWER);
        assertThat(c.raft(1).term()).isEqualTo(campaignTerm);
    }

    @Test
    @DisplayName("§5.2: a minority cannot elect a leader")
    void minorityElectsNobody() {
        TestCluster c = TestCluster.of(5);
        c.isolate(3);
        c.isolate(4);
        c.isolate(5);
        c.tickAndStabilize(10 * E);
        assertThat(c.leaderId()).isEqualTo(RawNode.NONE);
        for (long id = 1; id <= 2; id++) {
            assertThat(c.raft(id).term()).as("PreVote keeps the minority's terms").isZero();
        }
    }

    @Test
    @DisplayName("§5.2: a majority elects a leader by timeouts alone")
    void majorityElectsALeader() {
        TestCluster c = TestCluster.of(5);
        c.isolate(4);
        c.isolate(5);
        c.tickUntil(() -> c.leaderId() != RawNode.NONE, 5 * E, "a leader is elected");
        long leader = c.leaderId();
        assertThat(leader).isIn(1L, 2L, 3L);
        long term = c.raft(leader).term();
        for (long id = 1; id <= 3; id++) {
            assertThat(c.raft(id).term()).isEqualTo(term);
            assertThat(c.raft(id).leaderId()).isEqualTo(leader);
        }
    }

    @Test
    @DisplayName("§5.2: after a split vote the candidates time out and retry in a new term")
    void splitVoteRetries() {
        TestCluster c = TestCluster.builder(4).config(cfg -> cfg.withFeatures(true, false, false)).build();
        // 3 hears only 1's request and 4 only 2's: two votes each, no majority of 3.
        c.drop(m -> m.type() == MessageType.VOTE && ((m.from() == 1 && m.to() == 4) || (m.from() == 2 && m.to() == 3)));
        c.campaign(1);
        c.campaign(2);
        c.stabilize();
        assertThat(c.leaderId()).isEqualTo(RawNode.NONE);
        assertThat(c.raft(1).role()).isEqualTo(Role.CANDIDATE);
        assertThat(c.raft(2).role()).isEqualTo(Role.CANDIDATE);
        assertThat(c.raft(1).term()).isEqualTo(1);
        assertThat(c.raft(2).term()).isEqualTo(1);

        c.clearDropFilters();
        c.tickUntil(() -> c.leaderId() != RawNode.NONE, 5 * E, "a leader after the split vote");
        assertThat(c.raft(c.leaderId()).term()).isGreaterThanOrEqualTo(2);
    }

    @Test
    @DisplayName("§5.2: a candidate that gets an append from a leader of its term steps down")
    void candidateStepsDownOnAppendOfSameTerm() {
        TestCluster c = TestCluster.of(3);
        c.isolate(1);
        c.campaign(1);
        c.processReadies();
        long term = c.raft(1).term();

        c.node(1).step(append(2, 1, term, 0, 0, List.of(Entry.noOp(term, 1)), 0));
        c.processReadies();

        assertThat(c.raft(1).role()).isEqualTo(Role.FOLLOWER);
        assertThat(c.raft(1).term()).isEqualTo(term);
        assertThat(c.raft(1).leaderId()).isEqualTo(2);
        assertThat(c.raft(1).log.lastIndex()).isEqualTo(1);
    }

    @Test
    @DisplayName("§5.2: a pre-candidate that hears from the leader of its term goes back to following it")
    void preCandidateStepsDownOnHeartbeat() {
        TestCluster c = TestCluster.of(3);
        for (int i = 0; i < 2 * E && c.raft(1).role() == Role.FOLLOWER; i++) {
            c.tick(1);
        }
        assertThat(c.raft(1).role()).isEqualTo(Role.PRE_CANDIDATE);

        c.node(1).step(Message.builder(MessageType.HEARTBEAT).from(3).to(1).term(0).build());

        assertThat(c.raft(1).role()).isEqualTo(Role.FOLLOWER);
        assertThat(c.raft(1).leaderId()).isEqualTo(3);
    }

    @Test
    @DisplayName("§5.2: a voter grants at most one vote per term (first come, first served)")
    void oneVotePerTerm() {
        TestCluster c = TestCluster.builder(3).config(cfg -> cfg.withFeatures(false, false, false)).build();
        c.node(1).step(vote(2, 1, 1, 0, 0));
        c.node(1).step(vote(3, 1, 1, 0, 0));
        c.node(1).step(vote(2, 1, 1, 0, 0));
        c.processReadies();
        assertThat(c.sent()).extracting(m -> m.to() + ":" + m.reject())
                .containsExactly("2:false", "3:true", "2:false");
        assertThat(c.peer(1).storage.hardState().vote()).isEqualTo(2);
    }

    // ------------------------------------------------------------------ 5.4.1

    @Test
    @DisplayName("§5.4.1: a vote is denied to a candidate whose log is less up to date")
    void voteDeniedToStaleLog() {
        // Node 1's log: 1@1 2@1 3@2. Each request comes in a fresh term so only the log decides.
        TestCluster c = TestCluster.builder(3).log(1, 1, 1, 2).hardState(1, 2, 0, 0)
                .config(cfg -> cfg.withFeatures(false, false, false)).build();
        long[][] candidates = {
            // lastIndex, lastTerm, granted?
            {5, 1, 0},  // longer, but an older last term
            {2, 2, 0},  // same last term, shorter
            {3, 2, 1},  // same last term, same length
            {4, 2, 1},  // same last term, longer
            {1, 3, 1},  // newer last term, shorter
        };
        long term = 3;
        for (long[] cand : candidates) {
            c.clearSent();
            c.node(1).step(vote(2, 1, term, cand[0], cand[1]));
            c.processReadies();
            assertThat(c.sent()).singleElement().satisfies(m -> {
                assertThat(m.type()).isEqualTo(MessageType.VOTE_RESPONSE);
                assertThat(m.reject()).as("candidate with last entry %d@%d", cand[0], cand[1]).isEqualTo(cand[2] == 0);
            });
            term++;
        }
    }

    @Test
    @DisplayName("§5.4.1: a node missing committed entries cannot win, one that holds them can")
    void staleNodeCannotBecomeLeader() {
        TestCluster c = TestCluster.builder(3).log(1, 1).log(2, 1, 1).log(3, 1, 1)
                .hardState(1, 1, 0, 1).hardState(2, 1, 0, 2).hardState(3, 1, 0, 2).build();
        c.campaign(1);
        c.stabilize();
        assertThat(c.raft(1).role()).isEqualTo(Role.FOLLOWER);
        assertThat(c.leaderId()).isEqualTo(RawNode.NONE);

        c.elect(2);
        c.stabilize();
        assertThat(c.raft(1).log.lastIndex()).as("the stale node catches up").isEqualTo(c.raft(2).log.lastIndex());
    }
}
