package io.shardkv.meta.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.meta.liveness.HeartbeatTracker;
import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.map.MapTransitions;
import io.shardkv.meta.map.MetaCommand;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.HeartbeatRequest;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.meta.proto.Task;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Leader balancing waits for a quiet, fault-free stretch, on a fake clock. */
class BalanceGateTest {
    private static final long QUIET = 1_000;
    private static final long RESPONSIVE = 3_000;
    private static final long SETTLE = BalanceGate.SETTLE_QUIET_PERIODS * QUIET;

    private long now = 100_000;
    private final HeartbeatTracker heartbeats = new HeartbeatTracker(() -> now);
    private final BalanceGate gate = new BalanceGate(QUIET, RESPONSIVE);

    private static ClusterMap apply(ClusterMap m, MetaCommand c) {
        MapTransitions.Outcome o = MapTransitions.apply(m, c);
        assertThat(o.ok()).as(o.result().getError().getMessage()).isTrue();
        return o.map();
    }

    /** Three servers, one group on all three, every task done. */
    private static ClusterMap cluster() {
        ClusterMap m = ClusterMaps.initial();
        for (long id = 1; id <= 3; id++) {
            m = apply(m, MetaCommand.registerServer(id, "h:" + id, "h:" + (100 + id)));
        }
        m = apply(m, MetaCommand.addGroup(List.of(1L, 2L, 3L), 0));
        for (Task t : ClusterMaps.pendingTasks(m)) {
            m = apply(m, MetaCommand.taskComplete(t.getId()));
        }
        return m;
    }

    /** Every server but {@code silent} sends a heartbeat, and the clock moves on by {@code millis}. */
    private void advance(long millis, long... silent) {
        for (long t = 0; t < millis; t += 500) {
            for (long id = 1; id <= 3; id++) {
                final long server = id;
                if (Arrays.stream(silent).noneMatch(s -> s == server)) {
                    heartbeats.record(HeartbeatRequest.newBuilder().setServerId(server).build());
                }
            }
            now += 500;
        }
    }

    @Test
    void aNewLeadershipWaitsTheSettlePeriodEvenWhenAllIsWell() {
        ClusterMap m = cluster();
        gate.leadershipStarted(now);
        advance(SETTLE - 500);
        assertThat(gate.mayMove(m, heartbeats, now)).isFalse();
        advance(500);
        assertThat(gate.mayMove(m, heartbeats, now)).isTrue();
    }

    @Test
    void aSilentServerHoldsBalancingOffUntilItHasBeenBackForTheSettlePeriod() {
        ClusterMap m = cluster();
        gate.leadershipStarted(now);
        advance(SETTLE);
        assertThat(gate.mayMove(m, heartbeats, now)).isTrue();

        // Server 2 freezes: once its silence passes the responsive limit, nothing moves.
        advance(RESPONSIVE + 500, 2);
        assertThat(gate.mayMove(m, heartbeats, now)).as("server 2 silent").isFalse();
        advance(5_000, 2);
        assertThat(gate.mayMove(m, heartbeats, now)).as("still silent").isFalse();

        // It comes back; balancing waits a full settle period of calm after it was last seen silent.
        advance(500);
        assertThat(gate.mayMove(m, heartbeats, now)).isFalse();
        advance(SETTLE - 1_000);
        assertThat(gate.mayMove(m, heartbeats, now)).as("calm for less than the settle period").isFalse();
        advance(500);
        assertThat(gate.mayMove(m, heartbeats, now)).isTrue();
    }

    @Test
    void aServerMarkedDownIsAFaultEvenIfItsHeartbeatsAreFresh() {
        ClusterMap m = apply(cluster(), MetaCommand.setServerState(3, ServerState.SERVER_DOWN));
        gate.leadershipStarted(now);
        advance(SETTLE * 3);
        assertThat(gate.mayMove(m, heartbeats, now)).isFalse();
    }

    @Test
    void aPendingTaskOrARecentMoveWaitsOneQuietPeriod() {
        ClusterMap m = cluster();
        gate.leadershipStarted(now);
        advance(SETTLE);
        assertThat(gate.mayMove(m, heartbeats, now)).isTrue();

        gate.moved(now);
        advance(QUIET - 500);
        assertThat(gate.mayMove(m, heartbeats, now)).isFalse();
        advance(500);
        assertThat(gate.mayMove(m, heartbeats, now)).isTrue();

        ClusterMap busy = apply(m, MetaCommand.addGroup(List.of(1L, 2L, 3L), 0));
        assertThat(gate.mayMove(busy, heartbeats, now)).isFalse();
        advance(QUIET);
        assertThat(gate.mayMove(m, heartbeats, now)).isTrue();
    }

    @Test
    void zeroQuietTurnsBalancingOff() {
        BalanceGate off = new BalanceGate(0, RESPONSIVE);
        off.leadershipStarted(now);
        advance(60_000);
        assertThat(off.mayMove(cluster(), heartbeats, now)).isFalse();
    }
}
