package io.shardkv.meta.map;

import io.shardkv.common.Slots;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.Replica;
import io.shardkv.meta.proto.ReplicaRole;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.SlotInfo;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Read-only questions about a {@link ClusterMap}, shared by the state machine, the service and the scheduler. */
public final class ClusterMaps {

    private ClusterMaps() {
    }

    /** The map before anything happened: version 0, no servers, no groups, every slot UNSET. */
    public static ClusterMap initial() {
        ClusterMap.Builder b = ClusterMap.newBuilder().setConfigVersion(0).setNextGroupId(1).setNextTaskId(1);
        for (int i = 0; i < Slots.COUNT; i++) {
            b.addSlots(SlotInfo.getDefaultInstance());
        }
        return b.build();
    }

    public static Optional<ServerInfo> server(ClusterMap map, long serverId) {
        return map.getServersList().stream().filter(s -> s.getId() == serverId).findFirst();
    }

    public static Optional<ShardGroupInfo> group(ClusterMap map, long groupId) {
        return map.getGroupsList().stream().filter(g -> g.getId() == groupId).findFirst();
    }

    public static Optional<Task> task(ClusterMap map, long taskId) {
        return map.getTasksList().stream().filter(t -> t.getId() == taskId).findFirst();
    }

    /**
     * The oldest pending task of a group: the one the scheduler works on; the others wait behind it.
     * A slot move goes first, though: a group being removed starts the moves that drain it, and
     * its removal waits for them.
     */
    public static Optional<Task> pendingTaskOf(ClusterMap map, long groupId) {
        return map.getTasksList().stream()
                .filter(t -> t.getState() == TaskState.PENDING && t.getGroupId() == groupId)
                .min(Comparator.comparing((Task t) -> t.getType() != io.shardkv.meta.proto.TaskType.MOVE_SLOTS)
                        .thenComparingLong(Task::getId));
    }

    public static List<Task> pendingTasks(ClusterMap map) {
        List<Task> out = new ArrayList<>();
        for (Task t : map.getTasksList()) {
            if (t.getState() == TaskState.PENDING) {
                out.add(t);
            }
        }
        out.sort(Comparator.comparingLong(Task::getId));
        return out;
    }

    public static Optional<Replica> replica(ShardGroupInfo group, long serverId) {
        return group.getReplicasList().stream().filter(r -> r.getServerId() == serverId).findFirst();
    }

    public static List<Long> voters(ShardGroupInfo group) {
        List<Long> ids = new ArrayList<>();
        for (Replica r : group.getReplicasList()) {
            if (r.getRole() == ReplicaRole.VOTER) {
                ids.add(r.getServerId());
            }
        }
        return ids;
    }

    /** Slots the group owns or takes part in migrating. */
    public static int slotsOf(ClusterMap map, long groupId) {
        int n = 0;
        for (SlotInfo s : map.getSlotsList()) {
            if (s.getState() != io.shardkv.meta.proto.SlotState.UNSET
                    && (s.getGroupId() == groupId || s.getMigrationGroupId() == groupId)) {
                n++;
            }
        }
        return n;
    }

    public static boolean isRunning(ClusterMap map, long serverId) {
        return server(map, serverId).map(s -> s.getState() == ServerState.SERVER_RUNNING).orElse(false);
    }

    /** Replicas hosted per server id, over every group (learners count too). */
    public static Map<Long, Integer> replicaLoad(ClusterMap map) {
        Map<Long, Integer> load = new HashMap<>();
        for (ServerInfo s : map.getServersList()) {
            load.put(s.getId(), 0);
        }
        for (ShardGroupInfo g : map.getGroupsList()) {
            for (Replica r : g.getReplicasList()) {
                load.merge(r.getServerId(), 1, Integer::sum);
            }
        }
        return load;
    }

    /** RUNNING servers ordered by how few replicas they host, then by id: the placement order. */
    public static List<Long> leastLoadedRunning(ClusterMap map) {
        Map<Long, Integer> load = replicaLoad(map);
        List<Long> ids = new ArrayList<>();
        for (ServerInfo s : map.getServersList()) {
            if (s.getState() == ServerState.SERVER_RUNNING) {
                ids.add(s.getId());
            }
        }
        ids.sort(Comparator.<Long>comparingInt(load::get).thenComparing(Comparator.naturalOrder()));
        return ids;
    }

    /** Whether the cluster was never given groups: bootstrap may still happen. */
    public static boolean neverBootstrapped(ClusterMap map) {
        return map.getGroupsCount() == 0 && map.getNextGroupId() <= 1;
    }

    /**
     * The contiguous slot range [start, end) of the {@code index}-th of {@code groups} groups:
     * even sizes, the first {@code Slots.COUNT % groups} ranges one slot larger.
     */
    public static int[] slotRange(int index, int groups) {
        int base = Slots.COUNT / groups;
        int extra = Slots.COUNT % groups;
        int start = index * base + Math.min(index, extra);
        int size = base + (index < extra ? 1 : 0);
        return new int[] {start, start + size};
    }
}
