package io.shardkv.meta.scheduler;

import io.shardkv.meta.liveness.HeartbeatTracker;
import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.Replica;
import io.shardkv.meta.proto.ShardGroupInfo;
import java.util.HashSet;
import java.util.Set;

/**
 * When the leader balancer may move a leader: only once the cluster has been calm for a while.
 * A move refuses a group's writes for a moment, so it is only worth making when the picture it
 * is based on will hold. Two kinds of calm are required:
 * <ul>
 *   <li><b>No task pending</b> for the quiet period: the tasks change the groups, and a new meta
 *       leader's leader hints need that long to fill from heartbeats.</li>
 *   <li><b>No fault</b> for the settle period (three quiet periods): no server hosting a replica
 *       marked down or silent beyond {@code responsiveMillis}. While a server is frozen or
 *       restarting, leaders move by elections; balancing on top of that moved leaders toward
 *       servers that went down again. Waiting for a calm stretch after the last fault keeps moves
 *       away from a flapping server, and off while any fault is in progress.</li>
 * </ul>
 * Not thread-safe: the scheduler thread owns it.
 */
final class BalanceGate {
    /** The settle period after a fault, in quiet periods. */
    static final int SETTLE_QUIET_PERIODS = 3;

    private final long quietMillis;
    private final long settleMillis;
    private final long responsiveMillis;
    private long quietSinceMillis;
    private long calmSinceMillis;

    /**
     * @param quietMillis      no task pending for this long before a move; 0 turns balancing off
     * @param responsiveMillis a server heard from longer ago than this counts as a fault
     */
    BalanceGate(long quietMillis, long responsiveMillis) {
        this.quietMillis = quietMillis;
        this.settleMillis = SETTLE_QUIET_PERIODS * quietMillis;
        this.responsiveMillis = responsiveMillis;
    }

    /** A new leadership knows nothing of the recent past: it waits as after a fault. */
    void leadershipStarted(long nowMillis) {
        quietSinceMillis = nowMillis;
        calmSinceMillis = nowMillis;
    }

    /** A move was just filed: the next waits for a quiet period again. */
    void moved(long nowMillis) {
        quietSinceMillis = nowMillis;
    }

    /** Observes one scheduler pass; returns whether a leader may be moved now. */
    boolean mayMove(ClusterMap map, HeartbeatTracker heartbeats, long nowMillis) {
        if (!ClusterMaps.pendingTasks(map).isEmpty()) {
            quietSinceMillis = nowMillis;
        }
        if (faultInProgress(map, heartbeats)) {
            calmSinceMillis = nowMillis;
        }
        return quietMillis > 0 && nowMillis - quietSinceMillis >= quietMillis
                && nowMillis - calmSinceMillis >= settleMillis;
    }

    private boolean faultInProgress(ClusterMap map, HeartbeatTracker heartbeats) {
        Set<Long> hosting = new HashSet<>();
        for (ShardGroupInfo g : map.getGroupsList()) {
            for (Replica r : g.getReplicasList()) {
                hosting.add(r.getServerId());
            }
        }
        for (long server : hosting) {
            long age = heartbeats.heartbeatAgeMillis(server);
            if (!ClusterMaps.isRunning(map, server) || age < 0 || age > responsiveMillis) {
                return true;
            }
        }
        return false;
    }
}
