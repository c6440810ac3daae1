package io.shardkv.raft.core;

import static io.shardkv.raft.core.confchange.ConfChangeSingle.addLearner;
import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.core.confchange.ConfChange;
import io.shardkv.raft.core.tracker.Progress;
import io.shardkv.raft.core.tracker.ProgressState;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Raft paper section 7 (log compaction) and the snapshot flow of the core. */
class RaftSnapshotTest {

    private static final int E = TestCluster.ELECTION_TICKS;
    private static final List<String> DATA = List.of("a", "b", "c", "d", "e");

    /** Leader 1 with a compacted log; node 3 was cut off and needs entries that are gone. */
    private static TestCluster laggingFollowerBehindCompaction(TestCluster c) {
        c.elect(1);
        c.isolate(3);
        for (String s : DATA) {
            c.propose(1, s);
        }
        c.stabilize();
        c.snapshotAndCompact(1);
        assertThat(c.raft(1).log.firstIndex()).isGreaterThan(c.raft(3).log.lastIndex() + 1);
        return c;
    }

    private static Progress progress(TestCluster c, long follower) {
        return c.raft(1).leaderStateOrThrow().progress.get(follower);
    }

    private static List<Ready> snapshotReadies(TestCluster c, long id) {
        return c.peer(id).readies.stream().filter(rd -> rd.snapshot() != null).toList();
    }

    @Test
    @DisplayName("§7: a follower that needs compacted entries gets a snapshot, then the rest of the log")
    void followerBehindCompactionGetsSnapshot() {
        TestCluster c = laggingFollowerBehindCompaction(TestCluster.of(3));
        long snapIndex = c.peer(1).storage.latestSnapshot().index();
        c.rejoin(3);
        c.clearSent();
        c.tickUntil(() -> c.data(3).equals(DATA), 3 * E, "node 3 catches up");
        c.propose(1, "f");
        c.stabilize();

        assertThat(c.sent(m -> m.type() == MessageType.SNAPSHOT)).singleElement().satisfies(m -> {
            assertThat(m.to()).isEqualTo(3);
            assertThat(m.snapshot().index()).isEqualTo(snapIndex);
        });
        assertThat(snapshotReadies(c, 3)).singleElement().satisfies(rd -> {
            assertThat(rd.snapshot().index()).isEqualTo(snapIndex);
            assertThat(rd.hardState().commit()).isEqualTo(snapIndex);
            assertThat(rd.committedEntries()).as("nothing to apply before the snapshot is installed").isEmpty();
        });
        assertThat(c.peer(3).storage.firstIndex()).isEqualTo(snapIndex + 1);
        assertThat(c.node(3).confState().voters()).containsExactlyInAnyOrder(1L, 2L, 3L);
        assertThat(c.data(3)).containsExactly("a", "b", "c", "d", "e", "f");
        assertThat(progress(c, 3).state()).isEqualTo(ProgressState.REPLICATE);
        assertThat(progress(c, 3).match()).isEqualTo(c.raft(1).log.lastIndex());
    }

    @Test
    @DisplayName("§7: while storage answers \"temporarily unavailable\" the leader keeps asking, and sends once it can")
    void temporarilyUnavailableIsRetried() {
        TestCluster c = laggingFollowerBehindCompaction(TestCluster.of(3));
        c.peer(1).storage.setSnapshotUnavailable(true);
        c.rejoin(3);
        c.clearSent();
        c.tickAndStabilize(3 * E);
        assertThat(c.sent(m -> m.type() == MessageType.SNAPSHOT)).isEmpty();
        assertThat(progress(c, 3).state()).isEqualTo(ProgressState.PROBE);
        assertThat(c.data(3)).isEmpty();

        c.peer(1).storage.setSnapshotUnavailable(false);
        c.tickUntil(() -> c.data(3).equals(DATA), 2 * E, "node 3 catches up once the snapshot is ready");
        assertThat(c.sent(m -> m.type() == MessageType.SNAPSHOT)).hasSize(1);
    }

    @Test
    @DisplayName("§7: a failed snapshot send returns the follower to probing, and the leader tries again")
    void reportSnapshotFailureReturnsToProbe() {
        TestCluster c = laggingFollowerBehindCompaction(TestCluster.of(3));
        long snapIndex = c.peer(1).storage.latestSnapshot().index();
        c.drop(m -> m.type() == MessageType.SNAPSHOT);
        c.rejoin(3);
        c.tickUntil(() -> progress(c, 3).state() == ProgressState.SNAPSHOT, 2 * E, "snapshot state");
        assertThat(progress(c, 3).pendingSnapshot()).isEqualTo(snapIndex);
        assertThat(progress(c, 3).isPaused()).isTrue();
        c.tickAndStabilize(E);
        assertThat(progress(c, 3).state()).as("waits for news of the snapshot").isEqualTo(ProgressState.SNAPSHOT);

        c.node(1).reportSnapshot(3, false);
        assertThat(progress(c, 3).state()).isEqualTo(ProgressState.PROBE);
        assertThat(progress(c, 3).next()).isEqualTo(progress(c, 3).match() + 1);

        c.clearDropFilters();
        c.clearSent();
        c.tickUntil(() -> c.data(3).equals(DATA), 2 * E, "node 3 catches up after the retry");
        assertThat(c.sent(m -> m.type() == MessageType.SNAPSHOT)).hasSize(1);
    }

    @Test
    @DisplayName("§7: a successful snapshot report lets the leader probe right after the snapshot")
    void reportSnapshotSuccessProbesAfterSnapshot() {
        TestCluster c = laggingFollowerBehindCompaction(TestCluster.of(3));
        long snapIndex = c.peer(1).storage.latestSnapshot().index();
        c.rejoin(3);
        // Lose the follower's acknowledgement of the snapshot so that only the report tells the leader.
        c.drop(m -> m.type() == MessageType.APPEND_RESPONSE && m.from() == 3 && !m.reject() && m.index() >= snapIndex);
        c.tickUntil(() -> c.raft(3).log.committed() == snapIndex, 2 * E, "snapshot installed");
        assertThat(progress(c, 3).state()).isEqualTo(ProgressState.SNAPSHOT);
        c.node(1).reportSnapshot(3, true);
        assertThat(progress(c, 3).state()).isEqualTo(ProgressState.PROBE);
        assertThat(progress(c, 3).next()).isEqualTo(snapIndex + 1);
        c.clearDropFilters();
        c.tickUntil(() -> progress(c, 3).state() == ProgressState.REPLICATE, 2 * E, "replicating again");
    }

    @Test
    @DisplayName("§7: a snapshot lost without any report is given up after snapshotTimeoutTicks")
    void lostSnapshotTimesOut() {
        TestCluster c = laggingFollowerBehindCompaction(TestCluster.builder(3)
                .config(cfg -> new RaftConfig(cfg.id(), cfg.electionTicks(), cfg.heartbeatTicks(),
                        cfg.maxSizePerMsgBytes(), cfg.maxInflightMsgs(), cfg.maxInflightBytes(),
                        cfg.maxUncommittedBytes(), cfg.maxCommittedBytesPerReady(), cfg.checkQuorum(), cfg.preVote(),
                        cfg.quiesce(), cfg.deferCommitNotice(), 5, cfg.applied()))
                .build());
        c.drop(m -> m.type() == MessageType.SNAPSHOT);
        c.rejoin(3);
        c.tickUntil(() -> progress(c, 3).state() == ProgressState.SNAPSHOT, 2 * E, "snapshot state");
        long match = progress(c, 3).match();
        c.clearSent();
        c.tickUntil(() -> !c.sent(m -> m.type() == MessageType.SNAPSHOT).isEmpty(), 10, "snapshot sent again");

        // The lost snapshot says nothing about the follower's log: the leader must go on from
        // what the follower is known to hold, which is compacted, so straight to a new snapshot.
        assertThat(c.sent(m -> m.type() == MessageType.APPEND && m.to() == 3))
                .as("no probe that assumes the lost snapshot arrived").isEmpty();
        assertThat(progress(c, 3).match()).isEqualTo(match);
        c.clearDropFilters();
        c.tickUntil(() -> c.data(3).equals(DATA), 3 * E, "node 3 catches up");
    }

    @Test
    @DisplayName("§7: a snapshot older than the follower's commit index is not installed")
    void staleSnapshotIgnored() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        for (String s : DATA) {
            c.propose(1, s);
        }
        c.stabilize();
        c.snapshotAndCompact(1);
        Snapshot snap = c.peer(1).storage.latestSnapshot();
        long committed = c.raft(2).log.committed();
        c.clearSent();
        c.node(2).step(Message.builder(MessageType.SNAPSHOT).from(1).to(2).term(c.raft(1).term()).snapshot(snap).build());
        c.processReadies();
        assertThat(snapshotReadies(c, 2)).isEmpty();
        assertThat(c.raft(2).log.firstIndex()).isEqualTo(1);
        assertThat(c.sent()).singleElement().satisfies(m -> {
            assertThat(m.type()).isEqualTo(MessageType.APPEND_RESPONSE);
            assertThat(m.index()).isEqualTo(committed);
        });
    }

    @Test
    @DisplayName("§7: a node restarted after installing a snapshot keeps it and its state")
    void restartAfterSnapshotKeepsState() {
        TestCluster c = laggingFollowerBehindCompaction(TestCluster.of(3));
        long snapIndex = c.peer(1).storage.latestSnapshot().index();
        c.rejoin(3);
        c.tickUntil(() -> c.data(3).equals(DATA), 3 * E, "node 3 catches up");
        HardState before = c.peer(3).storage.hardState();

        c.crash(3);
        c.restart(3, false);
        assertThat(c.raft(3).log.firstIndex()).isEqualTo(snapIndex + 1);
        assertThat(c.raft(3).term()).isEqualTo(before.term());
        assertThat(c.raft(3).log.committed()).isEqualTo(before.commit());
        assertThat(c.node(3).confState().voters()).containsExactlyInAnyOrder(1L, 2L, 3L);
        assertThat(c.data(3)).as("state machine restored from the stored snapshot").isEqualTo(DATA);
        c.propose(1, "f");
        c.stabilize();
        assertThat(c.data(3)).containsExactly("a", "b", "c", "d", "e", "f");
    }

    @Test
    @DisplayName("§7: a new member added after compaction starts from a snapshot")
    void newMemberStartsFromSnapshot() {
        TestCluster c = TestCluster.of(3);
        c.elect(1);
        for (String s : DATA) {
            c.propose(1, s);
        }
        c.stabilize();
        c.snapshotAndCompact(1);
        c.addPeer(4);
        assertThat(c.node(1).proposeConfChange(ConfChange.of(addLearner(4))).isAccepted()).isTrue();
        c.tickUntil(() -> c.data(4).equals(DATA), 3 * E, "the learner catches up");
        assertThat(snapshotReadies(c, 4)).hasSize(1);
        assertThat(c.node(4).confState().learners()).containsExactly(4L);
    }
}
