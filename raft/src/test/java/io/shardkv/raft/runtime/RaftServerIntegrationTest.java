package io.shardkv.raft.runtime;

import io.shardkv.raft.testing.Await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.RaftStatus;
import io.shardkv.raft.core.confchange.ConfChange;
import io.shardkv.raft.core.confchange.ConfChangeSingle;
import io.shardkv.raft.storage.RetentionPolicy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * Three (or four) servers with real RocksDB log engines, hosting many groups each, talking
 * through the wire codec in one JVM. The key scenarios come from {@link KeyRuntimeScenarios};
 * every wait has a deadline.
 */
class RaftServerIntegrationTest extends KeyRuntimeScenarios {

    @Override
    RuntimeTestCluster cluster(RetentionPolicy retention, BiFunction<Long, Long, RecordingStateMachine> machines) {
        return new RuntimeTestCluster(dir, retention, machines);
    }

    @Test
    void replicaMovesToNewServerWhileWritesContinue() throws Exception {
        try (RuntimeTestCluster cluster = RuntimeTestCluster.inMemoryMachines(dir)) {
            for (long s = 1; s <= 3; s++) {
                cluster.start(s);
                cluster.createGroup(s, 1, THREE);
            }
            cluster.start(4);
            cluster.createGroup(4, 1, ConfState.EMPTY);
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicInteger acked = new AtomicInteger();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                for (int i = 0; writing.get(); i++) {
                    cluster.write(1, "c" + i);
                    acked.incrementAndGet();
                }
            });
            Await.until(RuntimeTestCluster.DEADLINE, () -> "writes flowing", () -> acked.get() > 10);

            long leader = cluster.awaitLeader(1);
            changeMembership(cluster, leader, ConfChange.of(ConfChangeSingle.addLearner(4)));
            Await.until(RuntimeTestCluster.DEADLINE, () -> "learner 4 caught up",
                    () -> cluster.machine(4, 1).commands().size() >= cluster.machine(leader, 1).commands().size() - 5);
            // Promote 4 and remove 3 in one joint change; the leader leaves the joint config itself.
            long leaderNow = cluster.awaitLeader(1);
            changeMembership(cluster, leaderNow, ConfChange.of(ConfChangeSingle.addVoter(4), ConfChangeSingle.remove(3)));
            Await.until(RuntimeTestCluster.DEADLINE, () -> "membership {1,2,4} in force",
                    () -> {
                        long l = cluster.leaderOf(1);
                        return l != 0 && status(cluster.server(l), 1).membership().equals(ConfState.ofVoters(1L, 2L, 4L));
                    });
            int before = acked.get();
            Await.until(RuntimeTestCluster.DEADLINE, () -> "writes continue after the move", () -> acked.get() > before + 10);
            writing.set(false);
            writer.get(30, TimeUnit.SECONDS);

            String last = "c" + (acked.get() - 1);
            Await.until(RuntimeTestCluster.DEADLINE, () -> "server 4 applied " + last,
                    () -> cluster.machine(4, 1).commands().contains(last));
            assertThat(cluster.machine(4, 1).commands()).isEqualTo(cluster.machine(cluster.awaitLeader(1), 1).commands()
                    .subList(0, cluster.machine(4, 1).commands().size()));
        }
    }

    @Test
    void aSnapshotBuildThatFailsFailsOnlyThatSnapshotAndIsRetried() throws Exception {
        AtomicInteger imagesToFail = new AtomicInteger(1);
        try (RuntimeTestCluster cluster = new RuntimeTestCluster(dir, new RetentionPolicy(0, 1, 0),
                // Server 3's machine keeps nothing across its restart, so it must not compact its own log.
                (s, g) -> new RecordingStateMachine(s != 3, null, imagesToFail))) {
            for (long s = 1; s <= 3; s++) {
                cluster.start(s);
                cluster.createGroup(s, 1, THREE);
            }
            cluster.write(1, "first");
            cluster.stop(3);
            for (int i = 0; i < 30; i++) {
                cluster.write(1, "w" + i);
            }
            long leader = cluster.awaitLeader(1);
            Await.until(RuntimeTestCluster.DEADLINE, () -> "the leader's log compacted",
                    () -> cluster.server(leader).summary(1).orElseThrow().lastIndex() > 30);
            cluster.restart(3);

            // Server 3 is behind the compacted log: the leader's first image dies (OutOfMemoryError).
            Await.until(RuntimeTestCluster.DEADLINE, () -> "a failed snapshot build",
                    () -> cluster.registry(cluster.awaitLeader(1)).get("raft.snapshots.build.failures").counter()
                            .count() >= 1);
            long failedOn = cluster.awaitLeader(1);
            // The group goes on serving, and is not marked failed.
            assertThat(cluster.write(1, "during")).isEqualTo("ok:during");
            assertThat(cluster.registry(failedOn).get("raft.groups.failed").gauge().value()).isZero();
            // After the pause the leader builds again, and server 3 catches up from the snapshot.
            Await.until(RuntimeTestCluster.DEADLINE, () -> "server 3 caught up",
                    () -> cluster.machine(3, 1) != null && cluster.machine(3, 1).commands().contains("during"));
            assertThat(cluster.machine(3, 1).commands()).isEqualTo(cluster.machine(failedOn, 1).commands()
                    .subList(0, cluster.machine(3, 1).commands().size()));
            assertThat(builtOn(cluster, 1, 2)).as("successful builds").isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void replicasRemovedWhileEveryGroupWritesStopOnlyThemselves() throws Exception {
        try (RuntimeTestCluster cluster = RuntimeTestCluster.inMemoryMachines(dir)) {
            for (long s = 1; s <= 3; s++) {
                cluster.start(s);
                for (long g = 1; g <= 12; g++) {
                    cluster.createGroup(s, g, THREE);
                }
            }
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicInteger acked = new AtomicInteger();
            List<CompletableFuture<Void>> writers = new ArrayList<>();
            for (long g = 1; g <= 12; g++) {
                long group = g;
                writers.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; writing.get(); i++) {
                        cluster.write(group, "g" + group + "-" + i);
                        acked.incrementAndGet();
                    }
                }));
            }
            Await.until(RuntimeTestCluster.DEADLINE, () -> "writes flowing", () -> acked.get() > 100);
            // Server 3 drops its replicas of the odd groups while all twelve groups write.
            for (long g = 1; g <= 12; g += 2) {
                cluster.server(3).removeGroup(g);
            }
            int before = acked.get();
            Await.until(RuntimeTestCluster.DEADLINE, () -> "writes continue", () -> acked.get() > before + 100);
            writing.set(false);
            for (CompletableFuture<Void> w : writers) {
                w.get(30, TimeUnit.SECONDS);
            }
            assertThat(cluster.server(3).hostedGroups()).containsExactly(2L, 4L, 6L, 8L, 10L, 12L);
            assertThat(cluster.registry(3).get("raft.groups.failed").gauge().value()).isZero();
            for (long g = 2; g <= 12; g += 2) {
                assertThat(cluster.server(3).summary(g).orElseThrow().failure()).isNull();
            }
            assertThatThrownBy(() -> cluster.server(3).removeGroup(1)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aReplicaWhoseStateWasLostIsResetAndCaughtUpBySnapshot() {
        // The machines pretend to be durable but keep nothing across a restart: server 3 comes
        // back with its log compacted past a state machine that is empty (as if its KV data were gone).
        try (RuntimeTestCluster cluster = new RuntimeTestCluster(dir, new RetentionPolicy(0, 1, 0),
                (s, g) -> new RecordingStateMachine(true, null))) {
            for (long s = 1; s <= 3; s++) {
                cluster.start(s);
                cluster.createGroup(s, 1, THREE);
            }
            for (int i = 0; i < 30; i++) {
                cluster.write(1, "w" + i);
            }
            Await.until(RuntimeTestCluster.DEADLINE, () -> "server 3 applied and compacted",
                    () -> cluster.machine(3, 1).commands().contains("w29")
                            && KeyRuntimeScenarios.status(cluster.server(3), 1).firstIndex() > 10);
            cluster.stop(3);
            cluster.restart(3); // before, the server refused to start: "no snapshot is kept"

            cluster.write(1, "after");
            Await.until(RuntimeTestCluster.DEADLINE, () -> "server 3 caught up again",
                    () -> cluster.machine(3, 1).commands().contains("after"));
            assertThat(cluster.machine(3, 1).commands()).startsWith("w0", "w1").contains("w29");
            assertThat(cluster.registry(3).get("raft.replicas.reset").counter().count()).isEqualTo(1);
            // The applier counts the snapshot just after the state machine shows its contents.
            Await.until(RuntimeTestCluster.DEADLINE, () -> "server 3 to count the snapshot it received",
                    () -> cluster.registry(3).get("raft.snapshots.received").counter().count() >= 1);
        }
    }

    @Test
    void aReplicaAddedAgainAfterTheLogMovedOnGetsAFreshSnapshotNotTheOldOne() throws Exception {
        try (RuntimeTestCluster cluster = new RuntimeTestCluster(dir, new RetentionPolicy(0, 1, 0),
                (s, g) -> new RecordingStateMachine(true, null))) {
            for (long s = 1; s <= 3; s++) {
                cluster.start(s);
                cluster.createGroup(s, 1, THREE);
            }
            cluster.start(4);
            for (int round = 1; round <= 2; round++) {
                for (int i = 0; i < 30; i++) {
                    cluster.write(1, "r" + round + "-" + i);
                }
                String last = "r" + round + "-29";
                cluster.createGroup(4, 1, ConfState.EMPTY);
                changeMembership(cluster, cluster.awaitLeader(1), ConfChange.of(ConfChangeSingle.addLearner(4)));
                // The second time, the snapshot built for the first add is older than the leader's log start.
                Await.until(RuntimeTestCluster.DEADLINE, () -> "learner 4 has " + last,
                        () -> cluster.machine(4, 1).commands().contains(last));
                changeMembership(cluster, cluster.awaitLeader(1), ConfChange.of(ConfChangeSingle.remove(4)));
                cluster.server(4).removeGroup(1);
            }
            assertThat(builtOn(cluster, 1, 2, 3)).isGreaterThanOrEqualTo(2);
            // Built images no follower asks for go after a while (here at once); rebuilt on demand.
            for (long s = 1; s <= 3; s++) {
                cluster.server(s).dropIdleSnapshots(0);
                try (var built = java.nio.file.Files.list(dir.resolve("snapshots-" + s).resolve("built"))) {
                    assertThat(built).as("built snapshots left on server %d", s).isEmpty();
                }
            }
        }
    }

    @Test
    void aSlowStateMachineIsHandedABoundedBacklogAndTheRestWaitsInTheLog() throws Exception {
        long bound = 16 * 1024;
        try (RuntimeTestCluster cluster = RuntimeTestCluster.inMemoryMachines(dir).withMaxApplyBacklogBytes(bound)) {
            for (long s = 1; s <= 3; s++) {
                cluster.start(s);
                cluster.createGroup(s, 1, THREE);
            }
            cluster.write(1, "first");
            cluster.machine(3, 1).holdApplies();
            long leader = cluster.awaitLeader(1);
            String kib = "x".repeat(1024);
            List<CompletableFuture<byte[]>> proposed = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                proposed.add(cluster.server(leader).propose(1, (i + kib).getBytes(StandardCharsets.UTF_8)));
            }
            if (leader != 3) {
                for (CompletableFuture<byte[]> p : proposed) {
                    p.get(30, TimeUnit.SECONDS);
                }
            }
            Await.until(RuntimeTestCluster.DEADLINE, () -> "server 3 committed all 300",
                    () -> KeyRuntimeScenarios.status(cluster.server(3), 1).commit() >= 302);
            // Server 3's applier is stuck: it was handed a bounded part, the rest is in its log.
            double backlog = cluster.registry(3).get("raft.apply.backlog.bytes").gauge().value();
            assertThat(backlog).as("the bound and one entry at most").isPositive().isLessThanOrEqualTo(bound + 2 * 1024);
            RaftStatus stuck = KeyRuntimeScenarios.status(cluster.server(3), 1);
            assertThat(stuck.handedToApply()).as("handed out").isLessThan(stuck.commit() - 100);

            cluster.machine(3, 1).releaseApplies();
            Await.until(RuntimeTestCluster.DEADLINE, () -> "server 3 applied everything",
                    () -> cluster.machine(3, 1).commands().size() == 301);
            Await.until(RuntimeTestCluster.DEADLINE, () -> "the backlog drained",
                    () -> cluster.registry(3).get("raft.apply.backlog.bytes").gauge().value() == 0);
            for (CompletableFuture<byte[]> p : proposed) {
                p.get(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void failingStateMachineStopsOnlyItsGroup() throws Exception {
        try (RuntimeTestCluster cluster = new RuntimeTestCluster(dir, RetentionPolicy.defaults(),
                (s, g) -> new RecordingStateMachine(false, g == 2 ? "poison" : null))) {
            for (long s = 1; s <= 3; s++) {
                cluster.start(s);
                for (long g = 1; g <= 3; g++) {
                    cluster.createGroup(s, g, THREE);
                }
            }
            cluster.write(2, "fine");
            long leader = cluster.awaitLeader(2);
            CompletableFuture<byte[]> poisoned = cluster.server(leader).propose(2, "poison".getBytes(StandardCharsets.UTF_8));
            assertThatThrownBy(() -> poisoned.get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(RaftRequestException.class)
                    .hasMessageContaining("GROUP_FAILED");
            assertThat(cluster.server(leader).summary(2).orElseThrow().failure()).contains("poisoned command");
            // The other groups on the same servers keep serving.
            assertThat(cluster.write(1, "still-up")).isEqualTo("ok:still-up");
            assertThat(cluster.write(3, "still-up")).isEqualTo("ok:still-up");
            assertThat(cluster.registry(leader).get("raft.groups.failed").gauge().value()).isEqualTo(1.0);
        }
    }

    @Test
    void unknownGroupAndFollowerProposalsGetTypedErrors() throws Exception {
        try (RuntimeTestCluster cluster = RuntimeTestCluster.inMemoryMachines(dir)) {
            for (long s = 1; s <= 3; s++) {
                cluster.start(s);
                cluster.createGroup(s, 1, THREE);
            }
            long leader = cluster.awaitLeader(1);
            long follower = Set.of(1L, 2L, 3L).stream().filter(s -> s != leader).findFirst().orElseThrow();
            Await.until(RuntimeTestCluster.DEADLINE, () -> "follower knows the leader",
                    () -> cluster.server(follower).summary(1).orElseThrow().leaderId() == leader);
            assertThatThrownBy(() -> cluster.server(follower).propose(1, new byte[] {1}).get(5, TimeUnit.SECONDS))
                    .cause().isInstanceOfSatisfying(RaftRequestException.class, e -> {
                        assertThat(e.kind()).isEqualTo(RaftRequestException.Kind.NOT_LEADER);
                        assertThat(e.leaderHint()).isEqualTo(leader);
                    });
            assertThatThrownBy(() -> cluster.server(1).propose(99, new byte[] {1}).get(5, TimeUnit.SECONDS))
                    .cause().isInstanceOfSatisfying(RaftRequestException.class,
                            e -> assertThat(e.kind()).isEqualTo(RaftRequestException.Kind.NO_SUCH_GROUP));
            long index = cluster.server(follower).readIndex(1, io.shardkv.raft.core.ReadMode.SAFE).get(10, TimeUnit.SECONDS);
            assertThat(index).isPositive();
        }
    }

    /** Snapshots built on the given servers together (leadership may have moved between them). */
    private static double builtOn(RuntimeTestCluster cluster, long... servers) {
        double built = 0;
        for (long s : servers) {
            built += cluster.registry(s).get("raft.snapshots.built").counter().count();
        }
        return built;
    }

    private static void changeMembership(RuntimeTestCluster cluster, long leader, ConfChange change) throws Exception {
        long deadline = System.nanoTime() + RuntimeTestCluster.DEADLINE.toNanos();
        while (true) {
            try {
                cluster.server(leader).changeMembership(1, change).get(10, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException e) {
                // A previous change may still be applying (CONF_CHANGE_PENDING); retry until the deadline.
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                leader = cluster.awaitLeader(1);
            }
        }
    }

}
