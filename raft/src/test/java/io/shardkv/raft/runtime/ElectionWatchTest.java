package io.shardkv.raft.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.testing.Await;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a server tells of its groups' elections: campaigns, wins and time without a leader. */
class ElectionWatchTest {
    @TempDir
    Path dir;

    @Test
    void aFailoverIsCountedAndTimedOnTheReplicaThatTookOver() {
        // Without quiescence the followers time out by their own clocks; the in-process network
        // reports no unreachable server.
        try (RuntimeTestCluster cluster = RuntimeTestCluster.inMemoryMachines(dir).withoutQuiescence()) {
            for (long s = 1; s <= 3; s++) {
                cluster.start(s);
                cluster.createGroup(s, 1, ConfState.ofVoters(1L, 2L, 3L));
            }
            cluster.write(1, "before");
            long first = cluster.awaitLeader(1);
            assertThat(cluster.registry(first).get("raft.leaderships.won").counter().count()).isGreaterThanOrEqualTo(1);
            assertThat(cluster.registry(first).get("raft.campaigns").tag("stage", "vote").counter().count())
                    .isGreaterThanOrEqualTo(1);

            cluster.stop(first);
            Await.until(RuntimeTestCluster.DEADLINE, () -> "a new leader",
                    () -> cluster.leaderOf(1) != io.shardkv.raft.core.RawNode.NONE && cluster.leaderOf(1) != first);
            long second = cluster.leaderOf(1);
            cluster.write(1, "after");
            assertThat(cluster.registry(second).get("raft.leaderships.won").counter().count()).isGreaterThanOrEqualTo(1);
            assertThat(cluster.registry(second).get("raft.campaigns").tag("stage", "pre-vote").counter().count())
                    .isGreaterThanOrEqualTo(1);
            // From losing the old leader to leading itself: one gap, no longer than the wait was.
            io.micrometer.core.instrument.Timer leaderless = cluster.registry(second).get("raft.leaderless").timer();
            assertThat(leaderless.count()).isGreaterThanOrEqualTo(1);
            assertThat(leaderless.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS))
                    .isGreaterThan(0).isLessThan(RuntimeTestCluster.DEADLINE.toMillis());
        }
    }
}
