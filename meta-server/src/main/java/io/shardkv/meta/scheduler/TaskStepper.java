package io.shardkv.meta.scheduler;

import io.shardkv.meta.liveness.LeaderHints;
import io.shardkv.meta.map.ClusterMaps;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskType;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * Carries out the next step of one task on the kv-servers, through their KvAdmin service: it
 * hands the task to the {@link TaskKind} of its type (one class per type, each with its steps as
 * an enum). Requests carry the task's created_version as config_version.
 */
public final class TaskStepper {
    /** Recorded step names, as the map shows them (status pages, tests). */
    public static final String REPLICAS_CREATED = CreateGroupTask.Step.REPLICAS_CREATED.recorded();
    public static final String REPLICA_CREATED = AddMemberTask.Step.REPLICA_CREATED.recorded();
    public static final String LEARNER_ADDED = AddMemberTask.Step.LEARNER_ADDED.recorded();
    public static final String REMOVED_FROM_GROUP = RemoveMemberTask.Step.REMOVED_FROM_GROUP.recorded();
    public static final String TRANSFER_REQUESTED = TransferLeaderTask.Step.TRANSFER_REQUESTED.recorded();

    private final Map<TaskType, TaskKind> kinds = new EnumMap<>(TaskType.class);

    public TaskStepper(KvAdminCaller admin, LeaderHints hints) {
        this(admin, hints, MigrationBoard.systemClock());
    }

    public TaskStepper(KvAdminCaller admin, LeaderHints hints, MigrationBoard board) {
        this(admin, hints, board, MoveSlotsTask.READY_POLL_MILLIS);
    }

    /**
     * @param readyPollMillis how long a slot move's step waits, polling, for the target to be
     *                        ready after the freeze (0: asks once; a simulation, which cannot let
     *                        time pass inside a step, uses that)
     */
    public TaskStepper(KvAdminCaller admin, LeaderHints hints, MigrationBoard board, long readyPollMillis) {
        AdminSteps steps = new AdminSteps(admin, hints);
        kinds.put(TaskType.MOVE_SLOTS, new MoveSlotsTask(steps, board, readyPollMillis));
        kinds.put(TaskType.CREATE_GROUP, new CreateGroupTask(steps));
        kinds.put(TaskType.ASSIGN_SLOTS, new AssignSlotsTask(steps));
        kinds.put(TaskType.ADD_MEMBER, new AddMemberTask(steps));
        kinds.put(TaskType.REMOVE_MEMBER, new RemoveMemberTask(steps));
        kinds.put(TaskType.REMOVE_GROUP, new RemoveGroupTask(steps));
        kinds.put(TaskType.TRANSFER_LEADER, new TransferLeaderTask(steps));
    }

    /** Tries the task's next step against the kv-servers named in {@code map}. */
    public StepResult step(Task task, ClusterMap map) {
        Optional<ShardGroupInfo> group = ClusterMaps.group(map, task.getGroupId());
        if (group.isEmpty()) {
            return new StepResult.Failed("group " + task.getGroupId() + " is no longer in the map");
        }
        TaskKind kind = kinds.get(task.getType());
        if (kind == null) {
            return new StepResult.Failed("unknown task type " + task.getType());
        }
        return kind.step(task, map, group.get());
    }
}
