package io.shardkv.kvctl;

import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ClusterStatusResponse;
import io.shardkv.meta.proto.GroupLeader;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.SlotInfo;
import io.shardkv.meta.proto.SlotState;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import io.shardkv.meta.proto.TaskType;
import java.util.HashSet;
import java.util.Set;

/**
 * When {@code kvctl cluster wait} considers a cluster ready to serve: at least the wanted
 * number of shard groups, each with a leader, all 1024 slots owned, and no group creation or
 * slot assignment still pending (until an assignment is applied, the group refuses its slots).
 */
public final class ClusterReadiness {
    private ClusterReadiness() {
    }

    /** Null when ready, else what is missing, in words. */
    public static String missing(ClusterStatusResponse status, int minGroups) {
        ClusterMap map = status.getMap();
        Set<Long> led = new HashSet<>();
        for (GroupLeader leader : status.getLeadersList()) {
            if (leader.getLeaderServerId() != 0) {
                led.add(leader.getGroupId());
            }
        }
        int groups = map.getGroupsCount();
        int withLeader = 0;
        for (ShardGroupInfo group : map.getGroupsList()) {
            if (led.contains(group.getId())) {
                withLeader++;
            }
        }
        int owned = 0;
        for (SlotInfo slot : map.getSlotsList()) {
            if (slot.getState() != SlotState.UNSET && slot.getGroupId() != 0) {
                owned++;
            }
        }
        int pending = 0;
        for (Task task : map.getTasksList()) {
            if (task.getState() == TaskState.PENDING
                    && (task.getType() == TaskType.CREATE_GROUP || task.getType() == TaskType.ASSIGN_SLOTS)) {
                pending++;
            }
        }
        if (groups >= minGroups && withLeader == groups && owned == 1024 && pending == 0) {
            return null;
        }
        return groups + "/" + minGroups + " groups, " + withLeader + " with a leader, " + owned
                + "/1024 slots owned, " + pending + " group creations or slot assignments pending";
    }
}
