package io.shardkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.core.tracker.Progress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Raft paper sections 5.3 (log replication) and 5.4.2 (committing entries from previous terms). */
class RaftReplicationTest {

    private static final int E = TestCluster.ELECTION_TICKS;

    private static List<Long> termsOf(TestCluster c, long id) {
        Raft r = c.raft(id);
        return r.log.slice(r.log.firstIndex(), r.log.lastIndex() + 1, Long.MAX_VALUE).stream().map(Entry::term).toList();
    }

    private static Progress progress(TestCluster c, long leader, long follower) {
        return c.raft(leader).leaderStateOrThrow().progress.get(follower);
    }

    // ------------------------------------------------------------------ 5.3

    @Test
    @DisplayName("§5.3: the leader commits an entry once a majority stored it, and followers then apply it")
    void commitAfterMajorityReplication() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.stabilize();
        long before = c.raft(1).log.committed();

        ProposeResult.Accepted accepted = (ProposeResult.Accepted) c.propose(1, "x");
        c.processReadies();
        assertThat(c.inFlight()).extracting(Message::type).containsOnly(MessageType.APPEND);
        assertThat(c.raft(1).log.committed()).as("only the leader has it").isEqualTo(before);

        c.deliverOnly(m -> m.to() == 2);
        assertThat(c.raft(1).log.committed()).as("follower 2 stored it, ack not delivered yet").isEqualTo(before);
        c.deliverOnly(m -> m.type() == MessageType.APPEND_RESPONSE && m.from() == 2);
        assertThat(c.raft(1).log.committed()).as("leader + follower 2 are a majority").isEqualTo(accepted.index());
        assertThat(c.data(1)).containsExactly("x");
        assertThat(c.data(2)).as("follower learns the commit with the next message").isEmpty();

        c.stabilize();
        assertThat(c.data(2)).containsExactly("x");
        assertThat(c.data(3)).containsExactly("x");
    }

    @Test
    @DisplayName("§5.3: the proposals a leader handles before its next Ready go to each follower in one append")
    void proposalsHandledTogetherGoInOneAppend() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.stabilize();
        c.clearSent();

        for (int i = 0; i < 5; i++) {
            assertThat(c.propose(1, "p" + i).isAccepted()).isTrue();
        }
        assertThat(c.node(1).hasReady()).isTrue();
        c.processReadies();
        assertThat(c.inFlight()).as("one append per follower").hasSize(2).allSatisfy(m -> {
            assertThat(m.type()).isEqualTo(MessageType.APPEND);
            assertThat(m.entries()).extracting(e -> new String(e.data(), StandardCharsets.UTF_8))
                    .containsExactly("p0", "p1", "p2", "p3", "p4");
        });
        c.stabilize();
        assertThat(c.data(2)).containsExactly("p0", "p1", "p2", "p3", "p4");
        assertThat(c.data(3)).containsExactly("p0", "p1", "p2", "p3", "p4");
    }

    @Test
    @DisplayName("§5.3: proposals handled together still go in appends of at most maxSizePerMsgBytes, as the window admits")
    void proposalsHandledTogetherRespectTheMessageSize() {
        // Messages of one entry each (the size limit), a window of three messages.
        TestCluster c = TestCluster.builder(3).config(cfg -> cfg.withLimits(1, 3, 64L << 20, 256L << 20)).build();
        c.elect(1);
        c.stabilize();
        c.clearSent();

        for (int i = 0; i < 5; i++) {
            c.propose(1, "p" + i);
        }
        c.processReadies();
        for (long follower = 2; follower <= 3; follower++) {
            long to = follower;
            assertThat(c.inFlight().stream().filter(m -> m.to() == to).toList()).as("to %d", to)
                    .hasSize(3).allSatisfy(m -> assertThat(m.entries()).hasSize(1));
        }
        c.stabilize();
        assertThat(c.data(2)).containsExactly("p0", "p1", "p2", "p3", "p4");
    }

    @Test
    @DisplayName("§5.3: without a majority nothing commits; once a follower returns, the leader retries and commits")
    void noCommitWithoutMajority() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        c.isolate(2);
        c.isolate(3);
        ProposeResult.Accepted accepted = (ProposeResult.Accepted) c.propose(1, "x");
        c.tickAndStabilize(E / 2);
        assertThat(c.raft(1).log.committed()).isLessThan(accepted.index());
        assertThat(c.data(1)).isEmpty();

        c.rejoin(2);
        c.tickUntil(() -> c.raft(1).log.committed() >= accepted.index(), E, "commit after follower 2 is back");
        c.stabilize();
        assertThat(c.data(2)).containsExactly("x");
        assertThat(c.data(3)).as("still cut off").isEmpty();
    }

    @Test
    @DisplayName("§5.3: a follower drops its conflicting uncommitted entries and takes the leader's")
    void followerTruncatesConflictingEntries() {
        // Node 3 holds entries of term 2 that an old leader never committed.
        TestCluster c = TestCluster.builder(3)
                .log(1, 1, 1, 3).log(2, 1, 1, 3).log(3, 1, 1, 2, 2, 2)
                .hardState(1, 3, 0, 2).hardState(2, 3, 0, 2).hardState(3, 3, 0, 2).build();
        c.elect(1);
        c.stabilize();

        assertThat(termsOf(c, 3)).containsExactly(1L, 1L, 3L, 4L);
        assertThat(termsOf(c, 3)).isEqualTo(termsOf(c, 1));
        assertThat(c.peer(3).storage.lastIndex()).as("the stale suffix is gone from storage too").isEqualTo(4);
        assertThat(c.peer(3).storage.term(3)).isEqualTo(3);
        assertThat(c.data(3)).containsExactly("e1t1", "e2t1", "e3t3");
    }

    @Test
    @DisplayName("§5.3: with the conflict hint the leader skips a whole conflicting term in one round trip")
    void fastBacktrackingSkipsATerm() {
        // Leader 1 and node 3: 1 1 3 3 3 3 3. Node 2: 1 1 then ten entries of term 2.
        TestCluster c = TestCluster.builder(3)
                .log(1, 1, 1, 3, 3, 3, 3, 3).log(3, 1, 1, 3, 3, 3, 3, 3)
                .log(2, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2)
                .hardState(1, 3, 0, 2).hardState(2, 3, 0, 2).hardState(3, 3, 0, 2).build();
        c.clearSent();
        c.elect(1);
        c.stabilize();

        List<Message> appendsTo2 = c.sent(m -> m.type() == MessageType.APPEND && m.to() == 2 && !m.entries().isEmpty());
        List<Message> rejectionsFrom2 = c.sent(m -> m.type() == MessageType.APPEND_RESPONSE && m.from() == 2 && m.reject());
        assertThat(rejectionsFrom2).as("one rejection").hasSize(1);
        Message rejection = rejectionsFrom2.get(0);
        assertThat(rejection.index()).as("the probe at the leader's old last index").isEqualTo(7);
        assertThat(rejection.rejectHint()).isEqualTo(7);
        assertThat(rejection.logTerm()).as("the follower's term there").isEqualTo(2);
        assertThat(appendsTo2).as("the probe, then the repair").hasSize(2);
        assertThat(appendsTo2.get(1).index()).as("the second append starts right after the term-1 prefix").isEqualTo(2);
        assertThat(appendsTo2.get(1).logTerm()).isEqualTo(1);
        assertThat(termsOf(c, 2)).isEqualTo(termsOf(c, 1));
        assertThat(c.raft(1).log.committed()).isEqualTo(8);
    }

    @Test
    @DisplayName("§5.3: a follower with a short log answers with its last index, and the leader jumps there")
    void fastBacktrackingToAShortLog() {
        TestCluster c = TestCluster.builder(3)
                .log(1, 1, 1, 1, 1, 1, 1, 1, 1).log(3, 1, 1, 1, 1, 1, 1, 1, 1).log(2, 1, 1)
                .hardState(1, 1, 0, 2).hardState(2, 1, 0, 2).hardState(3, 1, 0, 2).build();
        c.clearSent();
        c.elect(1);
        c.stabilize();
        List<Message> rejections = c.sent(m -> m.type() == MessageType.APPEND_RESPONSE && m.from() == 2 && m.reject());
        assertThat(rejections).singleElement().satisfies(m -> assertThat(m.rejectHint()).isEqualTo(2));
        List<Message> appendsTo2 = c.sent(m -> m.type() == MessageType.APPEND && m.to() == 2 && !m.entries().isEmpty());
        assertThat(appendsTo2).hasSize(2);
        assertThat(appendsTo2.get(1).index()).isEqualTo(2);
        assertThat(c.raft(2).log.lastIndex()).isEqualTo(9);
    }

    @Test
    @DisplayName("§5.3: logs agree after leader changes and partitions (Log Matching, State Machine Safety)")
    void logsConvergeAfterLeaderChanges() {
        TestCluster c = TestCluster.of(5);
        c.elect(1);
        c.isolate(4);
        c.isolate(5);
        c.propose(1, "a");
        c.propose(1, "b");
        c.stabilize();
        c.heal();
        c.isolate(1);
        // Entries only the old leader has: lost, never committed.
        c.propose(1, "lost");
        c.stabilize();
        c.elect(2);
        c.propose(2, "c");
        c.stabilize();
        c.heal();
        c.tickAndStabilize(2 * E);
        c.propose(c.leaderId(), "d");
        c.stabilize();

        for (long id = 1; id <= 5; id++) {
            assertThat(termsOf(c, id)).as("log of %d", id).isEqualTo(termsOf(c, 2));
            assertThat(c.data(id)).as("state machine of %d", id).containsExactly("a", "b", "c", "d");
        }
    }

    // ------------------------------------------------------------------ 5.4.2

    /**
     * The Figure 8 setup at (c): S1 leads term 4 with entry 2 (term 2) on S1, S2 and S3, a
     * majority; S5 holds entry 2 from term 3. S4 and S5 are cut off. Every append that would
     * give S3 the term-4 entry is lost.
     */
    private static TestCluster figure8() {
        TestCluster c = TestCluster.builder(5)
                .log(1, 1, 2).log(2, 1, 2).log(3, 1).log(4, 1).log(5, 1, 3)
                .hardState(1, 3, 0, 1).hardState(2, 3, 0, 1).hardState(3, 3, 0, 1).hardState(4, 3, 0, 1)
                // S5 saw (and refused) S1's term-4 vote request before the partition.
                .hardState(5, 4, 0, 1)
                // One entry per append, so entry 2 can reach S3 without the term-4 entry.
                .config(cfg -> cfg.withLimits(1, 256, 64L << 20, 256L << 20))
                .build();
        c.isolate(4);
        c.isolate(5);
        c.drop(m -> m.type() == MessageType.APPEND && m.to() == 3
                && m.entries().stream().anyMatch(e -> e.index() == 3) && c.raft(3).log.lastIndex() >= 2);
        c.elect(1);
        c.tickAndStabilize(2 * TestCluster.HEARTBEAT_TICKS);
        return c;
    }

    @Test
    @DisplayName("§5.4.2 (Figure 8c-d): an old-term entry on a majority is not committed, and may be overwritten")
    void oldTermEntryIsNotCommittedByCountingReplicas() {
        TestCluster c = figure8();
        assertThat(c.raft(1).term()).isEqualTo(4);
        for (long id : List.of(1L, 2L, 3L)) {
            assertThat(c.peer(id).storage.term(2)).as("entry 2 of term 2 on S%d", id).isEqualTo(2);
        }
        assertThat(progress(c, 1, 3).match()).isEqualTo(2);
        assertThat(progress(c, 1, 2).match()).isEqualTo(3);
        assertThat(c.raft(1).log.committed()).as("replicated on a majority but of an older term").isEqualTo(1);
        assertThat(c.data(1)).containsExactly("e1t1");

        // (d) S1 crashes; S5 wins with S3's and S4's votes and overwrites entry 2 everywhere.
        c.crash(1);
        c.heal();
        c.elect(5);
        c.stabilize();
        assertThat(c.raft(5).term()).isEqualTo(5);
        for (long id : List.of(2L, 3L, 4L)) {
            assertThat(c.raft(id).log.termOrZero(2)).as("S%d's entry 2", id).isEqualTo(3);
            assertThat(c.data(id)).containsExactly("e1t1", "e2t3");
        }
    }

    @Test
    @DisplayName("§5.4.2 (Figure 8e): a current-term entry on a majority commits the older entries before it")
    void oldTermEntryCommitsIndirectly() {
        TestCluster c = figure8();
        assertThat(c.raft(1).log.committed()).isEqualTo(1);

        c.clearDropFilters();
        c.tickAndStabilize(2 * TestCluster.HEARTBEAT_TICKS);
        assertThat(progress(c, 1, 3).match()).isEqualTo(3);
        assertThat(c.raft(1).log.committed()).isEqualTo(3);
        assertThat(c.data(1)).containsExactly("e1t1", "e2t2");

        // S5 can no longer win: S2 and S3 hold a newer last term than S5.
        c.crash(1);
        c.heal();
        c.campaign(5);
        c.stabilize();
        assertThat(c.raft(5).role()).isNotEqualTo(Role.LEADER);
        c.elect(3);
        c.stabilize();
        for (long id = 2; id <= 5; id++) {
            assertThat(c.data(id)).as("S%d", id).startsWith("e1t1", "e2t2");
        }
    }

    @Test
    @DisplayName("§5.4.2: a new leader commits its predecessors' entries through its own no-op")
    void newLeaderCommitsThroughNoOp() {
        TestCluster c = TestCluster.builder(3).log(1, 1, 1).log(2, 1, 1).log(3, 1, 1)
                .hardState(1, 1, 0, 0).hardState(2, 1, 0, 0).hardState(3, 1, 0, 0).build();
        c.elect(2);
        List<Entry> ents = c.peer(2).readies.stream().flatMap(rd -> rd.entries().stream()).toList();
        assertThat(ents).singleElement().satisfies(e -> {
            assertThat(e.type()).isEqualTo(EntryType.NO_OP);
            assertThat(e.term()).isEqualTo(2);
            assertThat(e.index()).isEqualTo(3);
        });
        c.stabilize();
        for (long id = 1; id <= 3; id++) {
            assertThat(c.data(id)).containsExactly("e1t1", "e2t1");
            assertThat(c.raft(id).log.committed()).isEqualTo(3);
        }
    }

    @Test
    @DisplayName("§5.3: proposals are appended in order and reach every state machine once")
    void proposalsAppliedOnceInOrder() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        for (int i = 0; i < 20; i++) {
            c.propose(1, "p" + i);
            if (i % 3 == 0) {
                c.stabilize();
            }
        }
        c.stabilize();
        List<String> expected = java.util.stream.IntStream.range(0, 20).mapToObj(i -> "p" + i).toList();
        for (long id = 1; id <= 3; id++) {
            assertThat(c.data(id)).isEqualTo(expected);
        }
        Predicate<Entry> normal = e -> e.type() == EntryType.NORMAL;
        assertThat(c.peer(2).applied.stream().filter(normal).map(e -> new String(e.data(), StandardCharsets.UTF_8)))
                .isEqualTo(expected);
    }
}
