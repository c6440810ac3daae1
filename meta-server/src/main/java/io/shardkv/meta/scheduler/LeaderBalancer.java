package io.shardkv.meta.scheduler;

import io.shardkv.meta.liveness.LeaderHints;
import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ShardGroupInfo;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Evens out how many groups each kv-server leads. A leader does the group's appends, fsync
 * fan-out and ReadIndex rounds, so three groups led by one server of three leave two servers
 * mostly idle (elections pick whoever times out first, often the same server for every group).
 *
 * <p>Pure: from the map and the leader hints it picks at most one move, from a server that leads
 * at least two groups more than another voter of the same group. Each move lowers the sum of
 * squared leader counts, so repeated planning settles. It is greedy: it does not chain moves
 * through a third server, so where groups share few voters a difference of two can remain. It
 * plans nothing while the picture is unsure: a pending task, or a group whose leader is unknown,
 * down, or not one of its voters.
 */
public final class LeaderBalancer {
    /** Hand the leadership of {@code groupId} from {@code from} to {@code to}. */
    public record Move(long groupId, long from, long to) {
    }

    /** Whether a server's replica of a group is fit to take over its leadership now. */
    @FunctionalInterface
    public interface ReadyToLead {
        boolean test(long groupId, long serverId);
    }

    /**
     * @param ready replicas heard from recently and caught up: a move never targets any other,
     *              because the leader refuses writes while it hands over, and a silent or lagging
     *              target would keep them refused for a whole election timeout
     */
    public Optional<Move> plan(ClusterMap map, LeaderHints hints, ReadyToLead ready) {
        if (!ClusterMaps.pendingTasks(map).isEmpty()) {
            return Optional.empty();
        }
        for (ShardGroupInfo g : map.getGroupsList()) {
            long leader = hints.leaderOf(g.getId());
            if (leader == 0 || !ClusterMaps.voters(g).contains(leader) || !ClusterMaps.isRunning(map, leader)) {
                return Optional.empty();
            }
        }
        Map<Long, Integer> led = leaderCounts(map, hints);
        Move best = null;
        int bestGap = 1;
        for (ShardGroupInfo g : map.getGroupsList()) {
            long from = hints.leaderOf(g.getId());
            for (long to : ClusterMaps.voters(g)) {
                if (to == from || !led.containsKey(to) || !ready.test(g.getId(), to)) {
                    continue;
                }
                int gap = led.get(from) - led.get(to);
                // Groups and voters are visited in map order, so every meta replica breaks ties alike.
                if (gap > bestGap) {
                    best = new Move(g.getId(), from, to);
                    bestGap = gap;
                }
            }
        }
        return Optional.ofNullable(best);
    }

    /** Most groups led by one server minus fewest led by another (servers running a voter); 0 when even. */
    public static int imbalance(ClusterMap map, LeaderHints hints) {
        Map<Long, Integer> led = leaderCounts(map, hints);
        if (led.isEmpty()) {
            return 0;
        }
        return Collections.max(led.values()) - Collections.min(led.values());
    }

    /** Groups led per running server that holds a voter of some group (those that may lead). */
    private static Map<Long, Integer> leaderCounts(ClusterMap map, LeaderHints hints) {
        Map<Long, Integer> led = new HashMap<>();
        for (ShardGroupInfo g : map.getGroupsList()) {
            for (long v : ClusterMaps.voters(g)) {
                if (ClusterMaps.isRunning(map, v)) {
                    led.putIfAbsent(v, 0);
                }
            }
        }
        for (ShardGroupInfo g : map.getGroupsList()) {
            led.computeIfPresent(hints.leaderOf(g.getId()), (id, n) -> n + 1);
        }
        return led;
    }
}
