package io.shardkv.raft.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.ReadMode;
import io.shardkv.raft.core.Role;
import io.shardkv.raft.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A leader whose process was paused counts the time it missed before it does anything else
 * (see {@link TickClock}): it neither serves a LEASE read from the lease it held before the pause
 * nor keeps leading on it. The pause is a jump of the server's monotonic clock.
 */
class PausedLeaderTest {
    private static final ConfState THREE = ConfState.ofVoters(1L, 2L, 3L);

    @TempDir
    Path dir;

    @Test
    void aLeaderBackFromAPauseStepsDownBeforeAnsweringALeaseRead() throws Exception {
        // Without quiescence the idle leader keeps heartbeating, so its lease is live when paused.
        try (RuntimeTestCluster cluster = RuntimeTestCluster.inMemoryMachines(dir).withoutQuiescence()) {
            for (long s = 1; s <= 3; s++) {
                cluster.start(s);
                cluster.createGroup(s, 1, THREE);
            }
            cluster.write(1, "before");
            long leader = cluster.awaitLeader(1);
            long term = cluster.server(leader).summary(1).orElseThrow().term();
            cluster.server(leader).readIndex(1, ReadMode.LEASE).get(10, TimeUnit.SECONDS);

            // Thirty seconds pass in one step on the leader's clock; the read is its next input.
            cluster.jumpClock(leader, Duration.ofSeconds(30));
            CompletableFuture<Long> read = cluster.server(leader).readIndex(1, ReadMode.LEASE);
            try {
                read.get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                // Refused (NOT_LEADER / UNAVAILABLE): as good as a confirmed read here.
            }
            GroupSummary after = cluster.server(leader).summary(1).orElseThrow();
            assertThat(after.role() == Role.LEADER && after.term() == term)
                    .as("server %d still leads term %d on its old lease: %s", leader, term, after).isFalse();

            // The group goes on, under whoever wins the next election.
            Await.until(RuntimeTestCluster.DEADLINE, () -> "a leader again", () -> cluster.leaderOf(1) != 0);
            cluster.write(1, "after");
        }
    }
}
