package io.shardkv.meta.scheduler;

import io.shardkv.kv.proto.CreateReplicaRequest;
import io.shardkv.kv.proto.MembershipChangeType;
import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.Task;
import java.util.Optional;

/**
 * ADD_MEMBER: CreateReplica(g, []) on the new server, ADD_LEARNER on the leader, then PROMOTE on
 * the leader (refused while the learner catches up). If the server is marked DOWN first, the task
 * fails, after taking a learner it added back out of the group.
 */
final class AddMemberTask extends TaskKind {
    enum Step implements TaskStep {
        NEW, REPLICA_CREATED, LEARNER_ADDED
    }

    AddMemberTask(AdminSteps steps) {
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
        if (server.get().getState() == ServerState.SERVER_DOWN) {
            return giveUp(task, map, group, at);
        }
        return switch (at) {
            case NEW -> {
                CreateReplicaRequest req = CreateReplicaRequest.newBuilder().setGroupId(g)
                        .setConfigVersion(task.getCreatedVersion()).build();
                yield AdminSteps.advanceUnless(steps.check("CreateReplica(group " + g + ") on server "
                        + task.getServerId(), task.getServerId(), () -> steps.admin.createReplica(server.get(), req)),
                        Step.REPLICA_CREATED);
            }
            case REPLICA_CREATED -> AdminSteps.advanceUnless(
                    steps.changeMembership(map, group, MembershipChangeType.ADD_LEARNER, task), Step.LEARNER_ADDED);
            case LEARNER_ADDED -> AdminSteps.completeUnless(
                    steps.changeMembership(map, group, MembershipChangeType.PROMOTE, task));
        };
    }

    /**
     * The server being added went down: the task fails (the map then drops the learner), but
     * not before a learner already in the group's Raft membership is taken out of it again.
     */
    private StepResult giveUp(Task task, ClusterMap map, ShardGroupInfo group, Step at) {
        String why = "server " + task.getServerId() + " went down before it joined group " + group.getId();
        if (at == Step.LEARNER_ADDED) {
            Optional<StepError> failed = steps.changeMembership(map, group, MembershipChangeType.REMOVE, task);
            if (failed.isPresent()) {
                return new StepResult.Retry(failed.get().prefixed(why + "; removing its learner: "));
            }
            why += "; its learner was removed";
        }
        return new StepResult.Failed(why);
    }
}
