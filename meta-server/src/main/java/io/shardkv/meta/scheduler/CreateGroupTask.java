package io.shardkv.meta.scheduler;

import io.shardkv.kv.proto.CreateReplicaRequest;
import io.shardkv.kv.proto.GroupStatusRequest;
import io.shardkv.kv.proto.GroupStatusResponse;
import io.shardkv.kv.proto.TransferLeaderRequest;
import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.Task;
import java.util.Optional;

/**
 * CREATE_GROUP: CreateReplica(g, voters) on every voter, then wait until a replica reports a
 * leader. If that leader is not the first voter, the group is asked once to hand leadership to
 * it: a new group is empty, so the transfer is immediate, and groups created with different
 * first voters (see BootstrapPlanner) start with their leaders spread rather than wherever the
 * first election timeout fired. Best effort: if it does not happen, the leader balancer moves
 * leaders later.
 */
final class CreateGroupTask extends TaskKind {
    enum Step implements TaskStep {
        NEW, REPLICAS_CREATED
    }

    CreateGroupTask(AdminSteps steps) {
        super(steps);
    }

    @Override
    StepResult step(Task task, ClusterMap map, ShardGroupInfo group) {
        long g = task.getGroupId();
        for (long id : task.getServerIdsList()) {
            if (ClusterMaps.server(map, id).isEmpty()) {
                return new StepResult.Failed("voter " + id + " of group " + g + " is no longer registered");
            }
        }
        Step at = TaskKind.recorded(task, Step.class);
        if (at == null) {
            return TaskKind.unknownStep(task);
        }
        if (at == Step.NEW) {
            CreateReplicaRequest req = CreateReplicaRequest.newBuilder().setGroupId(g)
                    .addAllInitialVoters(task.getServerIdsList()).setConfigVersion(task.getCreatedVersion()).build();
            for (long id : task.getServerIdsList()) {
                ServerInfo s = ClusterMaps.server(map, id).orElseThrow();
                Optional<StepError> failed = steps.check("CreateReplica(group " + g + ") on server " + id, id,
                        () -> steps.admin.createReplica(s, req));
                if (failed.isPresent()) {
                    return new StepResult.Retry(failed.get());
                }
            }
            return new StepResult.Advanced(Step.REPLICAS_CREATED);
        }
        long hinted = steps.hints.leaderOf(g);
        if (hinted != 0 && task.getServerIdsList().contains(hinted)) {
            return leads(task, map, group, hinted);
        }
        StepError lastError = StepError.waiting(0, "no replica of group " + g + " reports a leader yet");
        for (long id : task.getServerIdsList()) {
            ServerInfo s = ClusterMaps.server(map, id).orElseThrow();
            try {
                GroupStatusResponse st = steps.admin.groupStatus(s, GroupStatusRequest.newBuilder().setGroupId(g).build());
                if (st.getLeaderId() != 0) {
                    return leads(task, map, group, st.getLeaderId());
                }
            } catch (AdminCallException e) {
                lastError = StepError.unreachable(id, e.getMessage());
            }
        }
        return new StepResult.Retry(lastError);
    }

    /** The group has a leader: done, after asking it once to hand over to the first voter. */
    private StepResult leads(Task task, ClusterMap map, ShardGroupInfo group, long leader) {
        long preferred = task.getServerIdsList().get(0);
        if (leader != preferred && group != null && ClusterMaps.isRunning(map, preferred)) {
            TransferLeaderRequest req = TransferLeaderRequest.newBuilder().setGroupId(task.getGroupId())
                    .setServerId(preferred).setConfigVersion(task.getCreatedVersion()).build();
            // The answer does not matter: the task is done either way.
            steps.onLeader(map, group, "TransferLeader(new group " + task.getGroupId() + " to server " + preferred + ")",
                    s -> steps.admin.transferLeader(s, req));
        }
        return new StepResult.Completed();
    }
}
