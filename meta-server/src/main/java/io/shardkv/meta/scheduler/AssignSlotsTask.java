package io.shardkv.meta.scheduler;

import io.shardkv.kv.proto.AssignSlotsRequest;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.Task;

/** ASSIGN_SLOTS: AssignSlots on the group's leader; one step. */
final class AssignSlotsTask extends TaskKind {
    AssignSlotsTask(AdminSteps steps) {
        super(steps);
    }

    @Override
    StepResult step(Task task, ClusterMap map, ShardGroupInfo group) {
        AssignSlotsRequest req = AssignSlotsRequest.newBuilder().setGroupId(group.getId())
                .addAllSlots(task.getSlotsList()).setConfigVersion(task.getCreatedVersion()).build();
        return AdminSteps.completeUnless(steps.onLeader(map, group, "AssignSlots(group " + group.getId() + ")",
                s -> steps.admin.assignSlots(s, req)));
    }
}
