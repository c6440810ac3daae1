package io.shardkv.raft.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.shardkv.raft.storage.RetentionPolicy;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * The key runtime scenarios with servers that talk real gRPC on 127.0.0.1: one stream per
 * server pair with coalesced heartbeats, snapshots through SendSnapshot, and reconnection after
 * a server restarts on its old port.
 */
class RaftServerGrpcIntegrationTest extends KeyRuntimeScenarios {

    @Override
    RuntimeTestCluster cluster(RetentionPolicy retention, BiFunction<Long, Long, RecordingStateMachine> machines) {
        return RuntimeTestCluster.overGrpc(dir, retention, machines);
    }

    @Override
    void checkSnapshotTravelled(RuntimeTestCluster cluster, long from, long to) {
        assertThat(counter(cluster.registry(from), "raft.transport.snapshot.chunks.sent")).isGreaterThanOrEqualTo(1);
        assertThat(cluster.registry(to).get("raft.transport.snapshots").tag("direction", "received").counter().count())
                .isGreaterThanOrEqualTo(1);
    }

    @Test
    void heartbeatsOfManyGroupsTravelCoalescedInFewFrames() {
        try (RuntimeTestCluster cluster = inMemoryMachines()) {
            for (long s = 1; s <= 3; s++) {
                cluster.start(s);
                for (long g = 1; g <= 60; g++) {
                    cluster.createGroup(s, g, THREE);
                }
            }
            for (long g = 1; g <= 60; g++) {
                cluster.write(g, "w" + g);
            }
            // Idle groups quiesce and stop heartbeating, so keep writing to groups while waiting:
            // busy groups heartbeat every few ticks, and those heartbeats must travel coalesced.
            long[] next = {1};
            Await.until(RuntimeTestCluster.DEADLINE, () -> "coalesced heartbeats received", () -> {
                long g = next[0]++ % 60 + 1;
                cluster.write(g, "busy" + next[0]);
                double received = 0;
                for (long s = 1; s <= 3; s++) {
                    received += counter(cluster.registry(s), "raft.transport.heartbeats.coalesced.received");
                }
                return received > 0;
            });
            // How many frames the heartbeats shared depends on timing on a shared machine, so
            // it is measured in benchmarks; GrpcRaftTransportTest checks one frame per send().
            double sent = 0;
            for (long s = 1; s <= 3; s++) {
                sent += counter(cluster.registry(s), "raft.transport.heartbeats.coalesced.sent");
            }
            assertThat(sent).isPositive();
        }
    }

    private static double counter(MeterRegistry registry, String name) {
        return registry.get(name).counter().count();
    }
}
