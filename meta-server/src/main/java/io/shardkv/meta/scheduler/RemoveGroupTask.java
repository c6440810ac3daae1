package io.shardkv.meta.scheduler;

import io.shardkv.kv.proto.DestroyReplicaRequest;
import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.Task;
import java.util.Optional;

/**
 * REMOVE_GROUP: first drains the group's slots to the other groups, one slot move at a time (each
 * a MOVE_SLOTS task the scheduler runs before this one), then DestroyReplica on every replica
 * that is not DOWN.
 */
final class RemoveGroupTask extends TaskKind {
    RemoveGroupTask(AdminSteps steps) {
        super(steps);
    }

    @Override
    StepResult step(Task task, ClusterMap map, ShardGroupInfo group) {
        long g = task.getGroupId();
        if (ClusterMaps.slotsOf(map, g) > 0) {
            return SlotBalancer.drain(map, g).<StepResult>map(m -> new StepResult.Decide(m.command(0)))
                    .orElseGet(() -> new StepResult.Waiting("group " + g + " has slots moving"));
        }
        DestroyReplicaRequest req = DestroyReplicaRequest.newBuilder().setGroupId(g)
                .setConfigVersion(task.getCreatedVersion()).build();
        for (long id : task.getServerIdsList()) {
            Optional<ServerInfo> s = ClusterMaps.server(map, id);
            if (s.isEmpty() || s.get().getState() == ServerState.SERVER_DOWN) {
                continue;
            }
            Optional<StepError> failed = steps.check("DestroyReplica(group " + g + ") on server " + id, id,
                    () -> steps.admin.destroyReplica(s.get(), req));
            if (failed.isPresent()) {
                return new StepResult.Retry(failed.get());
            }
        }
        return new StepResult.Completed();
    }
}
