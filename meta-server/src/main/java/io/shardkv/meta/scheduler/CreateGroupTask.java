package io.shardkv.meta.scheduler;

import io.shardkv.kv.proto.CreateReplicaRequest;
import io.shardkv.kv.proto.GroupStatusRequest;
import io.shardkv.kv.proto.GroupStatusResponse;
import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.Task;
import java.util.Optional;

/** CREATE_GROUP: CreateReplica(g, voters) on every voter, then wait until a replica reports a leader. */
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
            return new StepResult.Completed();
        }
        StepError lastError = StepError.waiting(0, "no replica of group " + g + " reports a leader yet");
        for (long id : task.getServerIdsList()) {
            ServerInfo s = ClusterMaps.server(map, id).orElseThrow();
            try {
                GroupStatusResponse st = steps.admin.groupStatus(s, GroupStatusRequest.newBuilder().setGroupId(g).build());
                if (st.getLeaderId() != 0) {
                    return new StepResult.Completed();
                }
            } catch (AdminCallException e) {
                lastError = StepError.unreachable(id, e.getMessage());
            }
        }
        return new StepResult.Retry(lastError);
    }
}
