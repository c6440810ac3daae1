package io.shardkv.raft.runtime;

import io.shardkv.raft.testing.Await;
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
    void checkSnapshotTravelled(RuntimeTestCluster cluster, java.util.List<Long> senders, long to) {
        double chunks = 0;
        for (long s : senders) {
            chunks += counter(cluster.registry(s), "raft.transport.snapshot.chunks.sent");
        }
        assertThat(chunks).isGreaterThanOrEqualTo(1);
        assertThat(cluster.registry(to).get("raft.transport.snapshots").tag("direction", "received").counter().count())
                .isGreaterThanOrEqualTo(1);
    }

    @Test
    void heartbeatsOfManyGroupsTravelCoalescedInFewFrames() {
        try (RuntimeTestCluster cluster = inMemoryMachines().withoutQuiescence()) {
            for (long s = 1; s <= 3; s++) {
                cluster.start(s);
                for (long g = 1; g <= 60; g++) {
                    cluster.createGroup(s, g, THREE);
                }
            }
            for (long g = 1; g <= 60; g++) {
                cluster.write(g, "w" + g);
            }
            // Quiescence is off here: idle groups would otherwise stop heartbeating altogether.
            Await.until(RuntimeTestCluster.DEADLINE, () -> "coalesced heartbeats received", () -> {
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
