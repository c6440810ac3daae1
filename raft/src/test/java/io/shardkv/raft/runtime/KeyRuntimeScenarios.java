package io.shardkv.raft.runtime;

import io.shardkv.raft.testing.Await;
import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.RaftStatus;
import io.shardkv.raft.storage.RetentionPolicy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime scenarios every transport must pass: many groups elect and replicate, a
 * restarted server recovers every group from its log, and a follower behind a compacted log
 * catches up by snapshot. Subclasses say how the servers are connected.
 */
abstract class KeyRuntimeScenarios {
    static final ConfState THREE = ConfState.ofVoters(1L, 2L, 3L);

    @TempDir
    Path dir;

    /** A cluster of servers in {@link #dir}, connected the way the subclass tests. */
    abstract RuntimeTestCluster cluster(RetentionPolicy retention,
                                        BiFunction<Long, Long, RecordingStateMachine> machines);

    /** Checks, where the transport can tell, that a snapshot went from {@code from} to {@code to}. */
    void checkSnapshotTravelled(RuntimeTestCluster cluster, List<Long> senders, long to) {
    }

    RuntimeTestCluster inMemoryMachines() {
        return cluster(RetentionPolicy.defaults(), (s, g) -> RecordingStateMachine.inMemory());
    }

    @Test
    void hundredGroupsOnThreeServersElectAndReplicate() {
        try (RuntimeTestCluster cluster = inMemoryMachines()) {
            for (long s = 1; s <= 3; s++) {
                cluster.start(s);
                for (long g = 1; g <= 100; g++) {
                    cluster.createGroup(s, g, THREE);
                }
            }
            for (long g = 1; g <= 100; g++) {
                assertThat(cluster.write(g, "g" + g + "-first")).isEqualTo("ok:g" + g + "-first");
            }
            for (long g = 1; g <= 100; g++) {
                long group = g;
                for (long s = 1; s <= 3; s++) {
                    long server = s;
                    Await.until(RuntimeTestCluster.DEADLINE, () -> "group " + group + " applied on " + server,
                            () -> cluster.machine(server, group).commands().contains("g" + group + "-first"));
                }
            }
            // One fsync carries many groups: far fewer synced writes than groups times writes.
            double syncs = cluster.registry(1).get("raft.log.sync").timer().count();
            assertThat(syncs).isPositive();
            // A commit index that moves alone is written without an fsync, and counted apart.
            double unsynced = 0;
            for (long s = 1; s <= 3; s++) {
                unsynced += cluster.registry(s).get("raft.log.writes.unsynced").counter().count();
            }
            assertThat(unsynced).isPositive();
            assertThat(cluster.registry(1).get("raft.entries.applied").counter().count()).isGreaterThanOrEqualTo(200);
        }
    }

    @Test
    void restartedServerRecoversEveryGroupFromItsLog() {
        try (RuntimeTestCluster cluster = inMemoryMachines()) {
            for (long s = 1; s <= 3; s++) {
                cluster.start(s);
                for (long g = 1; g <= 20; g++) {
                    cluster.createGroup(s, g, THREE);
                }
            }
            for (long g = 1; g <= 20; g++) {
                cluster.write(g, "before-" + g);
            }
            cluster.stop(3);
            for (long g = 1; g <= 20; g++) {
                cluster.write(g, "while-down-" + g);
            }
            cluster.restart(3);
            for (long g = 1; g <= 20; g++) {
                long group = g;
                Await.until(RuntimeTestCluster.DEADLINE, () -> "server 3 caught up on group " + group,
                        () -> cluster.machine(3, group).commands().equals(List.of("before-" + group, "while-down-" + group)));
            }
            // The restarted server takes part again: stop another one and keep writing.
            cluster.stop(1);
            for (long g = 1; g <= 20; g++) {
                cluster.write(g, "after-" + g);
            }
            assertThat(cluster.machine(3, 7).commands()).startsWith("before-7", "while-down-7");
        }
    }

    @Test
    void followerAwayForAWhileCatchesUpFromTheLogNotFromASnapshot() {
        // No tail of its own: only what the stopped follower still needs keeps the leader's log.
        RetentionPolicy followersOnly = new RetentionPolicy(0, 5);
        try (RuntimeTestCluster cluster = cluster(followersOnly, (s, g) -> new RecordingStateMachine(s != 3, null))) {
            for (long s = 1; s <= 3; s++) {
                cluster.start(s);
                cluster.createGroup(s, 1, THREE);
            }
            cluster.write(1, "w0");
            long leader = cluster.awaitLeader(1);
            if (leader == 3) {
                // A transfer gives up when its target lags past an election timeout (a loaded
                // machine): ask again, once a second, until leadership has moved.
                long[] nextAsk = {0};
                Await.until(RuntimeTestCluster.DEADLINE, () -> "leadership off server 3", () -> {
                    long now = cluster.leaderOf(1);
                    if (now == 3 && System.nanoTime() - nextAsk[0] > 0) {
                        cluster.server(3).transferLeader(1, 1);
                        nextAsk[0] = System.nanoTime() + 1_000_000_000L;
                    }
                    return now == 1 || now == 2;
                });
            }
            Await.until(RuntimeTestCluster.DEADLINE, () -> "server 3 applied w0",
                    () -> cluster.machine(3, 1).commands().contains("w0"));
            cluster.stop(3);
            List<String> expected = new ArrayList<>(List.of("w0"));
            for (int i = 1; i <= 60; i++) {
                cluster.write(1, "w" + i);
                expected.add("w" + i);
            }
            cluster.restart(3);
            Await.until(RuntimeTestCluster.DEADLINE, () -> "server 3 caught up",
                    () -> cluster.machine(3, 1).commands().equals(expected));
            assertThat(cluster.registry(3).get("raft.snapshots.received").counter().count())
                    .as("snapshots server 3 needed").isZero();
            for (long s = 1; s <= 2; s++) {
                assertThat(cluster.registry(s).get("raft.snapshots.built").counter().count())
                        .as("snapshots built on server %d", s).isZero();
            }
        }
    }

    @Test
    void followerBehindCompactedLogCatchesUpBySnapshot() {
        // No byte allowance: the log goes up to the durable index, whatever followers need.
        RetentionPolicy aggressive = new RetentionPolicy(0, 5, 0);
        try (RuntimeTestCluster cluster = cluster(aggressive, (s, g) -> new RecordingStateMachine(true, null))) {
            for (long s = 1; s <= 3; s++) {
                cluster.start(s);
                cluster.createGroup(s, 1, THREE);
            }
            cluster.write(1, "w0");
            cluster.stop(3);
            List<String> expected = new ArrayList<>(List.of("w0"));
            for (int i = 1; i <= 60; i++) {
                cluster.write(1, "w" + i);
                expected.add("w" + i);
            }
            long leader = cluster.awaitLeader(1);
            Await.until(RuntimeTestCluster.DEADLINE, () -> "the leader's log compacted",
                    () -> status(cluster.server(leader), 1).firstIndex() > 10);
            cluster.restart(3);
            Await.until(RuntimeTestCluster.DEADLINE, () -> "server 3 restored from a snapshot",
                    () -> cluster.machine(3, 1).commands().equals(expected));
            // The applier counts the snapshot just after the state machine shows its contents.
            Await.until(RuntimeTestCluster.DEADLINE, () -> "server 3 to count the snapshot it received",
                    () -> cluster.registry(3).get("raft.snapshots.received").counter().count() >= 1);
            // Leadership may move while server 3 restarts, so any server that stayed up may be the sender.
            List<Long> senders = List.of(1L, 2L);
            double sent = 0;
            for (long s : senders) {
                sent += cluster.registry(s).get("raft.snapshots.sent").counter().count();
            }
            assertThat(sent).isGreaterThanOrEqualTo(1);
            checkSnapshotTravelled(cluster, senders, 3);
        }
    }

    static RaftStatus status(RaftServer server, long groupId) {
        try {
            return server.status(groupId).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
