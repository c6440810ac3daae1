package io.shardkv.raft.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.snapshot.SnapshotStore;
import io.shardkv.raft.storage.RetentionPolicy;
import io.shardkv.raft.testing.Await;
import io.shardkv.raft.transport.GroupMessage;
import io.shardkv.raft.transport.InProcessNetwork;
import io.shardkv.raft.transport.RaftTransport;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A poller cycle that dies of something no group caused (here the transport throwing an
 * OutOfMemoryError while sending) makes the server report itself unfit, and does not strand the
 * groups of that cycle: they are scheduled again and keep committing.
 */
class PollerCrashTest {
    private static final ConfState THREE = ConfState.ofVoters(1L, 2L, 3L);

    @TempDir
    Path dir;

    /** Server 1's sends throw OutOfMemoryError while {@code crashesLeft} is positive. */
    private static final class CrashingNetwork implements ClusterNetwork {
        final ClusterNetwork inner = ClusterNetwork.inProcess();
        final AtomicInteger crashesLeft = new AtomicInteger();

        @Override
        public RaftTransport transportFor(long serverId, MeterRegistry registry) {
            RaftTransport t = inner.transportFor(serverId, registry);
            if (serverId != 1) {
                return t;
            }
            return new RaftTransport() {
                @Override
                public void start(long localServer, Inbound inbound, SnapshotStore snapshots) {
                    t.start(localServer, inbound, snapshots);
                }

                @Override
                public void send(long toServer, List<GroupMessage> messages) {
                    if (crashesLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                        throw new OutOfMemoryError("Java heap space (simulated in a poller cycle)");
                    }
                    t.send(toServer, messages);
                }

                @Override
                public void close() {
                    t.close();
                }
            };
        }

        @Override
        public void started(long serverId, RaftTransport transport) {
            inner.started(serverId, transport);
        }

        @Override
        public void stopping(long serverId) {
            inner.stopping(serverId);
        }
    }

    @Test
    void aCrashedCycleMarksTheServerUnfitAndReleasesItsGroups() {
        CrashingNetwork network = new CrashingNetwork();
        try (RuntimeTestCluster cluster = new RuntimeTestCluster(dir, RetentionPolicy.defaults(),
                (s, g) -> RecordingStateMachine.inMemory(), network)) {
            for (long s = 1; s <= 3; s++) {
                cluster.start(s);
                for (long g = 1; g <= 4; g++) {
                    cluster.createGroup(s, g, THREE);
                }
            }
            for (long g = 1; g <= 4; g++) {
                cluster.write(g, "before-" + g);
            }
            assertThat(cluster.server(1).threadCrash()).isEmpty();

            network.crashesLeft.set(3);
            for (long g = 1; g <= 4; g++) {
                cluster.write(g, "during-" + g);
            }
            Await.until(RuntimeTestCluster.DEADLINE, () -> "server 1 to notice the crash",
                    () -> cluster.server(1).threadCrash().isPresent());
            assertThat(cluster.server(1).threadCrash().orElseThrow()).contains("raft-poller-1", "OutOfMemoryError");
            assertThat(cluster.registry(1).get("raft.threads.crashes").counter().count()).isGreaterThanOrEqualTo(1);

            // Server 1's groups were not left scheduled on a dead cycle: it applies what follows.
            for (long g = 1; g <= 4; g++) {
                String last = "after-" + g;
                cluster.write(g, last);
                long group = g;
                Await.until(RuntimeTestCluster.DEADLINE, () -> "server 1 applied " + last,
                        () -> cluster.machine(1, group).commands().contains(last));
            }
        }
    }
}
