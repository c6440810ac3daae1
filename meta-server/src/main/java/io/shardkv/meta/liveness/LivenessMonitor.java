package io.shardkv.meta.liveness;

import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ServerState;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides which RUNNING servers have been silent too long and should be marked SERVER_DOWN.
 * The way back (SERVER_RUNNING) is taken by the heartbeat handler when the server speaks again.
 */
public final class LivenessMonitor {
    private final HeartbeatTracker tracker;
    private final long serverDownMillis;

    public LivenessMonitor(HeartbeatTracker tracker, long serverDownMillis) {
        if (serverDownMillis <= 0) {
            throw new IllegalArgumentException("serverDownMillis must be positive: " + serverDownMillis);
        }
        this.tracker = tracker;
        this.serverDownMillis = serverDownMillis;
    }

    /** Ids of the servers the map says are RUNNING but that have not been heard from for too long. */
    public List<Long> serversToMarkDown(ClusterMap map) {
        List<Long> down = new ArrayList<>();
        for (ServerInfo s : map.getServersList()) {
            if (s.getState() == ServerState.SERVER_RUNNING && tracker.silenceMillis(s.getId()) > serverDownMillis) {
                down.add(s.getId());
            }
        }
        return down;
    }
}
