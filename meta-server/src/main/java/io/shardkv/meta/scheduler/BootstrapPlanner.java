package io.shardkv.meta.scheduler;

import io.shardkv.common.Slots;
import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.map.MetaCommand;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ServerState;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Plans the cluster's first groups: once the map was never bootstrapped and at least
 * {@code replicas} kv-servers are RUNNING, {@code initialGroups} groups of {@code replicas}
 * voters each, placed round-robin over the running servers (by id) so replicas spread evenly,
 * each group's first voter (its intended leader) a different server where there are enough.
 * The slot ranges are laid out when the command applies.
 */
public final class BootstrapPlanner {
    private final int initialGroups;
    private final int replicas;

    public BootstrapPlanner(int initialGroups, int replicas) {
        if (initialGroups <= 0 || initialGroups > Slots.COUNT || replicas <= 0) {
            throw new IllegalArgumentException("need 1.." + Slots.COUNT + " initial groups and at least"
                    + " one replica, got " + initialGroups + " groups of " + replicas);
        }
        this.initialGroups = initialGroups;
        this.replicas = replicas;
    }

    public Optional<MetaCommand> plan(ClusterMap map) {
        if (!ClusterMaps.neverBootstrapped(map)) {
            return Optional.empty();
        }
        List<Long> running = new ArrayList<>();
        for (ServerInfo s : map.getServersList()) {
            if (s.getState() == ServerState.SERVER_RUNNING) {
                running.add(s.getId());
            }
        }
        running.sort(null);
        if (running.size() < replicas) {
            return Optional.empty();
        }
        List<List<Long>> groups = new ArrayList<>();
        for (int g = 0; g < initialGroups; g++) {
            List<Long> voters = new ArrayList<>();
            for (int r = 0; r < replicas; r++) {
                // Consecutive positions modulo n: distinct within a group because replicas <= n. The
                // extra g moves each group's first voter, which CreateGroupTask makes its leader,
                // so that a new cluster starts with its leaders spread (3 groups on 3 servers:
                // [1,2,3], [2,3,1], [3,1,2]) instead of waiting for the leader balancer to move them.
                voters.add(running.get((g * replicas + g + r) % running.size()));
            }
            groups.add(voters);
        }
        return Optional.of(MetaCommand.bootstrap(groups));
    }
}
