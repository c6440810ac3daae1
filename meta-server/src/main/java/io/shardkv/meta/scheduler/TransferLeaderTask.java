package io.shardkv.meta.scheduler;

import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.GroupStatusRequest;
import io.shardkv.kv.proto.GroupStatusResponse;
import io.shardkv.kv.proto.TransferLeaderRequest;
import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.Task;
import java.util.Optional;

/**
 * TRANSFER_LEADER: the target answers GroupStatus, then TransferLeader on the leader; done when
 * the target reports itself leader. Until then the request is repeated (a leader abandons a
 * transfer that takes longer than an election timeout); it gives way to any task queued behind it.
 */
final class TransferLeaderTask extends TaskKind {
    enum Step implements TaskStep {
        NEW, TRANSFER_REQUESTED
    }

    TransferLeaderTask(AdminSteps steps) {
        super(steps);
    }

    @Override
    StepResult step(Task task, ClusterMap map, ShardGroupInfo group) {
        long g = group.getId();
        long target = task.getServerId();
        Optional<ServerInfo> server = ClusterMaps.server(map, target);
        if (server.isEmpty()) {
            return new StepResult.Failed("server " + target + " is no longer registered");
        }
        if (!ClusterMaps.voters(group).contains(target)) {
            return new StepResult.Failed("server " + target + " is no longer a voter of group " + g);
        }
        if (server.get().getState() == ServerState.SERVER_DOWN) {
            return new StepResult.Failed("server " + target + " is down; it cannot take over group " + g);
        }
        Step at = TaskKind.recorded(task, Step.class);
        if (at == null) {
            return TaskKind.unknownStep(task);
        }
        // The target's own view decides (heartbeat hints may lag), and a target that does not
        // answer gets no transfer: its leader would refuse writes while waiting for it.
        try {
            GroupStatusResponse st = steps.admin.groupStatus(server.get(),
                    GroupStatusRequest.newBuilder().setGroupId(g).build());
            if (st.getError().getCode() != ErrorCode.OK) {
                return new StepResult.Retry(StepError.refused(target, st.getError().getCode().name(),
                        "GroupStatus(group " + g + ") on server " + target + ": " + st.getError().getCode() + " "
                                + st.getError().getMessage()));
            }
            if (st.getRole().equals("LEADER")) {
                return new StepResult.Completed();
            }
        } catch (AdminCallException e) {
            return new StepResult.Retry(StepError.unreachable(target, e.getMessage()));
        }
        if (at == Step.TRANSFER_REQUESTED) {
            Optional<Task> behind = ClusterMaps.pendingTasks(map).stream()
                    .filter(t -> t.getGroupId() == g && t.getId() != task.getId()).findFirst();
            if (behind.isPresent()) {
                return new StepResult.Failed("gave way to task " + behind.get().getId() + " ("
                        + behind.get().getType() + ") before server " + target + " took over");
            }
        }
        TransferLeaderRequest req = TransferLeaderRequest.newBuilder().setGroupId(g).setServerId(target)
                .setConfigVersion(task.getCreatedVersion()).build();
        Optional<StepError> failed = steps.onLeader(map, group,
                "TransferLeader(group " + g + " to server " + target + ")", s -> steps.admin.transferLeader(s, req));
        if (failed.isPresent()) {
            return new StepResult.Retry(failed.get());
        }
        return at == Step.TRANSFER_REQUESTED
                ? new StepResult.Retry(StepError.waiting(target, "server " + target + " has not taken over group "
                        + g + " yet"))
                : new StepResult.Advanced(Step.TRANSFER_REQUESTED);
    }
}
