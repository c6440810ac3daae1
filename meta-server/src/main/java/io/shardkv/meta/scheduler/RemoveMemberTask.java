package io.shardkv.meta.scheduler;

import io.shardkv.kv.proto.DestroyReplicaRequest;
import io.shardkv.kv.proto.MembershipChangeType;
import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.Task;
import java.util.Optional;

/**
 * REMOVE_MEMBER: REMOVE on the leader, then DestroyReplica on the removed server (skipped while it
 * is DOWN: a kv-server destroys a replica it finds outside its group's membership by itself).
 */
final class RemoveMemberTask extends TaskKind {
    enum Step implements TaskStep {
        NEW, REMOVED_FROM_GROUP
    }

    RemoveMemberTask(AdminSteps steps) {
        super(steps);
    }

    @Override
    StepResult step(Task task, ClusterMap map, ShardGroupInfo group) {
        long g = group.getId();
        Optional<ServerInfo> server = ClusterMaps.server(map, task.getServerId());
        if (server.isEmpty()) {
            return new StepResult.Failed("server " + task.getServerId() + " is no longer registered");
        }
        Step at = TaskKind.recorded(task, Step.class);
        if (at == null) {
            return TaskKind.unknownStep(task);
        }
        if (at == Step.NEW) {
            return AdminSteps.advanceUnless(steps.changeMembership(map, group, MembershipChangeType.REMOVE, task),
                    Step.REMOVED_FROM_GROUP);
        }
        if (server.get().getState() == ServerState.SERVER_DOWN) {
            return new StepResult.Completed();
        }
        DestroyReplicaRequest req = DestroyReplicaRequest.newBuilder().setGroupId(g)
                .setConfigVersion(task.getCreatedVersion()).build();
        return AdminSteps.completeUnless(steps.check("DestroyReplica(group " + g + ") on server "
                + task.getServerId(), task.getServerId(), () -> steps.admin.destroyReplica(server.get(), req)));
    }
}
